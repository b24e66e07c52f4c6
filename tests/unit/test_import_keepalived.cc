// hactl import-keepalived: the translator on real-world keepalived
// configurations (tests/unit/import_samples). Each output is read back with
// the daemon's own parser, and what it means is asserted: priorities,
// weights, checks and the real servers that track them.
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "checkd/config.h"
#include "hactl/import_keepalived.h"
#include "ipvsd/config.h"
#include "tests/unit/fake_files.h"
#include "vrrpd/config.h"
#include "tests/unit/expect_text.h"

using namespace hakeep;

namespace {

const std::string samples = "tests/unit/import_samples/";

hactl::ImportedConfigs import_file(const std::string& path) {
    config::DiskFileSource files;
    const config::ParsedConfig parsed = config::parse_file(path, hactl::keepalived_schema(), files);
    return hactl::import_keepalived(parsed.statements, path);
}

hactl::ImportedConfigs import_text(const std::string& text) {
    config::FakeFiles files;
    const config::ParsedConfig parsed = config::parse_text("/k.conf", text, hactl::keepalived_schema(), files);
    return hactl::import_keepalived(parsed.statements, "/k.conf");
}

template <typename Parse>
auto reparse(const std::string& text, const config::Schema& schema, Parse parse) {
    config::FakeFiles files;
    return parse(config::parse_text("/out.conf", text, schema, files));
}

vrrpd::VrrpdConfig vrrpd_of(const hactl::ImportedConfigs& out) {
    return reparse(out.vrrpd_conf, vrrpd::vrrpd_schema(), vrrpd::parse_vrrpd_config);
}
ipvsd::IpvsdConfig ipvsd_of(const hactl::ImportedConfigs& out) {
    return reparse(out.ipvsd_conf, ipvsd::ipvsd_schema(), ipvsd::parse_ipvsd_config);
}
checkd::CheckdConfig checkd_of(const hactl::ImportedConfigs& out) {
    return reparse(out.checkd_conf, checkd::checkd_schema(), checkd::parse_checkd_config);
}

const checkd::CheckConfig* find_check(const checkd::CheckdConfig& config, const std::string& name) {
    for (const checkd::CheckConfig& check : config.checks)
        if (check.name == name) return &check;
    return nullptr;
}

std::vector<std::string> refusals(const hactl::ImportedConfigs& out) {
    std::vector<std::string> lines;
    for (const hactl::Untranslatable& item : out.refused) lines.push_back(item.to_string());
    return lines;
}

}  // namespace

// Exactly these FILE:LINE:COL lines, in this order.
static void expect_refusals(const hactl::ImportedConfigs& out, const std::vector<std::string>& expected) {
    const std::vector<std::string> actual = refusals(out);
    cr_assert_eq(actual.size(), expected.size(), "got %zu refusals", actual.size());
    for (std::size_t index = 0; index < expected.size(); ++index) EXPECT_TEXT(actual[index], expected[index].c_str());
}

Test(import, classic_nopreempt_pair) {
    for (const char* node : {"a", "b"}) {
        const auto out = import_file(samples + "classic_nopreempt_" + node + ".conf");
        cr_expect(out.refused.empty(), "node %s: %s", node, out.refused.empty() ? "" : out.refused[0].to_string().c_str());
        const vrrpd::VrrpdConfig config = vrrpd_of(out);
        cr_assert_eq(config.instances.size(), 1u);
        const vrrpd::VrrpInstanceConfig& instance = config.instances[0];
        EXPECT_TEXT(instance.name, "VI_1");
        EXPECT_TEXT(instance.interface, "eth0");
        cr_expect(instance.state == vrrpd::InitialState::backup);
        cr_expect_eq(instance.virtual_router_id, 51);
        cr_expect_eq(instance.priority, std::string(node) == "a" ? 150 : 100);
        cr_expect_eq(instance.preempt, false, "nopreempt kept");
        cr_expect_eq(instance.advert_int_centis, 100);
        cr_expect_eq(instance.version, 2);
        cr_expect(instance.auth_type == vrrpd::AuthType::pass);
        EXPECT_TEXT(instance.auth_pass, "1111");
        cr_assert_eq(instance.virtual_ipaddress.size(), 1u);
        EXPECT_TEXT(instance.virtual_ipaddress[0].to_string(), "192.0.2.100/24");
        EXPECT_TEXT(config.global.router_id, std::string(node) == "a" ? "LVS_A" : "LVS_B");
        cr_expect(ipvsd_of(out).virtual_servers.empty());
        cr_expect(checkd_of(out).checks.empty());
    }
}

// keepalived applies the vrrp_script's weight to a track_script line without
// one; vrrpd's default is 0 (FAULT), so the import writes it on the line.
Test(import, script_weight_moves_to_track_script) {
    const auto out = import_file(samples + "script_weight_a.conf");
    cr_expect(out.refused.empty());
    const vrrpd::VrrpdConfig vrrp = vrrpd_of(out);
    cr_assert_eq(vrrp.instances.size(), 1u);
    cr_assert_eq(vrrp.instances[0].track_script.size(), 1u);
    EXPECT_TEXT(vrrp.instances[0].track_script[0].name, "chk_service");
    cr_expect_eq(vrrp.instances[0].track_script[0].weight, -20);
    cr_expect_eq(vrrp.instances[0].priority, 110);
    cr_expect(vrrp.instances[0].state == vrrpd::InitialState::master);
    const checkd::CheckdConfig checks = checkd_of(out);
    const checkd::CheckConfig* script = find_check(checks, "chk_service");
    cr_assert_not_null(script);
    cr_expect(script->is_vrrp_script);
    cr_expect_eq(script->delay_loop_ms, 1000);
    cr_expect_eq(script->script_weight, -20);
    cr_assert_eq(script->checkers.size(), 1u);
    const auto& command = script->checkers[0].spec.command();
    cr_assert_eq(command.size(), 4);
    EXPECT_TEXT(command[0], "/usr/bin/test");
    EXPECT_TEXT(command[3], "/etc/keepalived/service-down");
}

Test(import, track_script_line_weight_and_reverse) {
    const auto out = import_text(
        "vrrp_script up { script /bin/true\n weight 7 reverse\n}\n"
        "vrrp_script own { script /bin/true\n weight 5\n}\n"
        "vrrp_script none { script /bin/true\n}\n"
        "vrrp_instance V {\n interface eth0\n virtual_router_id 9\n"
        " track_script {\n  up\n  own weight -3\n  none\n }\n}\n");
    cr_expect(out.refused.empty());
    const auto tracked = vrrpd_of(out).instances.at(0).track_script;
    cr_assert_eq(tracked.size(), 3u);
    cr_expect_eq(tracked[0].weight, 7);
    cr_expect(tracked[0].reverse);
    cr_expect_eq(tracked[1].weight, -3, "the line's own weight wins, as in keepalived");
    cr_expect(!tracked[1].reverse);
    cr_expect_eq(tracked[2].weight, 0);
}

Test(import, tcp_check_real_servers) {
    const auto out = import_file(samples + "lvs_tcp.conf");
    cr_expect(out.refused.empty());
    const ipvsd::IpvsdConfig ipvs = ipvsd_of(out);
    cr_assert_eq(ipvs.virtual_servers.size(), 1u);
    const ipvsd::VirtualServerConfig& server = ipvs.virtual_servers[0];
    EXPECT_TEXT(server.label(), "192.0.2.100:80/tcp");
    EXPECT_TEXT(server.scheduler, "rr");
    cr_expect(server.forwarding.method == ipvsd::Forwarding::masquerade);
    cr_expect_eq(server.persistence_timeout, 50u);
    cr_expect_eq(server.protocol, IPPROTO_TCP);
    cr_assert_eq(server.real_servers.size(), 3u);
    const checkd::CheckdConfig checks = checkd_of(out);
    cr_assert_eq(checks.checks.size(), 3u);
    const char* const labels[] = {"203.0.113.11:80", "203.0.113.12:80", "203.0.113.13:80"};
    for (std::size_t index = 0; index < 3; ++index) {
        const ipvsd::RealServerConfig& real = server.real_servers[index];
        EXPECT_TEXT(real.label(), labels[index]);
        cr_expect_eq(real.weight, index == 2 ? 2 : 1);
        const checkd::CheckConfig* check = find_check(checks, real.track_check);
        cr_assert_not_null(check, "%s tracks '%s', a check of checkd.conf", labels[index], real.track_check.c_str());
        const std::string address = real.address.to_string();
        EXPECT_TEXT(check->address, address.c_str());
        cr_expect_eq(check->port, 80);
        cr_expect_eq(check->delay_loop_ms, 6000, "the virtual server's delay_loop");
        cr_assert_eq(check->checkers.size(), 1u);
        const proto::CheckerSpec& spec = check->checkers[0].spec;
        EXPECT_TEXT(spec.type(), "TCP_CHECK");
        cr_expect_eq(spec.connect_timeout_ms(), 3000u);
        cr_expect_eq(spec.port(), index == 2 ? 8080u : 80u);
        if (index < 2) {
            cr_expect_eq(spec.retry(), 3u);
            cr_expect_eq(spec.delay_before_retry_ms(), 3000u);
        }
    }
}

Test(import, http_get_urls_digest_status_and_inherited_timing) {
    const auto out = import_file(samples + "http_get.conf");
    cr_expect(out.refused.empty());
    const ipvsd::IpvsdConfig ipvs = ipvsd_of(out);
    cr_assert_eq(ipvs.virtual_servers.size(), 2u);
    cr_expect(ipvs.virtual_servers[0].forwarding.method == ipvsd::Forwarding::route);
    cr_expect_eq(ipvs.virtual_servers[0].real_servers[0].inhibit_on_failure.value_or(false), true);
    const checkd::CheckdConfig checks = checkd_of(out);
    const checkd::CheckConfig* web = find_check(checks, ipvs.virtual_servers[0].real_servers[0].track_check);
    cr_assert_not_null(web);
    cr_expect_eq(web->delay_loop_ms, 10000);
    const proto::CheckerSpec& spec = web->checkers.at(0).spec;
    EXPECT_TEXT(spec.type(), "HTTP_GET");
    cr_expect_eq(spec.connect_timeout_ms(), 4000u, "connect_timeout of the virtual server");
    cr_expect_eq(spec.retry(), 2u, "nb_get_retry");
    cr_expect_eq(spec.delay_before_retry_ms(), 2000u);
    cr_assert_eq(spec.urls_size(), 2);
    EXPECT_TEXT(spec.urls(0).path(), "/health");
    EXPECT_TEXT(spec.urls(0).digest(), "9b3a0c85a887a256d6939da88aabd8cd");
    cr_assert_eq(spec.urls(0).status_size(), 1);
    cr_expect_eq(spec.urls(0).status(0).low(), 200u);
    cr_expect_eq(spec.urls(0).status(0).high(), 200u);
    EXPECT_TEXT(spec.urls(1).path(), "/ready");
    cr_assert_eq(spec.urls(1).status_size(), 2);
    cr_expect_eq(spec.urls(1).status(0).high(), 299u);
    cr_expect_eq(spec.urls(1).status(1).low(), 304u);
    const checkd::CheckConfig* second = find_check(checks, ipvs.virtual_servers[0].real_servers[1].track_check);
    cr_assert_not_null(second);
    EXPECT_TEXT(second->checkers.at(0).spec.urls(0).virtualhost(), "www.example.com");
    const checkd::CheckConfig* tls = find_check(checks, ipvs.virtual_servers[1].real_servers[0].track_check);
    cr_assert_not_null(tls);
    cr_expect(tls->checkers.at(0).spec.tls());
    cr_expect_eq(tls->delay_loop_ms, 5000);
    cr_expect_eq(tls->checkers.at(0).spec.connect_timeout_ms(), 2000u);
    cr_expect_neq(tls->name, web->name, "same real server address, another port: another check");
}

Test(import, every_other_checker) {
    const auto out = import_file(samples + "checkers.conf");
    cr_expect(out.refused.empty());
    const ipvsd::IpvsdConfig ipvs = ipvsd_of(out);
    const checkd::CheckdConfig checks = checkd_of(out);
    const checkd::CheckConfig* dns = find_check(checks, ipvs.virtual_servers.at(0).real_servers.at(0).track_check);
    cr_assert_not_null(dns);
    cr_assert_eq(dns->checkers.size(), 2u, "DNS_CHECK and FILE_CHECK in one check: up while both pass");
    EXPECT_TEXT(dns->checkers[0].spec.dns_name(), "example.com");
    cr_expect_eq(dns->checkers[0].spec.dns_type(), 1u);  // A
    EXPECT_TEXT(dns->checkers[1].spec.type(), "FILE_CHECK");
    EXPECT_TEXT(dns->checkers[1].spec.file_path(), "/etc/keepalived/drain-dns1");
    const checkd::CheckConfig* udp = find_check(checks, ipvs.virtual_servers.at(0).real_servers.at(1).track_check);
    cr_assert_not_null(udp);
    cr_expect_eq(udp->checkers.at(0).spec.payload().size(), 3u);
    cr_expect(udp->checkers.at(0).spec.require_reply());
    const checkd::CheckConfig* smtp = find_check(checks, ipvs.virtual_servers.at(1).real_servers.at(0).track_check);
    cr_assert_not_null(smtp);
    EXPECT_TEXT(smtp->checkers.at(0).spec.helo_name(), "mail.example.com");
    cr_expect_eq(smtp->delay_loop_ms, 60000, "keepalived's default delay_loop");
    const checkd::CheckConfig* local = find_check(checks, ipvs.virtual_servers.at(1).real_servers.at(1).track_check);
    cr_assert_not_null(local);
    cr_expect_eq(local->delay_loop_ms, 2000, "the checker's own delay_loop");
    EXPECT_TEXT(local->checkers.at(0).spec.type(), "PING_CHECK");
    EXPECT_TEXT(local->checkers.at(1).spec.type(), "MISC_CHECK");
    cr_expect_eq(local->checkers.at(1).spec.command_size(), 2);
    EXPECT_TEXT(local->checkers.at(1).spec.user(), "nobody");
    // keepalived's track_file block becomes vrrpd's vrrp_track_file.
    (void)vrrpd_of(out);
    cr_expect(out.vrrpd_conf.find("vrrp_track_file drain_dns1 {") != std::string::npos);
}

Test(import, virtual_server_group_shares_checks) {
    const auto out = import_file(samples + "vs_group.conf");
    cr_expect(out.refused.empty());
    const ipvsd::IpvsdConfig ipvs = ipvsd_of(out);
    cr_assert_eq(ipvs.virtual_server_groups.count("web_vips"), 1u);
    const auto& members = ipvs.virtual_server_groups.at("web_vips");
    cr_assert_eq(members.size(), 3u);
    cr_expect_eq(members[0].range_end, 135);
    cr_expect_eq(members[0].port, 443);
    cr_expect_eq(members[1].port, 8443);
    cr_expect_eq(members[2].fwmark, 9u);
    const ipvsd::VirtualServerConfig& server = ipvs.virtual_servers.at(0);
    EXPECT_TEXT(server.group, "web_vips");
    cr_expect_eq(server.quorum, 2);
    cr_expect_eq(server.hysteresis, 1);
    cr_expect_eq(server.persistence_timeout, 300u);
    const checkd::CheckdConfig checks = checkd_of(out);
    cr_expect_eq(checks.checks.size(), 2u);
    for (const auto& real : server.real_servers) cr_expect_not_null(find_check(checks, real.track_check));
}

Test(import, identical_checks_are_shared_and_different_ones_renamed) {
    const auto out = import_text(
        "virtual_server 192.0.2.1 80 {\n real_server 203.0.113.1 80 {\n  TCP_CHECK {\n   connect_timeout 2\n  }\n }\n}\n"
        "virtual_server 192.0.2.2 80 {\n real_server 203.0.113.1 80 {\n  TCP_CHECK {\n   connect_timeout 2\n  }\n }\n}\n"
        "virtual_server 192.0.2.3 80 {\n real_server 203.0.113.1 80 {\n  TCP_CHECK {\n   connect_timeout 5\n  }\n }\n}\n");
    cr_expect(out.refused.empty());
    const ipvsd::IpvsdConfig ipvs = ipvsd_of(out);
    const checkd::CheckdConfig checks = checkd_of(out);
    cr_expect_eq(checks.checks.size(), 2u);
    EXPECT_TEXT(ipvs.virtual_servers.at(0).real_servers.at(0).track_check, "203.0.113.1_80");
    EXPECT_TEXT(ipvs.virtual_servers.at(1).real_servers.at(0).track_check, "203.0.113.1_80");
    EXPECT_TEXT(ipvs.virtual_servers.at(2).real_servers.at(0).track_check, "203.0.113.1_80_2");
    cr_expect_eq(find_check(checks, "203.0.113.1_80_2")->checkers.at(0).spec.connect_timeout_ms(), 5000u);
}

Test(import, sync_group) {
    const auto out = import_file(samples + "sync_group.conf");
    cr_expect(out.refused.empty());
    const vrrpd::VrrpdConfig vrrp = vrrpd_of(out);
    cr_assert_eq(vrrp.sync_groups.size(), 1u);
    EXPECT_TEXT(vrrp.sync_groups[0].name, "VG_1");
    cr_assert_eq(vrrp.sync_groups[0].members.size(), 2u, "two members on one keepalived line");
    EXPECT_TEXT(vrrp.sync_groups[0].members[0], "VI_OUTSIDE");
    EXPECT_TEXT(vrrp.sync_groups[0].members[1], "VI_INSIDE");
    cr_assert_eq(vrrp.instances.size(), 2u);
    EXPECT_TEXT(vrrp.instances[0].sync_group, "VG_1");
    EXPECT_TEXT(vrrp.instances[1].sync_group, "VG_1");
    EXPECT_TEXT(vrrp.instances[0].virtual_ipaddress.at(0).to_string(), "192.0.2.1/24 dev eth0 label eth0:vip");
    cr_expect_eq(vrrp.instances[0].track_interface.at(0).weight, -30);
    cr_expect(out.vrrpd_conf.find("notify_master \"/usr/local/bin/router-notify master\"") != std::string::npos);
}

Test(import, ipv6_vrrpv3) {
    const auto out = import_file(samples + "ipv6_vrrpv3.conf");
    cr_expect(out.refused.empty());
    const vrrpd::VrrpdConfig vrrp = vrrpd_of(out);
    const vrrpd::VrrpInstanceConfig& instance = vrrp.instances.at(0);
    cr_expect_eq(instance.version, 3);
    cr_expect(instance.family == vrrpd::Family::ipv6);
    cr_expect_eq(instance.advert_int_centis, 50);
    EXPECT_TEXT(instance.virtual_ipaddress.at(0).to_string(), "2001:db8::100/64");
    EXPECT_TEXT(instance.virtual_ipaddress_excluded.at(0).to_string(), "2001:db8:1::100/64");
    EXPECT_TEXT(instance.unicast_src_ip->to_string(), "2001:db8::11");
    EXPECT_TEXT(instance.unicast_peer.at(0).to_string(), "2001:db8::12");
    cr_expect(vrrp.garp.master_delay == std::chrono::milliseconds(1000));
}

Test(import, includes_relative_to_the_including_file_and_globs) {
    const auto out = import_file(samples + "include/keepalived.conf");
    cr_expect(out.refused.empty());
    const vrrpd::VrrpdConfig vrrp = vrrpd_of(out);
    EXPECT_TEXT(vrrp.global.router_id, "INCLUDED");
    cr_expect_eq(vrrp.instances.at(0).virtual_router_id, 71);
    cr_expect_eq(vrrp.instances.at(0).track_script.at(0).weight, 10, "weight of the included vrrp_script");
    const ipvsd::IpvsdConfig ipvs = ipvsd_of(out);
    const checkd::CheckdConfig checks = checkd_of(out);
    EXPECT_TEXT(checks.script_user, "nobody");
    cr_expect_not_null(find_check(checks, "chk_proxy"));
    cr_expect_not_null(find_check(checks, ipvs.virtual_servers.at(0).real_servers.at(0).track_check));
}

Test(import, untranslatable_items_with_their_place) {
    const auto out = import_file(samples + "untranslatable.conf");
    const std::string f = samples + "untranslatable.conf:";
    const std::vector<std::string> expected = {
        f + "3:5: cannot translate notification_email: hakeep sends no e-mail (use notify scripts)",
        f + "7:5: cannot translate vrrp_strict: vrrpd has no strict mode",
        f + "18:5: cannot translate smtp_alert: hakeep sends no e-mail (use notify scripts)",
        f + "20:33: cannot translate home: vrrpd's virtual_ipaddress takes dev, label, brd, scope, no_track",
        f + "24:9: cannot translate chk_missing: names no vrrp_script of this configuration",
        f + "26:5: cannot translate track_process: vrrpd has no such vrrp_instance setting",
        f + "34:5: cannot translate quorum_up: ipvsd runs no scripts (vrrpd can track the quorum)",
        f + "36:9: cannot translate notify_down: ipvsd runs no real server scripts",
        f + "40:17: cannot translate regex: checkd's url takes path, status_code, digest, virtualhost",
        f + "43:9: cannot translate BFD_CHECK: checkd has no such checker",
        f + "49:1: cannot translate bfd_instance: no hakeep equivalent",
    };
    expect_refusals(out, expected);
    // What could be translated still is, and loads.
    const vrrpd::VrrpdConfig vrrp = vrrpd_of(out);
    EXPECT_TEXT(vrrp.global.router_id, "EDGE");
    cr_expect_eq(vrrp.instances.at(0).track_script.size(), 1u);
    const ipvsd::IpvsdConfig ipvs = ipvsd_of(out);
    const checkd::CheckdConfig checks = checkd_of(out);
    const checkd::CheckConfig* web = find_check(checks, ipvs.virtual_servers.at(0).real_servers.at(0).track_check);
    cr_assert_not_null(web);
    cr_expect_eq(web->checkers.size(), 1u, "HTTP_GET kept, BFD_CHECK refused");
}

Test(import, globals_go_to_their_daemon) {
    const auto out = import_text(
        "global_defs {\n router_id R1\n vrrp_version 3\n vrrp_garp_master_repeat 2\n"
        " vrrp_skip_check_adv_addr\n lvs_timeouts tcp 900 tcpfin 120 udp 300\n"
        " lvs_sync_daemon eth1 VI_1 id 5\n script_user nobody\n enable_script_security\n"
        " lvs_sync_daemon eth1 VI_1 maxlen 1400\n}\n"
        "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n accept\n"
        " virtual_ipaddress {\n  192.0.2.9/24\n }\n}\n");
    const std::vector<std::string> actual = refusals(out);
    cr_assert_eq(actual.size(), 1u);
    EXPECT_TEXT(actual[0], "/k.conf:10:2: cannot translate lvs_sync_daemon: ipvsd takes only INTERFACE INSTANCE [id N] (no maxlen, port, ttl, group)");
    const vrrpd::VrrpdConfig vrrp = vrrpd_of(out);
    cr_expect_eq(vrrp.instances.at(0).version, 3);
    cr_expect_eq(vrrp.garp.master_repeat, 2);
    cr_expect(vrrp.instances.at(0).skip_check_adv_addr, "global vrrp_skip_check_adv_addr on every instance");
    const ipvsd::IpvsdConfig ipvs = ipvsd_of(out);
    cr_expect_eq(ipvs.timeouts.tcp, 900u);
    cr_expect_eq(ipvs.timeouts.udp, 300u);
    cr_assert(ipvs.sync_daemon.has_value());
    cr_expect_eq(ipvs.sync_daemon->sync_id, 5);
    EXPECT_TEXT(checkd_of(out).script_user, "nobody");
}

Test(import, quoted_words_survive) {
    const auto out = import_text(
        "vrrp_script s {\n script \"/usr/bin/printf \\\"%s\\\" a\"\n}\n");
    const checkd::CheckdConfig checks = checkd_of(out);
    const auto& command = find_check(checks, "s")->checkers.at(0).spec.command();
    cr_assert_eq(command.size(), 3);
    EXPECT_TEXT(command[1], "%s");
}

Test(import, ipv6_and_fwmark_services) {
    const auto out = import_file(samples + "fwmark_ipv6.conf");
    cr_expect(out.refused.empty());
    const ipvsd::IpvsdConfig ipvs = ipvsd_of(out);
    const checkd::CheckdConfig checks = checkd_of(out);
    cr_assert_eq(ipvs.virtual_servers.size(), 2u);
    const ipvsd::RealServerConfig& six = ipvs.virtual_servers[0].real_servers.at(0);
    EXPECT_TEXT(six.track_check, "2001:db8:1::a_80");
    const checkd::CheckConfig* web = find_check(checks, six.track_check);
    cr_assert_not_null(web);
    EXPECT_TEXT(web->address, "2001:db8:1::a");
    cr_expect_eq(web->checkers.at(0).spec.connect_timeout_ms(), 2000u);
    const ipvsd::VirtualServerConfig& mark = ipvs.virtual_servers[1];
    cr_expect_eq(mark.fwmark, 7u);
    cr_expect(mark.forwarding.method == ipvsd::Forwarding::tunnel);
    const checkd::CheckConfig* tcp = find_check(checks, mark.real_servers.at(0).track_check);
    cr_assert_not_null(tcp);
    cr_expect_eq(tcp->port, 0, "port 0: no port on the check's address");
    cr_expect_eq(tcp->checkers.at(0).spec.port(), 443u);
}

// Malformed or hostile shapes are refused with their place, never a crash,
// and what is left still loads.
Test(import, malformed_blocks_are_refused) {
    const auto out = import_text(
        "vrrp_instance {\n}\n"
        "virtual_server 192.0.2.1 80\n"
        "global_defs x {\n}\n"
        "virtual_server 192.0.2.1 80 {\n"
        " real_server 203.0.113.1 80 90 {\n }\n"
        " real_server 203.0.113.2 80 {\n"
        "  TCP_CHECK {\n   delay_loop 2\n  }\n"
        "  MISC_CHECK {\n   delay_loop 3\n   misc_path /bin/true\n  }\n"
        " }\n"
        "}\n"
        "vrrp_sync_group G {\n group {\n }\n track_script {\n  x\n }\n}\n");
    const std::vector<std::string> expected = {
        "/k.conf:1:1: cannot translate vrrp_instance: needs one name and a { block }",
        "/k.conf:3:1: cannot translate virtual_server: needs an address and a { block }",
        "/k.conf:4:1: cannot translate global_defs: needs a { block } and no value",
        "/k.conf:7:2: cannot translate real_server: needs ADDRESS [PORT]",
        "/k.conf:14:4: cannot translate delay_loop: the checkers of one real server share one delay_loop in checkd.conf",
        "/k.conf:22:2: cannot translate track_script: vrrpd's sync groups track nothing themselves: track in the member instances",
    };
    expect_refusals(out, expected);
    const checkd::CheckdConfig checks = checkd_of(out);
    cr_assert_eq(checks.checks.size(), 1u);
    cr_expect_eq(checks.checks[0].delay_loop_ms, 2000, "the first checker's delay_loop");
    cr_expect_eq(checks.checks[0].checkers.size(), 2u);
    (void)ipvsd_of(out);
    (void)vrrpd_of(out);
}

Test(import, names_defined_twice_and_names_taken_by_scripts) {
    const auto out = import_text(
        "vrrp_script 203.0.113.1_80 {\n script /bin/true\n}\n"
        "vrrp_script 203.0.113.1_80 {\n script /bin/false\n}\n"
        "track_file drain {\n file /run/drain\n}\n"
        "vrrp_track_file drain {\n file /run/other\n}\n"
        "virtual_server 192.0.2.1 80 {\n real_server 203.0.113.1 80 {\n  TCP_CHECK {\n  }\n }\n}\n");
    const std::vector<std::string> expected = {
        "/k.conf:4:1: cannot translate vrrp_script: '203.0.113.1_80' defined twice (first at /k.conf:1:1)",
        "/k.conf:10:1: cannot translate vrrp_track_file: 'drain' defined twice (first at /k.conf:7:1)",
    };
    expect_refusals(out, expected);
    const checkd::CheckdConfig checks = checkd_of(out);
    cr_expect_eq(checks.checks.size(), 2u);
    EXPECT_TEXT(ipvsd_of(out).virtual_servers.at(0).real_servers.at(0).track_check, "203.0.113.1_80_2");
    (void)vrrpd_of(out);
    cr_expect(out.vrrpd_conf.find("file /run/drain") != std::string::npos, "the first track_file kept");
    cr_expect(out.vrrpd_conf.find("/run/other") == std::string::npos, "the second one left out");
}

Test(import, vmac_with_a_mac_and_multipath_routes) {
    const auto out = import_text("vrrp_instance VI_1 {\n"
                                 "    interface eth0\n"
                                 "    virtual_router_id 51\n"
                                 "    use_vmac vmac51 02:00:5e:ab:0c:01\n"
                                 "    virtual_routes {\n"
                                 "        203.0.113.0/24 nexthop via 192.0.2.1 weight 3 nexthop via 192.0.2.2 dev eth1\n"
                                 "        198.51.100.0/24 via 203.0.113.254 dev eth0 onlink\n"
                                 "    }\n"
                                 "}\n");
    expect_refusals(out, {});
    const vrrpd::VrrpdConfig vrrp = vrrpd_of(out);
    const vrrpd::VrrpInstanceConfig& instance = vrrp.instances.at(0);
    EXPECT_TEXT(instance.vmac_name, "vmac51");
    const std::array<std::uint8_t, 6> mac{0x02, 0x00, 0x5e, 0xab, 0x0c, 0x01};
    cr_expect(instance.vmac_address() == mac);
    cr_assert_eq(instance.virtual_routes.size(), 2u);
    EXPECT_TEXT(instance.virtual_routes[0].to_string(),
                "203.0.113.0/24 nexthop via 192.0.2.1 weight 3 nexthop via 192.0.2.2 dev eth1");
    EXPECT_TEXT(instance.virtual_routes[1].to_string(), "198.51.100.0/24 via 203.0.113.254 dev eth0 onlink");
}
