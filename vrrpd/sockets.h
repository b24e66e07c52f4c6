// The descriptors vrrpd opens before its sandbox: one raw IPPROTO_VRRP socket
// per family (all interfaces; the receive path learns the interface from
// IP_PKTINFO / IPV6_PKTINFO) and one AF_PACKET socket, send-only, for
// gratuitous ARP and unsolicited NA. No bytes are interpreted here beyond
// the kernel's ancillary data: packet.cc parses what arrives.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/unique_fd.h"
#include "vrrpd/address.h"

namespace hakeep::vrrpd {

struct RawPacket {
    int ifindex = 0;
    std::span<const std::uint8_t> bytes;  // IPv4: from the IP header; IPv6: the VRRP message
    Address source;                       // IPv6 only (IPv4 has it in the header)
    Address destination;                  // IPv6 only
    std::optional<int> hop_limit;         // IPv6 only
};

class VrrpSocket {
public:
    explicit VrrpSocket(Family family);  // throws std::runtime_error
    Family family() const { return family_; }
    int fd() const { return fd_.get(); }
    // Joins 224.0.0.18 / ff02::12 on the interface; 0 or an errno (EADDRINUSE: already).
    int join(int ifindex);
    // 0 or an errno. The kernel adds the IP header, TTL / hop limit 255.
    int send(int ifindex, const Address& source, const Address& destination,
             std::span<const std::uint8_t> message);
    // One datagram, or nothing when the socket is drained.
    std::optional<RawPacket> receive();

private:
    Family family_;
    UniqueFd fd_;
    std::vector<std::uint8_t> buffer_;
};

class PacketSocket {
public:
    PacketSocket();  // throws std::runtime_error
    // 0 or an errno.
    int send(int ifindex, const std::array<std::uint8_t, 6>& destination,
             std::span<const std::uint8_t> frame);

private:
    UniqueFd fd_;
};

}  // namespace hakeep::vrrpd
