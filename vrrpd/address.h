// An IPv4 or IPv6 address as VRRP carries it: network byte order, family
// tagged. Small and comparable, so that the tie-break on the higher primary
// address (RFC 3768 §6.4.3, RFC 5798 §6.4.3) is a plain comparison.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hakeep::vrrpd {

enum class Family : std::uint8_t { ipv4 = 4, ipv6 = 6 };

struct Address {
    Family family = Family::ipv4;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4

    std::size_t size() const { return family == Family::ipv4 ? 4 : 16; }
    bool is_unspecified() const;
    bool is_link_local() const;  // fe80::/10 (IPv6 only)
    bool is_multicast() const;
    std::string to_string() const;

    // Network-order comparison within a family; IPv4 sorts before IPv6.
    auto operator<=>(const Address& other) const {
        if (auto order = family <=> other.family; order != 0) return order;
        return bytes <=> other.bytes;
    }
    bool operator==(const Address&) const = default;

    static std::optional<Address> parse(std::string_view text);
    static Address from_bytes(Family family, const std::uint8_t* data);
};

inline const Address& vrrp_group(Family family) {
    static const Address v4 = *Address::parse("224.0.0.18");
    static const Address v6 = *Address::parse("ff02::12");
    return family == Family::ipv4 ? v4 : v6;
}

// "192.0.2.100/24": an address and its prefix length.
struct Prefix {
    Address address;
    int length = 0;
    static std::optional<Prefix> parse(std::string_view text);
    std::string to_string() const { return address.to_string() + "/" + std::to_string(length); }
    bool operator==(const Prefix&) const = default;
};

}  // namespace hakeep::vrrpd
