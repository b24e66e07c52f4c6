#include "vrrpd/packet.h"

#include <algorithm>
#include <cstring>

namespace hakeep::vrrpd {
namespace {

constexpr std::size_t header_length = 8;
constexpr std::uint8_t type_advertisement = 1;

std::uint32_t add_bytes(std::uint32_t sum, std::span<const std::uint8_t> data) {
    std::size_t index = 0;
    for (; index + 1 < data.size(); index += 2)
        sum += static_cast<std::uint32_t>(data[index] << 8 | data[index + 1]);
    if (index < data.size()) sum += static_cast<std::uint32_t>(data[index] << 8);
    return sum;
}

std::uint16_t fold(std::uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

ParseFailure fail(DropReason reason, std::optional<std::uint8_t> vrid = std::nullopt) {
    return ParseFailure{reason, vrid};
}

bool checksum_ok(std::span<const std::uint8_t> message, std::uint32_t initial) {
    // Summing a message that includes its own correct checksum gives 0xffff.
    return fold(add_bytes(initial, message)) == 0;
}

std::vector<Address> sorted(std::vector<Address> addresses) {
    std::sort(addresses.begin(), addresses.end());
    return addresses;
}

}  // namespace

const char* drop_reason_name(DropReason reason) {
    switch (reason) {
    case DropReason::ttl: return "ttl";
    case DropReason::too_short: return "too_short";
    case DropReason::length: return "length";
    case DropReason::version: return "version";
    case DropReason::type: return "type";
    case DropReason::checksum: return "checksum";
    case DropReason::vrid_unknown: return "vrid_unknown";
    case DropReason::auth: return "auth";
    case DropReason::interval: return "interval";
    case DropReason::address_list: return "address_list";
    case DropReason::owner: return "owner";
    case DropReason::protocol: return "protocol";
    case DropReason::count: break;
    }
    return "?";
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> data, std::uint32_t initial) {
    return fold(add_bytes(initial, data));
}

std::uint32_t pseudo_header_sum(const Address& source, const Address& destination,
                                std::size_t length) {
    std::uint32_t sum = add_bytes(0, {source.bytes.data(), source.size()});
    sum = add_bytes(sum, {destination.bytes.data(), destination.size()});
    // IPv4: zero, protocol, 16-bit length. IPv6: 32-bit length, 3 zeros, next
    // header. Both sum to the same 16-bit words.
    sum += static_cast<std::uint32_t>(length & 0xffff) + static_cast<std::uint32_t>(length >> 16);
    sum += ip_proto_vrrp;
    return sum;
}

std::array<std::uint8_t, 8> pass_auth_data(const std::string& password) {
    std::array<std::uint8_t, 8> data{};
    std::memcpy(data.data(), password.data(), std::min(password.size(), data.size()));
    return data;
}

std::variant<Datagram, ParseFailure> split_ipv4(std::span<const std::uint8_t> datagram) {
    if (datagram.size() < 20) return fail(DropReason::too_short);
    if ((datagram[0] >> 4) != 4) return fail(DropReason::too_short);
    const std::size_t header = static_cast<std::size_t>(datagram[0] & 0x0f) * 4;
    const std::size_t total = static_cast<std::size_t>(datagram[2] << 8 | datagram[3]);
    if (header < 20 || total < header || total > datagram.size()) return fail(DropReason::too_short);
    if (datagram[9] != ip_proto_vrrp) return fail(DropReason::protocol);
    Datagram result;
    result.ttl = datagram[8];
    result.source = Address::from_bytes(Family::ipv4, &datagram[12]);
    result.destination = Address::from_bytes(Family::ipv4, &datagram[16]);
    result.payload = datagram.subspan(header, total - header);
    return result;
}

std::variant<Received, ParseFailure> parse_advert(const Datagram& datagram, bool check_ttl) {
    const auto message = datagram.payload;
    const Family family = datagram.source.family;
    if (message.size() < header_length)
        return fail(DropReason::too_short,
                    message.size() >= 2 ? std::optional<std::uint8_t>(message[1]) : std::nullopt);
    const std::uint8_t vrid = message[1];
    if (check_ttl && datagram.ttl && *datagram.ttl != vrrp_ttl) return fail(DropReason::ttl, vrid);
    const int version = message[0] >> 4;
    if (version != 2 && version != 3) return fail(DropReason::version, vrid);
    if (version == 2 && family != Family::ipv4) return fail(DropReason::version, vrid);
    if ((message[0] & 0x0f) != type_advertisement) return fail(DropReason::type, vrid);
    const std::size_t count = message[3];
    const std::size_t address_size = family == Family::ipv4 ? 4 : 16;
    const std::size_t expected =
        header_length + count * address_size + (version == 2 ? v2_auth_length : 0);
    if (message.size() != expected) return fail(DropReason::length, vrid);

    Received received;
    received.source = datagram.source;
    if (version == 2) {
        if (!checksum_ok(message, 0)) return fail(DropReason::checksum, vrid);
        received.checksum_form = ChecksumForm::plain;
    } else {
        // Accept either form for IPv4 (vendors differ; keepalived includes the
        // pseudo-header by default), and keepalived < 1.3.6's unicast form.
        const std::uint32_t actual =
            pseudo_header_sum(datagram.source, datagram.destination, message.size());
        if (checksum_ok(message, actual)) {
            received.checksum_form = ChecksumForm::pseudo_header;
        } else if (family == Family::ipv4 && checksum_ok(message, 0)) {
            received.checksum_form = ChecksumForm::plain;
        } else if (datagram.destination != vrrp_group(family) &&
                   checksum_ok(message, pseudo_header_sum(datagram.source, vrrp_group(family),
                                                          message.size()))) {
            received.checksum_form = ChecksumForm::pseudo_header_group;
        } else {
            return fail(DropReason::checksum, vrid);
        }
    }

    Advert& advert = received.advert;
    advert.version = version;
    advert.family = family;
    advert.vrid = vrid;
    advert.priority = message[2];
    if (version == 2) {
        advert.auth_type = static_cast<AuthType>(message[4]);
        advert.interval_centis = static_cast<std::uint16_t>(message[5] * 100);
    } else {
        advert.interval_centis = static_cast<std::uint16_t>((message[4] & 0x0f) << 8 | message[5]);
    }
    for (std::size_t index = 0; index < count; ++index)
        advert.addresses.push_back(
            Address::from_bytes(family, &message[header_length + index * address_size]));
    if (version == 2)
        std::memcpy(advert.auth_data.data(), &message[header_length + count * address_size],
                    v2_auth_length);
    return received;
}

std::optional<DropReason> check_advert(const Advert& advert, const Expectation& expected) {
    if (advert.version != expected.version) return DropReason::version;
    if (expected.priority == 255) return DropReason::owner;
    if (advert.version == 2) {
        if (advert.auth_type != expected.auth_type) return DropReason::auth;
        if (expected.auth_type == AuthType::pass && advert.auth_data != expected.auth_data)
            return DropReason::auth;
        if (advert.interval_centis != expected.interval_centis) return DropReason::interval;
    }
    if (expected.check_addresses && sorted(advert.addresses) != sorted(expected.addresses))
        return DropReason::address_list;
    return std::nullopt;
}

std::vector<std::uint8_t> build_advert(const Advert& advert, const Address& source,
                                       const Address& destination, bool checksum_as_v2) {
    std::vector<std::uint8_t> message(header_length);
    message[0] = static_cast<std::uint8_t>(advert.version << 4 | type_advertisement);
    message[1] = advert.vrid;
    message[2] = advert.priority;
    message[3] = static_cast<std::uint8_t>(advert.addresses.size());
    if (advert.version == 2) {
        message[4] = static_cast<std::uint8_t>(advert.auth_type);
        message[5] = static_cast<std::uint8_t>(advert.interval_centis / 100);
    } else {
        message[4] = static_cast<std::uint8_t>((advert.interval_centis >> 8) & 0x0f);
        message[5] = static_cast<std::uint8_t>(advert.interval_centis & 0xff);
    }
    for (const Address& address : advert.addresses)
        message.insert(message.end(), address.bytes.begin(), address.bytes.begin() + address.size());
    if (advert.version == 2)
        message.insert(message.end(), advert.auth_data.begin(), advert.auth_data.end());
    const bool pseudo =
        advert.version == 3 && !(checksum_as_v2 && advert.family == Family::ipv4);
    const std::uint16_t sum = internet_checksum(
        message, pseudo ? pseudo_header_sum(source, destination, message.size()) : 0);
    message[6] = static_cast<std::uint8_t>(sum >> 8);
    message[7] = static_cast<std::uint8_t>(sum & 0xff);
    return message;
}

}  // namespace hakeep::vrrpd
