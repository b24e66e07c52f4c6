#include "vrrpd/garp.h"

#include "vrrpd/packet.h"

namespace hakeep::vrrpd {
namespace {

void put(std::vector<std::uint8_t>& out, std::initializer_list<std::uint8_t> bytes) {
    out.insert(out.end(), bytes);
}
void put(std::vector<std::uint8_t>& out, const Mac& mac) { out.insert(out.end(), mac.begin(), mac.end()); }
void put(std::vector<std::uint8_t>& out, const Address& address) {
    out.insert(out.end(), address.bytes.begin(), address.bytes.begin() + address.size());
}

}  // namespace

std::vector<std::uint8_t> build_gratuitous_arp(const Mac& mac, const Address& vip) {
    std::vector<std::uint8_t> frame;
    put(frame, broadcast_mac);
    put(frame, mac);
    put(frame, {0x08, 0x06});              // ARP
    put(frame, {0x00, 0x01, 0x08, 0x00});  // Ethernet, IPv4
    put(frame, {6, 4, 0x00, 0x01});        // lengths, request
    put(frame, mac);
    put(frame, vip);
    put(frame, Mac{});
    put(frame, vip);
    frame.resize(60, 0);  // minimum Ethernet payload
    return frame;
}

std::vector<std::uint8_t> build_unsolicited_na(const Mac& mac, const Address& source,
                                               const Address& vip) {
    const Address all_nodes = *Address::parse("ff02::1");
    std::vector<std::uint8_t> icmp;
    put(icmp, {136, 0, 0, 0});           // Neighbor Advertisement, checksum later
    put(icmp, {0xa0, 0, 0, 0});          // Router and Override
    put(icmp, vip);
    put(icmp, {2, 1});                   // target link-layer address, 8 bytes
    put(icmp, mac);
    // ICMPv6 pseudo-header: next header 58 (pseudo_header_sum adds 112: correct it).
    std::uint32_t sum = pseudo_header_sum(source, all_nodes, icmp.size()) - ip_proto_vrrp + 58;
    const std::uint16_t checksum = internet_checksum(icmp, sum);
    icmp[2] = static_cast<std::uint8_t>(checksum >> 8);
    icmp[3] = static_cast<std::uint8_t>(checksum & 0xff);

    std::vector<std::uint8_t> frame;
    put(frame, all_nodes_mac);
    put(frame, mac);
    put(frame, {0x86, 0xdd});
    put(frame, {0x60, 0, 0, 0});
    put(frame, {static_cast<std::uint8_t>(icmp.size() >> 8), static_cast<std::uint8_t>(icmp.size() & 0xff)});
    put(frame, {58, 255});
    put(frame, source);
    put(frame, all_nodes);
    frame.insert(frame.end(), icmp.begin(), icmp.end());
    return frame;
}

}  // namespace hakeep::vrrpd
