// vrrpd/config: the keywords of use_vmac, virtual_routes, virtual_rules and
// unicast_peer's TTL bounds, and their errors (FILE:LINE:COL: message).
#include <criterion/criterion.h>

#include <linux/rtnetlink.h>

#include "tests/unit/fake_files.h"
#include "vrrpd/config.h"

using namespace hakeep;
using namespace hakeep::vrrpd;

namespace {

VrrpdConfig parse(const std::string& body) {
    config::FakeFiles files{{"/t.conf", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n" + body + "}\n"}};
    return load_vrrpd_config("/t.conf", files);
}

std::string error(const std::string& body) {
    try {
        parse(body);
    } catch (const config::ConfigError& failure) {
        return failure.what();
    }
    return "(no error)";
}

}  // namespace

#define EXPECT_ERROR(body, expected)                                                  \
    do {                                                                              \
        const std::string actual = error(body);                                      \
        cr_expect_str_eq(actual.c_str(), expected, "got: %s", actual.c_str());       \
    } while (0)

Test(vrrp_config, use_vmac_default_names_and_macs) {
    VrrpInstanceConfig v4 = parse(" use_vmac\n virtual_ipaddress {\n 192.0.2.100/24\n }\n").instances[0];
    cr_expect(v4.use_vmac);
    cr_expect_eq(v4.vmac_name, "vrrp.51");
    const std::array<std::uint8_t, 6> mac4{0x00, 0x00, 0x5e, 0x00, 0x01, 51};
    cr_expect(v4.vmac_address() == mac4);
    cr_expect(!v4.vmac_xmit_base);
    VrrpInstanceConfig v6 = parse(" use_vmac\n vmac_xmit_base\n virtual_ipaddress {\n 2001:db8::100/64\n }\n").instances[0];
    cr_expect_eq(v6.vmac_name, "vrrp6.51");
    const std::array<std::uint8_t, 6> mac6{0x00, 0x00, 0x5e, 0x00, 0x02, 51};
    cr_expect(v6.vmac_address() == mac6);
    cr_expect(v6.vmac_xmit_base);
    cr_expect_eq(parse(" use_vmac vmac51\n").instances[0].vmac_name, "vmac51");
    const std::array<std::uint8_t, 6> chosen{0x02, 0x00, 0x5e, 0xab, 0x0c, 0x01};
    VrrpInstanceConfig both = parse(" use_vmac vmac51 02:00:5e:AB:c:01\n").instances[0];
    cr_expect_eq(both.vmac_name, "vmac51");
    cr_expect(both.vmac_address() == chosen);
    VrrpInstanceConfig mac_first = parse(" use_vmac 02:00:5e:ab:0c:01 vmac51\n").instances[0];
    cr_expect_eq(mac_first.vmac_name, "vmac51");
    cr_expect(mac_first.vmac_address() == chosen);
    VrrpInstanceConfig mac_only = parse(" use_vmac 02:00:5e:ab:0c:01\n").instances[0];
    cr_expect_eq(mac_only.vmac_name, "vrrp.51", "the default name with a MAC alone");
    cr_expect(mac_only.vmac_address() == chosen);
    cr_expect(!parse("").instances[0].use_vmac);
}

Test(vrrp_config, use_vmac_errors) {
    EXPECT_ERROR(" use_vmac a_name_far_too_long\n",
                     "/t.conf:4:11: 'a_name_far_too_long' is not an interface name (1..15 characters, not . or .., no "
                     "'/', ':' or space)");
    EXPECT_ERROR(" use_vmac ..\n",
                 "/t.conf:4:11: '..' is not an interface name (1..15 characters, not . or .., no '/', ':' or space)");
    EXPECT_ERROR(" use_vmac .\n",
                 "/t.conf:4:11: '.' is not an interface name (1..15 characters, not . or .., no '/', ':' or space)");
    // One VMAC per instance: a name given twice, or two default names (same VRID and family).
    EXPECT_ERROR(" use_vmac vm1\n}\nvrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n use_vmac vm1\n",
                 "/t.conf:9:2: VMAC 'vm1' is vrrp_instance 'VI_1''s already: give each instance its own with "
                 "use_vmac NAME");
    EXPECT_ERROR(" use_vmac\n}\nvrrp_instance VI_2 {\n interface eth1\n virtual_router_id 51\n use_vmac\n",
                 "/t.conf:9:2: VMAC 'vrrp.51' is vrrp_instance 'VI_1''s already: give each instance its own with "
                 "use_vmac NAME");
    cr_expect_eq(parse(" use_vmac\n}\nvrrp_instance VI_2 {\n interface eth1\n virtual_router_id 51\n use_vmac vm2\n")
                     .instances.size(),
                 2u, "names of their own");
    EXPECT_ERROR(" use_vmac eth0\n", "/t.conf:4:2: the VMAC cannot be named as its interface");
    EXPECT_ERROR(" use_vmac 02:00:5e:ab:0c\n", "/t.conf:4:11: '02:00:5e:ab:0c' is not a MAC address (xx:xx:xx:xx:xx:xx)");
    EXPECT_ERROR(" use_vmac 02:00:5e:ab:0c:01:02\n",
                 "/t.conf:4:11: '02:00:5e:ab:0c:01:02' is not a MAC address (xx:xx:xx:xx:xx:xx)");
    EXPECT_ERROR(" use_vmac 02:00:5e:ab:0c:g1\n", "/t.conf:4:11: '02:00:5e:ab:0c:g1' is not a MAC address (xx:xx:xx:xx:xx:xx)");
    EXPECT_ERROR(" use_vmac 02:00:5e:ab:0c:100\n",
                 "/t.conf:4:11: '02:00:5e:ab:0c:100' is not a MAC address (xx:xx:xx:xx:xx:xx)");
    EXPECT_ERROR(" use_vmac 01:00:5e:00:00:12\n", "/t.conf:4:11: '01:00:5e:00:00:12' is not a unicast MAC address");
    EXPECT_ERROR(" use_vmac 0:0:0:0:0:0\n", "/t.conf:4:11: '0:0:0:0:0:0' is not a unicast MAC address");
    EXPECT_ERROR(" use_vmac a b\n", "/t.conf:4:13: 'use_vmac' takes one interface name");
    EXPECT_ERROR(" use_vmac 02:00:00:00:00:01 02:00:00:00:00:02\n", "/t.conf:4:29: 'use_vmac' takes one MAC address");
}

Test(vrrp_config, virtual_routes) {
    const auto routes = parse(" virtual_routes {\n"
                              "  198.51.100.0/24 via 192.0.2.1\n"
                              "  203.0.113.0/24 dev eth1 table 100 metric 5 src 192.0.2.100 scope link\n"
                              "  blackhole 198.51.100.128/25\n"
                              "  203.0.113.64/26 table main blackhole no_track\n"
                              "  2001:db8:1::/48 via 2001:db8::1\n"
                              " }\n")
                            .instances[0]
                            .virtual_routes;
    cr_assert_eq(routes.size(), 5u);
    cr_expect_eq(routes[0].destination.to_string(), "198.51.100.0/24");
    cr_expect(routes[0].via == Address::parse("192.0.2.1"));
    cr_expect_eq(routes[0].table, RT_TABLE_MAIN);
    cr_expect(!routes[0].blackhole && routes[0].device.empty() && !routes[0].metric);
    cr_expect_eq(routes[1].device, "eth1");
    cr_expect_eq(routes[1].table, 100);
    cr_expect(routes[1].metric == 5u);
    cr_expect(routes[1].source == Address::parse("192.0.2.100"));
    cr_expect(routes[1].scope == RT_SCOPE_LINK);
    cr_expect(routes[2].blackhole);
    cr_expect_eq(routes[2].destination.to_string(), "198.51.100.128/25");
    cr_expect(routes[3].blackhole);
    cr_expect(routes[4].via == Address::parse("2001:db8::1"));
    cr_expect_eq(routes[1].to_string(), "203.0.113.0/24 dev eth1 table 100 metric 5 src 192.0.2.100");
}

Test(vrrp_config, virtual_routes_multipath_and_onlink) {
    const auto routes = parse(" virtual_routes {\n"
                              "  198.51.100.0/24 nexthop via 192.0.2.1 weight 2 nexthop via 192.0.2.2 dev eth1"
                              " onlink table 100\n"
                              "  203.0.113.0/24 via 198.51.100.254 dev eth0 onlink\n"
                              "  2001:db8:1::/48 nexthop via 2001:db8::1 nexthop dev eth1 weight 256\n"
                              " }\n")
                            .instances[0]
                            .virtual_routes;
    cr_assert_eq(routes.size(), 3u);
    cr_assert_eq(routes[0].nexthops.size(), 2u);
    cr_expect(!routes[0].via && routes[0].device.empty() && !routes[0].onlink);
    cr_expect(routes[0].nexthops[0].via == Address::parse("192.0.2.1"));
    cr_expect_eq(routes[0].nexthops[0].weight, 2);
    cr_expect(routes[0].nexthops[0].device.empty() && !routes[0].nexthops[0].onlink);
    cr_expect(routes[0].nexthops[1].via == Address::parse("192.0.2.2"));
    cr_expect_eq(routes[0].nexthops[1].device, "eth1");
    cr_expect_eq(routes[0].nexthops[1].weight, 1);
    cr_expect(routes[0].nexthops[1].onlink);
    cr_expect_eq(routes[0].table, 100, "an option after the paths is the route's");
    const std::string multipath = routes[0].to_string();
    cr_expect_str_eq(multipath.c_str(), "198.51.100.0/24 nexthop via 192.0.2.1 weight 2 nexthop via 192.0.2.2 "
                                        "dev eth1 onlink table 100");
    cr_expect(routes[1].onlink && routes[1].nexthops.empty());
    const std::string onlink = routes[1].to_string();
    cr_expect_str_eq(onlink.c_str(), "203.0.113.0/24 via 198.51.100.254 dev eth0 onlink");
    cr_assert_eq(routes[2].nexthops.size(), 2u);
    cr_expect(!routes[2].nexthops[1].via);
    cr_expect_eq(routes[2].nexthops[1].weight, 256);
    cr_expect(!(routes[0] == routes[1]));
}

Test(vrrp_config, virtual_routes_errors) {
    EXPECT_ERROR(" virtual_routes {\n  198.51.100.0/24 via\n }\n", "/t.conf:5:19: 'via' needs a value");
    EXPECT_ERROR(" virtual_routes {\n  198.51.100.0/24 via 2001:db8::1\n }\n",
                     "/t.conf:5:23: '2001:db8::1' is not of the family of 198.51.100.0/24");
    EXPECT_ERROR(" virtual_routes {\n  198.51.100.0/24 weight 3\n }\n",
                     "/t.conf:5:19: 'weight' belongs to a 'nexthop'");
    EXPECT_ERROR(" virtual_routes {\n  198.51.100.0/24 mtu 1400\n }\n",
                     "/t.conf:5:19: unknown virtual_routes option 'mtu' (via, dev, onlink, table, metric, src, "
                     "scope, nexthop, weight, blackhole)");
    EXPECT_ERROR(" virtual_routes {\n  blackhole 198.51.100.0/24 via 192.0.2.1\n }\n",
                     "/t.conf:5:3: a blackhole route takes no 'via', 'dev' or 'nexthop'");
    EXPECT_ERROR(" virtual_routes {\n  blackhole 198.51.100.0/24 nexthop via 192.0.2.1\n }\n",
                     "/t.conf:5:3: a blackhole route takes no 'via', 'dev' or 'nexthop'");
    EXPECT_ERROR(" virtual_routes {\n  198.51.100.0/24 via 192.0.2.1 nexthop via 192.0.2.2\n }\n",
                     "/t.conf:5:3: a route with 'nexthop' paths takes its 'via', 'dev' and 'onlink' in each "
                     "path, not before them");
    EXPECT_ERROR(" virtual_routes {\n  198.51.100.0/24 nexthop weight 2\n }\n",
                     "/t.conf:5:3: each 'nexthop' needs 'via GW' or 'dev IF'");
    EXPECT_ERROR(" virtual_routes {\n  198.51.100.0/24 nexthop via 192.0.2.1 weight 257\n }\n",
                     "/t.conf:5:48: 'weight' must be an integer in 1..256, got '257'");
    EXPECT_ERROR(" virtual_routes {\n  198.51.100.0/24 nexthop dev eth0 onlink\n }\n",
                     "/t.conf:5:3: 'onlink' needs a gateway ('via GW')");
    EXPECT_ERROR(" virtual_routes {\n  198.51.100.0/24 nexthop via 2001:db8::1\n }\n",
                     "/t.conf:5:31: '2001:db8::1' is not of the family of 198.51.100.0/24");
    EXPECT_ERROR(" virtual_routes {\n  nonsense\n }\n", "/t.conf:5:3: 'nonsense' is not an ADDRESS[/PREFIX]");
}

Test(vrrp_config, virtual_rules) {
    const auto rules = parse(" virtual_rules {\n"
                             "  from 192.0.2.100/32 table 100 priority 1000\n"
                             "  to 198.51.100.0/24 lookup 101\n"
                             "  from 2001:db8::100 to 2001:db8:1::/48 table 7 pref 9\n"
                             " }\n")
                           .instances[0]
                           .virtual_rules;
    cr_assert_eq(rules.size(), 3u);
    cr_expect_eq(rules[0].from->to_string(), "192.0.2.100/32");
    cr_expect(!rules[0].to);
    cr_expect_eq(rules[0].table, 100);
    cr_expect(rules[0].priority == 1000u);
    cr_expect(rules[1].to && !rules[1].from && !rules[1].priority);
    cr_expect_eq(rules[1].table, 101);
    cr_expect(rules[2].family == Family::ipv6);
    cr_expect_eq(rules[2].to_string(), "from 2001:db8::100/128 to 2001:db8:1::/48 table 7 priority 9");
}

Test(vrrp_config, virtual_rules_errors) {
    EXPECT_ERROR(" virtual_rules {\n  table 100\n }\n",
                     "/t.conf:5:3: a virtual_rules entry needs 'from PREFIX' or 'to PREFIX'");
    EXPECT_ERROR(" virtual_rules {\n  from 192.0.2.1 to 2001:db8::/32\n }\n",
                     "/t.conf:5:21: 'from' and 'to' must be of one family");
    EXPECT_ERROR(" virtual_rules {\n  from 192.0.2.1 fwmark 3\n }\n",
                     "/t.conf:5:18: unknown virtual_rules option 'fwmark' (from, to, table, priority)");
}

Test(vrrp_config, unicast_peer_ttl_bounds) {
    const auto instance = parse(" unicast_src_ip 192.0.2.11\n unicast_peer {\n  192.0.2.12 min_ttl 250 max_ttl 255\n"
                                "  192.0.2.13\n }\n")
                              .instances[0];
    cr_assert_eq(instance.unicast_peer.size(), 2u);
    cr_assert_eq(instance.unicast_peer_ttl.size(), 2u);
    cr_expect(instance.unicast_peer_ttl[0].min_ttl == 250);
    cr_expect(instance.unicast_peer_ttl[0].max_ttl == 255);
    cr_expect(!instance.unicast_peer_ttl[1].min_ttl && !instance.unicast_peer_ttl[1].max_ttl);
    EXPECT_ERROR(" unicast_peer {\n  192.0.2.12 min_ttl 256\n }\n",
                     "/t.conf:5:22: 'min_ttl' must be an integer in 0..255, got '256'");
    EXPECT_ERROR(" unicast_peer {\n  192.0.2.12 min_ttl 9 max_ttl 3\n }\n",
                     "/t.conf:5:3: unicast_peer 192.0.2.12: min_ttl > max_ttl");
    EXPECT_ERROR(" unicast_peer {\n  192.0.2.12 ttl 9\n }\n",
                     "/t.conf:5:14: unexpected 'ttl' (expected: min_ttl N, max_ttl N)");
}
