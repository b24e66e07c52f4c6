// VRRP advertisements on the wire: RFC 3768 (v2, with keepalived's PASS
// authentication) and RFC 5798 (v3), IPv4 and IPv6. Pure: bytes in, an
// Advert or a DropReason out, and the reverse. This file and packet.cc are
// the only code in vrrpd that reads bytes from the network.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "vrrpd/address.h"

namespace hakeep::vrrpd {

inline constexpr int ip_proto_vrrp = 112;
inline constexpr int vrrp_ttl = 255;
inline constexpr std::size_t v2_auth_length = 8;

enum class AuthType : std::uint8_t { none = 0, pass = 1, ah = 2 };

struct Advert {
    int version = 3;
    Family family = Family::ipv4;
    std::uint8_t vrid = 0;
    std::uint8_t priority = 0;
    // Centiseconds. v2 carries whole seconds: 100 per second here.
    std::uint16_t interval_centis = 100;
    std::vector<Address> addresses;
    AuthType auth_type = AuthType::none;       // v2 only
    std::array<std::uint8_t, 8> auth_data{};   // v2 only: PASS, zero-padded

    bool operator==(const Advert&) const = default;
};

// Why a received packet was dropped; each is counted per instance (or per
// daemon when no instance claims the VRID) and shown by hactl vrrp.
enum class DropReason : std::uint8_t {
    ttl,           // TTL / hop limit not 255 (multicast), or outside a unicast_peer's min_ttl..max_ttl
    too_short,     // shorter than a VRRP header, or an IP header that lies
    length,        // length disagrees with the address count (+ v2 auth data)
    version,       // not 2 or 3, or not the instance's version
    type,          // not ADVERTISEMENT (1)
    checksum,      // neither form of the checksum matches
    vrid_unknown,  // no instance on this interface and family has this VRID
    auth,          // v2 authentication type or password differs
    interval,      // v2: advert_int differs from ours (RFC 3768 §7.1)
    address_list,  // the addresses differ from our virtual_ipaddress
    owner,         // we are the address owner (priority 255): RFC MUST discard
    protocol,      // IPv4: not protocol 112
    count
};
const char* drop_reason_name(DropReason reason);  // "ttl", "checksum", ... (JSON keys)

// How the checksum of an accepted v3 IPv4 advert was computed by its sender.
enum class ChecksumForm : std::uint8_t {
    plain,                // no pseudo-header: v2, or v3 with v3_checksum_as_v2
    pseudo_header,        // RFC 5798 §5.2.8 with the actual destination
    pseudo_header_group,  // keepalived < 1.3.6 unicast: the group as destination
};

// What the socket layer knows of one received packet.
struct Datagram {
    std::span<const std::uint8_t> payload;  // the VRRP message
    Address source;
    Address destination;
    std::optional<int> ttl;                 // IP TTL / hop limit, if the kernel said
};

struct Received {
    Advert advert;
    Address source;
    ChecksumForm checksum_form = ChecksumForm::plain;
};

struct ParseFailure {
    DropReason reason;
    std::optional<std::uint8_t> vrid;  // when the header got that far: who to count it for
};

// An IPv4 raw socket hands over the IP header: check and strip it.
std::variant<Datagram, ParseFailure> split_ipv4(std::span<const std::uint8_t> datagram);

// `check_ttl`: multicast requires TTL 255 (RFC); keepalived skips the check in unicast.
std::variant<Received, ParseFailure> parse_advert(const Datagram& datagram, bool check_ttl);

// What an instance expects of adverts for its VRID (RFC 3768 §7.1, RFC 5798 §7.1).
struct Expectation {
    int version = 3;
    std::uint8_t priority = 100;        // 255: owner, drops every advert
    std::uint16_t interval_centis = 100;
    AuthType auth_type = AuthType::none;
    std::array<std::uint8_t, 8> auth_data{};
    std::vector<Address> addresses;     // our virtual_ipaddress, in order
    bool check_addresses = true;
};
std::optional<DropReason> check_advert(const Advert& advert, const Expectation& expected);

// Builds the VRRP message (no IP header: the kernel adds it). For v3 IPv4
// the checksum includes the pseudo-header unless `checksum_as_v2`.
std::vector<std::uint8_t> build_advert(const Advert& advert, const Address& source,
                                       const Address& destination, bool checksum_as_v2 = false);

// The 16-bit one's complement of the one's complement sum (RFC 1071).
std::uint16_t internet_checksum(std::span<const std::uint8_t> data, std::uint32_t initial = 0);
// The partial sum of the RFC 2460 §8.1 / RFC 768 pseudo-header for protocol 112.
std::uint32_t pseudo_header_sum(const Address& source, const Address& destination,
                                std::size_t length);

// "secret12" -> 8 bytes, truncated or zero-padded as keepalived does.
std::array<std::uint8_t, 8> pass_auth_data(const std::string& password);

}  // namespace hakeep::vrrpd
