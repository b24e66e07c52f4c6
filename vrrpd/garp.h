// Gratuitous ARP (RFC 5227 announcement form) and unsolicited Neighbour
// Advertisement (RFC 4861 §7.2.6) frames for the VIPs of a new MASTER: pure
// builders of whole Ethernet frames, sent through PacketSocket.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "vrrpd/address.h"

namespace hakeep::vrrpd {

using Mac = std::array<std::uint8_t, 6>;
inline constexpr Mac broadcast_mac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr Mac all_nodes_mac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

// ARP request "who has VIP, tell VIP" from `mac`, to the broadcast address.
std::vector<std::uint8_t> build_gratuitous_arp(const Mac& mac, const Address& vip);
// NA for `vip` (Router and Override flags, target link-layer address option)
// from `source` (the link-local address) to ff02::1, hop limit 255.
std::vector<std::uint8_t> build_unsolicited_na(const Mac& mac, const Address& source,
                                               const Address& vip);

}  // namespace hakeep::vrrpd
