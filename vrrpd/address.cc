#include "vrrpd/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace hakeep::vrrpd {

bool Address::is_unspecified() const {
    for (std::size_t index = 0; index < size(); ++index)
        if (bytes[index] != 0) return false;
    return true;
}

bool Address::is_link_local() const {
    return family == Family::ipv6 && bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

bool Address::is_multicast() const {
    return family == Family::ipv4 ? (bytes[0] & 0xf0) == 0xe0 : bytes[0] == 0xff;
}

std::string Address::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(family == Family::ipv4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
    return text;
}

std::optional<Address> Address::parse(std::string_view text) {
    const std::string copy(text);
    Address address;
    if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) return address;
    address.family = Family::ipv6;
    if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) return address;
    return std::nullopt;
}

Address Address::from_bytes(Family family, const std::uint8_t* data) {
    Address address;
    address.family = family;
    std::memcpy(address.bytes.data(), data, address.size());
    return address;
}

std::optional<Prefix> Prefix::parse(std::string_view text) {
    const std::size_t slash = text.find('/');
    auto address = Address::parse(text.substr(0, slash));
    if (!address) return std::nullopt;
    const int max = address->family == Family::ipv4 ? 32 : 128;
    int length = max;
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
        if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() ||
            length < 0 || length > max)
            return std::nullopt;
    }
    return Prefix{*address, length};
}

}  // namespace hakeep::vrrpd
