// The IPVS table's pure values: addresses parsed and printed, the text of
// service keys and operations (what logs and hactl show), and the ordering
// and equality the reconciler relies on to compare the desired table with
// the kernel's.
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/ip_vs.h>

#include <map>
#include <string>
#include <vector>

#include "ipvsd/ipvs_table.h"

using namespace hakeep::ipvsd;

// Criterion evaluates its arguments more than once, so temporaries are pinned first.
#define EXPECT_STR(actual, expected)                                    \
    do {                                                                \
        const std::string actual_text_ = (actual);                      \
        const std::string expected_text_ = (expected);                  \
        cr_assert_str_eq(actual_text_.c_str(), expected_text_.c_str()); \
    } while (0)

namespace {

Address address(const char* text) {
    const auto parsed = Address::parse(text);
    cr_assert(parsed.has_value(), "'%s' should parse", text);
    return *parsed;
}

ServiceKey tcp(const char* text, std::uint16_t port) {
    ServiceKey key;
    key.protocol = IPPROTO_TCP;
    key.address = address(text);
    key.family = key.address.family;
    key.port = port;
    return key;
}

ServiceKey fwmark(std::uint32_t mark, int family = AF_INET) {
    ServiceKey key;
    key.family = family;
    key.protocol = 0;
    key.fwmark = mark;
    return key;
}

Operation operation(Operation::Kind kind) {
    Operation op{};
    op.kind = kind;
    op.service = tcp("192.0.2.100", 80);
    op.destination = {address("203.0.113.11"), 8080};
    return op;
}

}  // namespace

Test(ipvs_table, ipv4_address_parses_into_the_first_four_bytes) {
    const Address a = address("192.0.2.1");
    cr_assert_eq(a.family, AF_INET);
    const std::array<std::uint8_t, 16> expected{192, 0, 2, 1};
    cr_assert(a.bytes == expected, "the 12 bytes after an IPv4 address must be zero");
    EXPECT_STR(a.to_string(), "192.0.2.1");
    // Every width of a byte, as inet_ntop writes them.
    for (const char* text : {"0.0.0.0", "255.255.255.255", "10.100.9.199", "203.0.113.20"})
        EXPECT_STR(address(text).to_string(), text);
}

Test(ipvs_table, ipv6_address_parses_and_prints_canonically) {
    const Address a = address("2001:0db8:0:0::0001");
    cr_assert_eq(a.family, AF_INET6);
    cr_assert_eq(a.bytes[0], 0x20);
    cr_assert_eq(a.bytes[1], 0x01);
    cr_assert_eq(a.bytes[15], 0x01);
    EXPECT_STR(a.to_string(), "2001:db8::1");
    EXPECT_STR(address("::").to_string(), "::");
    EXPECT_STR(address("::ffff:192.0.2.1").to_string(), "::ffff:192.0.2.1");
    cr_assert_eq(address("::ffff:192.0.2.1").family, AF_INET6, "a mapped address stays IPv6");
}

Test(ipvs_table, invalid_addresses_are_refused) {
    for (const char* text :
         {"", "192.0.2", "192.0.2.256", "192.0.2.1.5", " 192.0.2.1", "192.0.2.1 ", "192.0.2.1/24",
          "192.0.2.1:80", "[2001:db8::1]", "2001:db8::1::2", "2001:db8:::1", "2001:db8::g",
          "www.example.org", "0x7f.1"})
        cr_assert(!Address::parse(text).has_value(), "'%s' should not parse", text);
}

Test(ipvs_table, address_of_an_unknown_family_prints_as_such) {
    Address a;
    a.family = AF_UNIX;
    EXPECT_STR(a.to_string(), "(address family 1)");
}

Test(ipvs_table, addresses_compare_by_family_then_bytes) {
    cr_assert(address("192.0.2.1") == address("192.0.2.1"));
    cr_assert(address("2001:db8::1") == address("2001:db8:0::1"));
    cr_assert(address("192.0.2.9") < address("192.0.2.10"), "byte-wise, not text order");
    cr_assert(address("203.0.113.1") < address("2001:db8::1"), "IPv4 before IPv6");
    cr_assert(address("192.0.2.1") != address("::ffff:192.0.2.1"));
    // Each byte counts, in both halves, as memcmp ordered them.
    cr_assert(address("2001:db8::1") < address("2001:db8::100"));
    cr_assert(address("2001:db8::ff00") < address("2001:db8::1:0"));
    cr_assert(address("2001:db8:ffff:ffff::") < address("2001:db9::"));
    cr_assert(address("255.0.0.0") > address("254.255.255.255"));
    cr_assert((address("2001:db8::1") <=> address("2001:db8::1")) == 0);
    Address default_address;
    cr_assert(default_address == Address{}, "the default is IPv4 0.0.0.0");
    EXPECT_STR(default_address.to_string(), "0.0.0.0");
}

Test(ipvs_table, forwarding_names) {
    EXPECT_STR(forwarding_name(Forwarding::masquerade), "NAT");
    EXPECT_STR(forwarding_name(Forwarding::route), "DR");
    EXPECT_STR(forwarding_name(Forwarding::tunnel), "TUN");
    EXPECT_STR(forwarding_name(Forwarding::local), "local");
    EXPECT_STR(forwarding_name(Forwarding::bypass), "bypass");
    EXPECT_STR(forwarding_name(static_cast<Forwarding>(7)), "unknown");
}

Test(ipvs_table, service_key_text) {
    EXPECT_STR(tcp("192.0.2.100", 80).to_string(), "TCP 192.0.2.100:80");
    ServiceKey udp6 = tcp("2001:db8::1", 53);
    udp6.protocol = IPPROTO_UDP;
    EXPECT_STR(udp6.to_string(), "UDP [2001:db8::1]:53");
    ServiceKey sctp = tcp("192.0.2.1", 3868);
    sctp.protocol = IPPROTO_SCTP;
    EXPECT_STR(sctp.to_string(), "SCTP 192.0.2.1:3868");
    ServiceKey other = tcp("192.0.2.1", 1);
    other.protocol = 99;
    EXPECT_STR(other.to_string(), "proto 99 192.0.2.1:1");
    EXPECT_STR(fwmark(7).to_string(), "FWM 7");
    EXPECT_STR(fwmark(7, AF_INET6).to_string(), "FWM 7 IPv6");
    EXPECT_STR(fwmark(4294967295U).to_string(), "FWM 4294967295");
}

Test(ipvs_table, service_keys_order_and_equality) {
    cr_assert(tcp("192.0.2.1", 80) == tcp("192.0.2.1", 80));
    cr_assert(tcp("192.0.2.1", 80) != tcp("192.0.2.1", 81));
    cr_assert(fwmark(7) != fwmark(7, AF_INET6), "an IPv6 fwmark service is another service");
    ServiceKey udp = tcp("192.0.2.1", 80);
    udp.protocol = IPPROTO_UDP;
    cr_assert(udp != tcp("192.0.2.1", 80));

    // A Table is a std::map: the same keys in any insertion order give the
    // same iteration order, so two tables compare and print the same.
    const std::vector<ServiceKey> keys = {
        fwmark(9, AF_INET6), tcp("2001:db8::1", 443), udp, tcp("192.0.2.2", 80),
        fwmark(7),           tcp("192.0.2.1", 80)};
    Table forward, backward;
    for (const ServiceKey& key : keys) forward[key];
    for (auto key = keys.rbegin(); key != keys.rend(); ++key) backward[*key];
    cr_assert_eq(forward.size(), keys.size());
    std::vector<std::string> order;
    for (const auto& entry : forward) order.push_back(entry.first.to_string());
    std::vector<std::string> other_order;
    for (const auto& entry : backward) other_order.push_back(entry.first.to_string());
    cr_assert(order == other_order);
    EXPECT_STR(order.front(), "FWM 7");  // family, then protocol 0 before TCP
}

Test(ipvs_table, settings_equality_covers_every_field) {
    ServiceSettings service;
    cr_assert(service == ServiceSettings{});
    service.netmask = htonl(0xffffff00);
    cr_assert(service != ServiceSettings{});
    ServiceSettings pe;
    pe.pe_name = "sip";
    cr_assert(pe != ServiceSettings{});

    DestinationSettings destination;
    cr_assert(destination == DestinationSettings{});
    destination.tunnel_flags = 1;
    cr_assert(destination != DestinationSettings{});
    DestinationSettings weight;
    weight.weight = 0;
    cr_assert(weight != DestinationSettings{}, "a drained destination differs");
    cr_assert((DestinationKey{address("203.0.113.1"), 80}) <
              (DestinationKey{address("203.0.113.1"), 81}));
}

Test(ipvs_table, service_operation_text) {
    Operation add = operation(Operation::Kind::add_service);
    add.service_settings.scheduler = "rr";
    EXPECT_STR(add.to_string(), "add service TCP 192.0.2.100:80 scheduler rr");

    Operation edit = operation(Operation::Kind::edit_service);
    edit.service_settings.scheduler = "sh";
    edit.service_settings.timeout = 300;
    edit.service_settings.netmask = htonl(0xffffff00);
    edit.service_settings.flags = IP_VS_SVC_F_PERSISTENT | 0x18;
    edit.service_settings.pe_name = "sip";
    EXPECT_STR(edit.to_string(),
               "edit service TCP 192.0.2.100:80 scheduler sh persistent 300 mask 255.255.255.0 "
               "flags 0x18 pe sip");

    Operation v6 = operation(Operation::Kind::add_service);
    v6.service = fwmark(7, AF_INET6);
    v6.service_settings.timeout = 60;
    v6.service_settings.netmask = 64;
    EXPECT_STR(v6.to_string(), "add service FWM 7 IPv6 scheduler wlc persistent 60 mask /64");

    // The whole address is the default granularity; a mask without
    // persistence means nothing: neither is shown, as in ipvsadm -L.
    Operation whole = operation(Operation::Kind::add_service);
    whole.service_settings.timeout = 300;
    whole.service_settings.netmask = 0xffffffff;
    whole.service_settings.flags = IP_VS_SVC_F_PERSISTENT;
    EXPECT_STR(whole.to_string(), "add service TCP 192.0.2.100:80 scheduler wlc persistent 300");
    whole.service = fwmark(8, AF_INET6);
    whole.service_settings.netmask = 128;
    EXPECT_STR(whole.to_string(), "add service FWM 8 IPv6 scheduler wlc persistent 300");
    Operation plain = operation(Operation::Kind::add_service);
    plain.service_settings.netmask = htonl(0xffff0000);
    EXPECT_STR(plain.to_string(), "add service TCP 192.0.2.100:80 scheduler wlc");

    EXPECT_STR(operation(Operation::Kind::delete_service).to_string(),
               "delete service TCP 192.0.2.100:80");
}

Test(ipvs_table, destination_operation_text) {
    Operation add = operation(Operation::Kind::add_destination);
    add.destination_settings.weight = 3;
    EXPECT_STR(add.to_string(),
               "add destination TCP 192.0.2.100:80 -> 203.0.113.11:8080 NAT weight 3");

    Operation edit = operation(Operation::Kind::edit_destination);
    edit.service = tcp("2001:db8::1", 443);
    edit.destination = {address("2001:db8::11"), 8443};
    edit.destination_settings.forwarding = Forwarding::route;
    edit.destination_settings.weight = 0;
    edit.destination_settings.upper_threshold = 100;
    edit.destination_settings.lower_threshold = 10;
    EXPECT_STR(edit.to_string(),
               "edit destination TCP [2001:db8::1]:443 -> [2001:db8::11]:8443 DR "
               "weight 0 upper 100 lower 10");

    Operation tunnel = operation(Operation::Kind::add_destination);
    tunnel.destination_settings.forwarding = Forwarding::tunnel;
    tunnel.destination_settings.tunnel_type = 1;
    tunnel.destination_settings.tunnel_port = 6080;
    tunnel.destination_settings.tunnel_flags = 1;
    EXPECT_STR(tunnel.to_string(),
               "add destination TCP 192.0.2.100:80 -> 203.0.113.11:8080 TUN "
               "weight 1 tunnel gue port 6080 flags 0x1");

    EXPECT_STR(operation(Operation::Kind::delete_destination).to_string(),
               "delete destination TCP 192.0.2.100:80 -> 203.0.113.11:8080");
}

Test(ipvs_table, global_operation_text) {
    Operation timeouts = operation(Operation::Kind::set_timeouts);
    timeouts.timeouts = {900, 120, 300};
    EXPECT_STR(timeouts.to_string(), "set timeouts tcp 900 tcpfin 120 udp 300");

    Operation start = operation(Operation::Kind::start_sync_daemon);
    start.sync_daemon = {SyncDaemon::Role::backup, "eth1", 51};
    EXPECT_STR(start.to_string(), "start sync daemon backup eth1 syncid 51");

    Operation stop = operation(Operation::Kind::stop_sync_daemon);
    stop.sync_daemon.role = SyncDaemon::Role::master;
    EXPECT_STR(stop.to_string(), "stop sync daemon master");
}
