// vrrpd/garp: the gratuitous ARP and unsolicited NA frames, byte for byte.
// The expected bytes were built independently (RFC 5227 §2.3 announcement;
// RFC 4861 §4.4 NA with the ICMPv6 checksum over the RFC 8200 pseudo-header,
// computed by a separate Python script).
#include <criterion/criterion.h>

#include "vrrpd/garp.h"

using namespace hakeep::vrrpd;

namespace {

using Bytes = std::vector<std::uint8_t>;
const Mac virtual_mac4{0x00, 0x00, 0x5e, 0x00, 0x01, 0x33};
const Mac virtual_mac6{0x00, 0x00, 0x5e, 0x00, 0x02, 0x33};

void expect_bytes(const Bytes& actual, const Bytes& expected) {
    cr_assert_eq(actual.size(), expected.size(), "size %zu, expected %zu", actual.size(), expected.size());
    for (std::size_t index = 0; index < expected.size(); ++index)
        cr_expect_eq(actual[index], expected[index], "byte %zu: 0x%02x, expected 0x%02x", index, actual[index],
                     expected[index]);
}

}  // namespace

Test(vrrp_garp, gratuitous_arp_golden) {
    Bytes expected = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // to broadcast
        0x00, 0x00, 0x5e, 0x00, 0x01, 0x33,  // from the virtual MAC
        0x08, 0x06,                          // ARP
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04,  // Ethernet, IPv4, lengths 6 and 4
        0x00, 0x01,                          // request (the announcement form)
        0x00, 0x00, 0x5e, 0x00, 0x01, 0x33,  // sender MAC
        192,  0,    2,    100,               // sender IP: the VIP
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // target MAC: zero
        192,  0,    2,    100,               // target IP: the VIP
    };
    expected.resize(60, 0);  // padded to the minimum Ethernet frame (without FCS)
    expect_bytes(build_gratuitous_arp(virtual_mac4, *Address::parse("192.0.2.100")), expected);
}

Test(vrrp_garp, unsolicited_na_golden) {
    const Bytes expected = {
        0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x5e, 0x00, 0x02, 0x33, 0x86, 0xdd,  // Ethernet
        0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff,  // IPv6: payload 32, ICMPv6, hop limit 255
        0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // fe80::1
        0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // ff02::1
        0x88, 0x00, 0x49, 0x31,  // NA, code 0, checksum
        0xa0, 0x00, 0x00, 0x00,  // Router and Override
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,  // target
        0x02, 0x01, 0x00, 0x00, 0x5e, 0x00, 0x02, 0x33,  // target link-layer address option
    };
    expect_bytes(build_unsolicited_na(virtual_mac6, *Address::parse("fe80::1"), *Address::parse("2001:db8::100")),
                 expected);
}

Test(vrrp_garp, na_checksum_covers_the_source) {
    // Another source address must give another checksum (the pseudo-header is used).
    const auto one = build_unsolicited_na(virtual_mac6, *Address::parse("fe80::1"), *Address::parse("2001:db8::100"));
    const auto two = build_unsolicited_na(virtual_mac6, *Address::parse("fe80::2"), *Address::parse("2001:db8::100"));
    cr_expect(one[56] != two[56] || one[57] != two[57]);
}
