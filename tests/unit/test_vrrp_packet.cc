// vrrpd/packet: golden vectors (real keepalived 2.2.7 adverts), round trips,
// both v3 IPv4 checksum forms, and every drop reason of the parser.
#include <criterion/criterion.h>

#include <fstream>
#include <iterator>

#include "vrrpd/packet.h"

using namespace hakeep::vrrpd;

namespace {

using Bytes = std::vector<std::uint8_t>;

// The frames of a pcapng file (Enhanced Packet Blocks only), link layer included.
std::vector<Bytes> read_pcapng(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    cr_assert(file.good(), "cannot open %s", path.c_str());
    const Bytes data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    auto u32 = [&](std::size_t at) {
        return static_cast<std::uint32_t>(data[at] | data[at + 1] << 8 | data[at + 2] << 16 |
                                          data[at + 3] << 24);
    };
    std::vector<Bytes> frames;
    for (std::size_t at = 0; at + 12 <= data.size();) {
        const std::uint32_t type = u32(at), length = u32(at + 4);
        cr_assert(length >= 12 && at + length <= data.size(), "bad block in %s", path.c_str());
        if (type == 6) {
            const std::uint32_t captured = u32(at + 20);
            frames.emplace_back(data.begin() + static_cast<long>(at + 28),
                                data.begin() + static_cast<long>(at + 28 + captured));
        }
        at += length;
    }
    return frames;
}

struct Frame {
    Bytes ip;        // from the IP header on
    Datagram datagram;
};

// Strips Ethernet; for IPv6 the test plays the kernel's part (the raw socket
// gives the payload, the source and the hop limit separately).
Frame strip(const Bytes& frame) {
    Frame out;
    const int ethertype = frame[12] << 8 | frame[13];
    out.ip.assign(frame.begin() + 14, frame.end());
    if (ethertype == 0x0800) {
        auto split = split_ipv4(out.ip);
        cr_assert(std::holds_alternative<Datagram>(split));
        out.datagram = std::get<Datagram>(split);
    } else {
        cr_assert_eq(ethertype, 0x86dd);
        const std::size_t length = static_cast<std::size_t>(out.ip[4] << 8 | out.ip[5]);
        cr_assert_eq(out.ip[6], 112);
        out.datagram.ttl = out.ip[7];
        out.datagram.source = Address::from_bytes(Family::ipv6, &out.ip[8]);
        out.datagram.destination = Address::from_bytes(Family::ipv6, &out.ip[24]);
        out.datagram.payload = std::span<const std::uint8_t>(out.ip).subspan(40, length);
    }
    return out;
}

Received parse_ok(const Datagram& datagram, bool check_ttl = true) {
    auto parsed = parse_advert(datagram, check_ttl);
    if (auto* failure = std::get_if<ParseFailure>(&parsed))
        cr_assert_fail("dropped: %s", drop_reason_name(failure->reason));
    return std::get<Received>(parsed);
}

DropReason parse_fails(const Datagram& datagram, bool check_ttl = true) {
    auto parsed = parse_advert(datagram, check_ttl);
    cr_assert(std::holds_alternative<ParseFailure>(parsed), "accepted, expected a drop");
    return std::get<ParseFailure>(parsed).reason;
}

Address addr(const char* text) { return *Address::parse(text); }

const std::string vectors = "tests/unit/vrrp_vectors/keepalived-2.2.7-";

struct Golden {
    const char* file;
    int version;
    std::vector<Address> vips;
    ChecksumForm form;
    AuthType auth;
};

void check_golden(const Golden& golden) {
    auto frames = read_pcapng(vectors + golden.file);
    cr_assert_eq(frames.size(), 3u, "%s", golden.file);
    for (const Bytes& raw : frames) {
        Frame frame = strip(raw);
        cr_expect_eq(*frame.datagram.ttl, 255);
        Received received = parse_ok(frame.datagram);
        const Advert& advert = received.advert;
        cr_expect_eq(advert.version, golden.version, "%s", golden.file);
        cr_expect_eq(advert.vrid, 51);
        cr_expect_eq(advert.priority, 150);
        cr_expect_eq(advert.interval_centis, 100);
        cr_expect(advert.addresses == golden.vips, "%s: addresses", golden.file);
        cr_expect(received.checksum_form == golden.form, "%s: checksum form", golden.file);
        cr_expect(advert.auth_type == golden.auth);
        // Round trip: our builder makes the very same bytes.
        const Bytes built = build_advert(advert, frame.datagram.source, frame.datagram.destination,
                                         golden.form == ChecksumForm::plain && golden.version == 3);
        cr_expect(built == Bytes(frame.datagram.payload.begin(), frame.datagram.payload.end()),
                  "%s: rebuilt advert differs", golden.file);
    }
}

}  // namespace

Test(vrrp_packet, keepalived_v2) {
    check_golden({"v2-ipv4.pcap", 2, {addr("192.0.2.100")}, ChecksumForm::plain, AuthType::none});
}

Test(vrrp_packet, keepalived_v2_pass) {
    check_golden({"v2-ipv4-pass.pcap", 2, {addr("192.0.2.100")}, ChecksumForm::plain, AuthType::pass});
    Frame frame = strip(read_pcapng(vectors + "v2-ipv4-pass.pcap")[0]);
    Received received = parse_ok(frame.datagram);
    cr_expect(received.advert.auth_data == pass_auth_data("secret12"));
    Expectation expected{2, 100, 100, AuthType::pass, pass_auth_data("secret12"), {addr("192.0.2.100")}};
    cr_expect_not(check_advert(received.advert, expected).has_value());
    expected.auth_data = pass_auth_data("secret13");
    cr_expect(check_advert(received.advert, expected) == DropReason::auth);
    expected.auth_type = AuthType::none;
    cr_expect(check_advert(received.advert, expected) == DropReason::auth);
}

Test(vrrp_packet, keepalived_v3_ipv4_with_pseudo_header) {
    check_golden({"v3-ipv4.pcap", 3, {addr("192.0.2.100"), addr("192.0.2.101")},
                  ChecksumForm::pseudo_header, AuthType::none});
}

Test(vrrp_packet, keepalived_v3_ipv6) {
    check_golden({"v3-ipv6.pcap", 3, {addr("fe80::5e:1"), addr("2001:db8::100")},
                  ChecksumForm::pseudo_header, AuthType::none});
}

Test(vrrp_packet, keepalived_v3_unicast_uses_the_actual_destination) {
    check_golden({"v3-ipv4-unicast.pcap", 3, {addr("192.0.2.100")}, ChecksumForm::pseudo_header,
                  AuthType::none});
    Frame frame = strip(read_pcapng(vectors + "v3-ipv4-unicast.pcap")[0]);
    cr_expect(frame.datagram.destination == addr("192.0.2.12"));
}

Test(vrrp_packet, v3_ipv4_checksum_as_v2_accepted_too) {
    Advert advert;
    advert.vrid = 7;
    advert.priority = 100;
    advert.addresses = {addr("192.0.2.100")};
    const Address source = addr("192.0.2.11"), group = vrrp_group(Family::ipv4);
    Bytes plain = build_advert(advert, source, group, true);
    Bytes pseudo = build_advert(advert, source, group, false);
    cr_expect(plain != pseudo);
    cr_expect_eq(internet_checksum(plain), 0);
    Datagram datagram{plain, source, group, 255};
    cr_expect(parse_ok(datagram).checksum_form == ChecksumForm::plain);
    datagram.payload = pseudo;
    cr_expect(parse_ok(datagram).checksum_form == ChecksumForm::pseudo_header);
    // keepalived < 1.3.6 in unicast: the group address in the pseudo-header.
    const Address peer = addr("192.0.2.12");
    Bytes old_unicast = build_advert(advert, source, group, false);
    Datagram unicast{old_unicast, source, peer, 64};
    cr_expect(parse_ok(unicast, false).checksum_form == ChecksumForm::pseudo_header_group);
}

Test(vrrp_packet, ipv6_requires_the_pseudo_header) {
    Advert advert;
    advert.family = Family::ipv6;
    advert.vrid = 9;
    advert.priority = 100;
    advert.addresses = {addr("fe80::1"), addr("2001:db8::100")};
    const Address source = addr("fe80::2"), group = vrrp_group(Family::ipv6);
    Bytes good = build_advert(advert, source, group);
    Bytes plain = build_advert(advert, source, group, true);  // ignored for IPv6
    cr_expect(good == plain);
    Datagram datagram{good, source, group, 255};
    cr_expect(parse_ok(datagram).advert == advert);
    // Same bytes, checksummed without the pseudo-header: refused for IPv6.
    Bytes wrong = good;
    wrong[6] = wrong[7] = 0;
    const std::uint16_t sum = internet_checksum(wrong);
    wrong[6] = static_cast<std::uint8_t>(sum >> 8);
    wrong[7] = static_cast<std::uint8_t>(sum);
    datagram.payload = wrong;
    cr_expect(parse_fails(datagram) == DropReason::checksum);
}

Test(vrrp_packet, round_trips) {
    for (int version : {2, 3})
        for (int priority : {0, 1, 100, 254, 255})
            for (int interval : {100, 200, 25500}) {
                Advert advert;
                advert.version = version;
                advert.vrid = 200;
                advert.priority = static_cast<std::uint8_t>(priority);
                advert.interval_centis = static_cast<std::uint16_t>(version == 3 ? interval % 4096 : interval);
                advert.addresses = {addr("192.0.2.1"), addr("192.0.2.2"), addr("198.51.100.7")};
                if (version == 2) {
                    advert.auth_type = AuthType::pass;
                    advert.auth_data = pass_auth_data("pw");
                }
                const Address source = addr("192.0.2.11"), group = vrrp_group(Family::ipv4);
                Bytes wire = build_advert(advert, source, group);
                Datagram datagram{wire, source, group, 255};
                cr_expect(parse_ok(datagram).advert == advert, "v%d prio %d int %d", version,
                          priority, interval);
            }
}

Test(vrrp_packet, drop_reasons) {
    Advert advert;
    advert.vrid = 51;
    advert.priority = 100;
    advert.addresses = {addr("192.0.2.100")};
    const Address source = addr("192.0.2.11"), group = vrrp_group(Family::ipv4);
    const Bytes good = build_advert(advert, source, group);
    auto with = [&](Bytes bytes, std::optional<int> ttl = 255) {
        static Bytes keep;
        keep = std::move(bytes);
        return Datagram{keep, source, group, ttl};
    };
    cr_expect(parse_fails(with(good, 254)) == DropReason::ttl);
    cr_expect(parse_ok(with(good, 64), false).advert.vrid == 51, "unicast: no TTL check");
    cr_expect(parse_fails(with(Bytes(good.begin(), good.begin() + 5))) == DropReason::too_short);
    Bytes longer = good;
    longer.push_back(0);
    cr_expect(parse_fails(with(longer)) == DropReason::length);
    cr_expect(parse_fails(with(Bytes(good.begin(), good.end() - 1))) == DropReason::length);
    Bytes bad_count = good;
    bad_count[3] = 2;
    cr_expect(parse_fails(with(bad_count)) == DropReason::length);
    Bytes bad_version = good;
    bad_version[0] = 0x41;
    cr_expect(parse_fails(with(bad_version)) == DropReason::version);
    Bytes bad_type = good;
    bad_type[0] = 0x32;
    cr_expect(parse_fails(with(bad_type)) == DropReason::type);
    Bytes bad_sum = good;
    bad_sum[7] ^= 1;
    cr_expect(parse_fails(with(bad_sum)) == DropReason::checksum);
    auto failure = std::get<ParseFailure>(parse_advert(with(bad_sum), true));
    cr_expect(failure.vrid == 51, "a drop names its VRID, so it is counted for the instance");

    Received received = parse_ok(with(good));
    Expectation expected{3, 100, 100, AuthType::none, {}, {addr("192.0.2.100")}};
    cr_expect_not(check_advert(received.advert, expected).has_value());
    expected.addresses = {addr("192.0.2.101")};
    cr_expect(check_advert(received.advert, expected) == DropReason::address_list);
    expected.check_addresses = false;
    cr_expect_not(check_advert(received.advert, expected).has_value());
    expected.version = 2;
    cr_expect(check_advert(received.advert, expected) == DropReason::version);
    expected.version = 3;
    expected.priority = 255;
    cr_expect(check_advert(received.advert, expected) == DropReason::owner);
    // v3 backups learn the interval; v2 must match it.
    expected.priority = 100;
    expected.interval_centis = 200;
    cr_expect_not(check_advert(received.advert, expected).has_value());
    advert.version = 2;
    const Bytes v2 = build_advert(advert, source, group);
    Received v2_received = parse_ok(with(v2));
    expected.version = 2;
    cr_expect(check_advert(v2_received.advert, expected) == DropReason::interval);
}

Test(vrrp_packet, ipv4_header_is_checked) {
    auto frames = read_pcapng(vectors + "v2-ipv4.pcap");
    Bytes ip(frames[0].begin() + 14, frames[0].end());
    Bytes truncated(ip.begin(), ip.begin() + 19);
    cr_expect(std::get<ParseFailure>(split_ipv4(truncated)).reason == DropReason::too_short);
    Bytes lying = ip;
    lying[3] = static_cast<std::uint8_t>(lying[3] + 4);  // total length past the buffer
    cr_expect(std::get<ParseFailure>(split_ipv4(lying)).reason == DropReason::too_short);
    Bytes other = ip;
    other[9] = 6;
    cr_expect(std::get<ParseFailure>(split_ipv4(other)).reason == DropReason::protocol);
}

Test(vrrp_packet, prefixes) {
    cr_expect(Prefix::parse("192.0.2.100/24")->length == 24);
    cr_expect(Prefix::parse("2001:db8::1")->length == 128);
    cr_expect_not(Prefix::parse("192.0.2.1/33").has_value());
    cr_expect_not(Prefix::parse("192.0.2.1/").has_value());
    cr_expect(addr("fe80::1").is_link_local());
    cr_expect(addr("192.0.2.12") > addr("192.0.2.11"));
}
