// Each daemon's configuration: the shipped examples load, and each daemon's
// own validation errors name FILE:LINE:COL.
#include <criterion/criterion.h>

#include "tests/unit/fake_files.h"

#include <map>
#include <string>

#include "checkd/config.h"
#include "ipvsd/config.h"
#include "vrrpd/config.h"
#include "tests/unit/expect_text.h"

using namespace hakeep;

namespace {

template <typename Load>
std::string error_of(const std::string& text, Load load) {
    config::FakeFiles files{{"/t.conf", text}};
    try {
        load("/t.conf", files);
    } catch (const config::ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

std::string vrrpd_error(const std::string& text) { return error_of(text, vrrpd::load_vrrpd_config); }
std::string ipvsd_error(const std::string& text) { return error_of(text, ipvsd::load_ipvsd_config); }
std::string checkd_error(const std::string& text) { return error_of(text, checkd::load_checkd_config); }

}  // namespace

Test(daemon_configs, shipped_examples_load) {
    config::DiskFileSource disk;
    const auto vrrp = vrrpd::load_vrrpd_config("conf/vrrpd.conf", disk);
    cr_assert_eq(vrrp.instances.size(), 1u);
    cr_expect_str_eq(vrrp.instances[0].name.c_str(), "VI_1");
    cr_expect_eq(vrrp.instances[0].virtual_router_id, 51);
    cr_expect_eq(vrrp.instances[0].priority, 110);
    cr_expect_eq(vrrp.instances[0].advert_int_centis, 100);
    cr_expect_not(vrrp.instances[0].preempt);
    cr_expect_eq(vrrp.global.peer_stale_timeout.count(), 30000);
    const auto ipvs = ipvsd::load_ipvsd_config("conf/ipvsd.conf", disk);
    cr_assert_eq(ipvs.virtual_servers.size(), 5u);
    cr_expect_str_eq(ipvs.virtual_servers[0].scheduler.c_str(), "wrr");
    cr_assert_eq(ipvs.virtual_servers[0].real_servers.size(), 2u);
    cr_expect_eq(ipvs.virtual_servers[0].real_servers[0].weight, 3);
    cr_expect_str_eq(ipvs.virtual_servers[0].real_servers[1].track_check.c_str(), "web2");
    const auto check = checkd::load_checkd_config("conf/checkd.conf", disk);
    cr_assert_eq(check.checks.size(), 3u);
    cr_expect_eq(check.checks[0].rise, 2);
    cr_expect_eq(check.checks[0].fall, 3);
    cr_expect_eq(check.checks[0].delay_loop_ms, 2000);
    cr_expect(check.checks[2].is_vrrp_script);
    cr_expect_eq(check.checks[2].delay_loop_ms, 2000);
}

Test(daemon_configs, vrrpd_errors) {
    EXPECT_TEXT(vrrpd_error("vrrp_instance A {\n  interface eth0\n  virtual_router_id 1\n"
                                 "  priority 0\n}\n"),
                     "/t.conf:4:12: 'priority' must be an integer in 1..255, got '0'");
    EXPECT_TEXT(vrrpd_error("vrrp_instance A {\n  virtual_router_id 1\n}\n"),
                     "/t.conf:1:1: vrrp_instance 'A' needs 'interface'");
    EXPECT_TEXT(vrrpd_error("vrrp_instance A {\n  interface eth0\n}\n"),
                     "/t.conf:1:1: vrrp_instance 'A' needs 'virtual_router_id'");
    EXPECT_TEXT(vrrpd_error("vrrp_instance A {\n interface e\n virtual_router_id 1\n"
                                 " state LEADER\n}\n"),
                     "/t.conf:4:8: 'state' must be one of MASTER, BACKUP, got 'LEADER'");
    EXPECT_TEXT(vrrpd_error("vrrp_instance A {\n interface e\n virtual_router_id 1\n"
                                 " advert_int 0.5\n version 2\n}\n"),
                     "/t.conf:4:13: 'advert_int' must be an integer in 1..255, got '0.5'");
    EXPECT_TEXT(vrrpd_error("vrrp_instance A { interface e  virtual_router_id 1 }\n"
                                 "vrrp_instance A { interface e  virtual_router_id 2 }\n"),
                     "/t.conf:2:15: vrrp_instance 'A' defined twice");
    EXPECT_TEXT(vrrpd_error("vrrp_instance A { interface e  virtual_router_id 1 }\n"
                                 "vrrp_sync_group G {\n group {\n  A\n  B\n }\n}\n"),
                     "/t.conf:5:3: vrrp_sync_group 'G' names unknown vrrp_instance 'B'");
}

Test(daemon_configs, vrrpd_v3_advert_int_in_centiseconds) {
    config::FakeFiles files;
    files.add("/t.conf", "vrrp_instance A {\n interface e\n virtual_router_id 1\n"
                             " version 3\n advert_int 0.01\n}\n");
    cr_expect_eq(vrrpd::load_vrrpd_config("/t.conf", files).instances[0].advert_int_centis, 1);
}

Test(daemon_configs, ipvsd_errors) {
    EXPECT_TEXT(ipvsd_error("virtual_server 192.0.2.300 80 {\n}\n"),
                     "/t.conf:1:16: '192.0.2.300' is not an IPv4 or IPv6 address");
    EXPECT_TEXT(ipvsd_error("virtual_server 192.0.2.1 80 {\n lb_kind MASQ\n}\n"),
                     "/t.conf:2:10: 'lb_kind' must be one of NAT, DR, TUN, got 'MASQ'");
    EXPECT_TEXT(ipvsd_error("virtual_server 192.0.2.1 80 {\n lb_algo xyz\n}\n"),
                     "/t.conf:2:10: 'lb_algo' must be one of rr, wrr, lc, wlc, lblc, lblcr, dh, "
                     "sh, sed, nq, fo, ovf, mh, got 'xyz'");
    EXPECT_TEXT(ipvsd_error("virtual_server 192.0.2.1 80 {\n real_server 203.0.113.1 70000\n}\n"),
                     "/t.conf:2:26: 'real_server' must be an integer in 0..65535, got '70000'");
    EXPECT_TEXT(ipvsd_error("virtual_server 192.0.2.1 80 {\n}\nvirtual_server 192.0.2.1 80 {\n}\n"),
                     "/t.conf:3:1: virtual_server 192.0.2.1:80/tcp defined twice");
}

Test(daemon_configs, ipvsd_overlapping_services_name_both_places) {
    // A group member that is also a plain virtual_server.
    EXPECT_TEXT(ipvsd_error("virtual_server_group web {\n 192.0.2.1 80\n 192.0.2.2 80\n}\n"
                            "virtual_server group web {\n}\n"
                            "virtual_server 192.0.2.2 80 {\n}\n"),
                "/t.conf:7:1: service TCP 192.0.2.2:80 declared twice: by virtual_server "
                "192.0.2.2:80/tcp at /t.conf:7:1, and already by virtual_server group web/tcp at "
                "/t.conf:5:1, virtual_server_group web entry at /t.conf:3:2");
    // Two groups sharing an address through a range.
    EXPECT_TEXT(ipvsd_error("virtual_server_group a {\n 192.0.2.1-5 80\n}\n"
                            "virtual_server_group b {\n 192.0.2.4 80\n}\n"
                            "virtual_server group a {\n}\nvirtual_server group b {\n}\n"),
                "/t.conf:5:2: service TCP 192.0.2.4:80 declared twice: by virtual_server group b/tcp "
                "at /t.conf:9:1, virtual_server_group b entry at /t.conf:5:2, and already by "
                "virtual_server group a/tcp at /t.conf:7:1, virtual_server_group a entry at /t.conf:2:2");
    // The same fwmark twice in one group.
    EXPECT_TEXT(ipvsd_error("virtual_server_group m {\n fwmark 7\n fwmark 7\n}\n"
                            "virtual_server group m {\n}\n"),
                "/t.conf:3:2: service FWM 7 declared twice: by virtual_server group m/tcp at "
                "/t.conf:5:1, virtual_server_group m entry at /t.conf:3:2, and already by "
                "virtual_server group m/tcp at /t.conf:5:1, virtual_server_group m entry at /t.conf:2:2");
}

Test(daemon_configs, ipvsd_same_address_other_protocol_is_no_overlap) {
    config::FakeFiles files;
    files.add("/t.conf", "virtual_server_group g {\n 192.0.2.1 53\n}\n"
                         "virtual_server group g {\n protocol UDP\n}\n"
                         "virtual_server group g {\n protocol TCP\n}\n"
                         "virtual_server 192.0.2.1 53 {\n protocol SCTP\n}\n");
    const auto config = ipvsd::load_ipvsd_config("/t.conf", files);
    cr_expect_eq(config.virtual_servers.size(), 3u);
}

Test(daemon_configs, ipvsd_fwmark_and_ipv6) {
    config::FakeFiles files;
    files.add("/t.conf", "virtual_server fwmark 7 {\n lvs_sched rr\n lvs_method DR\n}\n"
                             "virtual_server 2001:db8::1 443 {\n}\n");
    const auto config = ipvsd::load_ipvsd_config("/t.conf", files);
    cr_assert_eq(config.virtual_servers.size(), 2u);
    EXPECT_TEXT(config.virtual_servers[0].label(), "fwmark 7");
    cr_expect(config.virtual_servers[0].forwarding.method == ipvsd::Forwarding::route);
    EXPECT_TEXT(config.virtual_servers[1].label(), "[2001:db8::1]:443/tcp");
}

Test(daemon_configs, checkd_errors) {
    EXPECT_TEXT(checkd_error("check web {\n address 203.0.113.1 80\n}\n"),
                     "/t.conf:1:1: check 'web' has no checker (TCP_CHECK, HTTP_GET, SSL_GET, "
                     "SMTP_CHECK, DNS_CHECK, MISC_CHECK, UDP_CHECK, PING_CHECK or FILE_CHECK)");
    EXPECT_TEXT(checkd_error("check a { address 203.0.113.1 80  TCP_CHECK { } }\nvrrp_script a {\n script /bin/true\n}\n"),
                     "/t.conf:2:13: check 'a' defined twice");
    EXPECT_TEXT(checkd_error("vrrp_script s {\n interval 2\n}\n"),
                     "/t.conf:1:1: vrrp_script 's' needs 'script'");
    EXPECT_TEXT(checkd_error("check a {\n rise 0\n TCP_CHECK { }\n}\n"),
                     "/t.conf:2:7: 'rise' must be an integer in 1..1000, got '0'");
    EXPECT_TEXT(checkd_error("check a {\n TCP_CHECK { helo_name x }\n}\n"),
                     "/t.conf:2:14: unknown keyword 'helo_name' in 'TCP_CHECK'");
}

Test(daemon_configs, ipvsd_rules_the_kernel_would_refuse_later) {
    EXPECT_TEXT(ipvsd_error("virtual_server 192.0.2.1 80 {\n real_server 203.0.113.1 80 {\n"
                            "  lthreshold 10\n }\n}\n"),
                "/t.conf:2:2: 'lthreshold' 10 needs a 'uthreshold' at least as high");
    EXPECT_TEXT(ipvsd_error("virtual_server 192.0.2.1 80 {\n persistence_timeout 60\n"
                            " persistence_granularity 24\n}\n"),
                "/t.conf:3:26: 'persistence_granularity' of an IPv4 service is a mask such as "
                "255.255.255.0");
    EXPECT_TEXT(ipvsd_error("virtual_server 2001:db8::1 80 {\n"
                            " persistence_granularity 255.255.255.0\n}\n"),
                "/t.conf:2:26: 'persistence_granularity' of an IPv6 service is a prefix length "
                "1..128");
}

Test(daemon_configs, ipvsd_real_server_without_port_takes_the_virtual_servers) {
    config::FakeFiles files{{"/t.conf", "virtual_server 192.0.2.1 443 {\n lb_kind DR\n"
                                        " real_server 203.0.113.1 {\n  weight 2\n }\n}\n"}};
    const auto config = ipvsd::load_ipvsd_config("/t.conf", files);
    cr_assert_eq(config.virtual_servers[0].real_servers.size(), 1u);
    cr_expect_eq(config.virtual_servers[0].real_servers[0].port, 443);
    cr_expect_eq(config.virtual_servers[0].real_servers[0].weight, 2);
}

namespace {

// Every virtual and real server with its place and weight, one line each.
std::string ipvsd_outline(const ipvsd::IpvsdConfig& config) {
    std::string text;
    for (const auto& server : config.virtual_servers) {
        text += server.label() + " " + server.scheduler + " at " + server.where.to_string() + "\n";
        for (const auto& real : server.real_servers)
            text += "  " + real.label() + " weight " + std::to_string(real.weight) + " at " +
                    real.where.to_string() + "\n";
    }
    return text;
}

const char* const reload_text =
    "virtual_server 192.0.2.1 80 {\n real_server 203.0.113.1 80 { weight 1 }\n}\n"
    "virtual_server 192.0.2.2 80 {\n real_server 203.0.113.2 80 { weight 2 }\n"
    " real_server 203.0.113.3 80 { weight 3 }\n}\n"
    "include /more.conf\n";
const char* const more_text = "virtual_server 192.0.2.3 53 {\n protocol UDP\n"
                              " real_server 203.0.113.4 53\n}\n";

}  // namespace

// A reload takes unchanged blocks over and reads the rest: the result is what
// reading the new file afresh gives, places included.
Test(daemon_configs, ipvsd_reload_equals_a_fresh_read) {
    config::FakeFiles files{{"/t.conf", reload_text}, {"/more.conf", more_text}};
    ipvsd::IpvsdConfig running = ipvsd::load_ipvsd_config("/t.conf", files);
    const std::vector<std::string> changes[] = {
        // one weight; a line above every block (all move); an included file
        {"/t.conf", std::string(reload_text).replace(std::string(reload_text).find("weight 2"), 8, "weight 7")},
        {"/t.conf", std::string("# moved\n") + reload_text},
        {"/more.conf", std::string(more_text).replace(std::string(more_text).find(" 53\n}"), 5, " 53 { weight 9 }\n}")},
    };
    for (const auto& change : changes) {
        files.add(change[0], change[1]);
        ipvsd::IpvsdConfig fresh = ipvsd::load_ipvsd_config("/t.conf", files);
        ipvsd::IpvsdConfig reloaded = ipvsd::reload_ipvsd_config("/t.conf", files, running);
        const std::string expected = ipvsd_outline(fresh);
        EXPECT_TEXT(ipvsd_outline(reloaded), expected.c_str());
        running = std::move(reloaded);
    }
    // After the weight change, the first block was taken over, not read: its
    // real servers moved out of the configuration it came from.
    files.add("/t.conf", reload_text);
    running = ipvsd::load_ipvsd_config("/t.conf", files);
    files.add("/t.conf", changes[0][1]);
    const ipvsd::IpvsdConfig reloaded = ipvsd::reload_ipvsd_config("/t.conf", files, running);
    cr_expect(running.virtual_servers[0].real_servers.empty());
    cr_expect_eq(running.virtual_servers[1].real_servers.size(), 2u);
    cr_expect_eq(reloaded.virtual_servers[0].real_servers.size(), 1u);
    cr_expect_eq(reloaded.virtual_servers[1].real_servers[0].weight, 7);
}

// A refused file leaves the running configuration whole, with the error a
// fresh read gives.
Test(daemon_configs, ipvsd_refused_reload_gives_the_real_servers_back) {
    config::FakeFiles files{{"/t.conf", reload_text}, {"/more.conf", more_text}};
    ipvsd::IpvsdConfig running = ipvsd::load_ipvsd_config("/t.conf", files);
    const std::string before = ipvsd_outline(running);
    for (const std::string& broken :
         {std::string(reload_text) + "virtual_server 192.0.2.1 80 {\n}\n",  // after blocks taken over
          std::string(reload_text) + "virtual_server 192.0.2.9 80 {\n weight x\n}\n",
          std::string(reload_text) + "virtual_server group nowhere {\n}\n"}) {
        files.add("/t.conf", broken);
        auto error_from = [&](auto load) {
            try {
                load();
            } catch (const config::ConfigError& error) {
                return std::string(error.what());
            }
            return std::string("(no error)");
        };
        const std::string expected =
            error_from([&] { ipvsd::load_ipvsd_config("/t.conf", files); });
        cr_expect_neq(expected, "(no error)");
        EXPECT_TEXT(error_from([&] { ipvsd::reload_ipvsd_config("/t.conf", files, running); }),
                    expected.c_str());
        EXPECT_TEXT(ipvsd_outline(running), before.c_str());
    }
}
