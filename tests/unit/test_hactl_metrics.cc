// hactl metrics' formatter: replies in, exposition text out. Escaping, every
// family of the table printed from a full set of replies, counters in both
// flavours, the values that matter (current VRRP state, DOWN check, kernel
// counters), a daemon that did not answer, and hactl(8) listing every family.
// The netns and UML labs feed the same text to promtool and to the
// OpenMetrics parser.
#include <criterion/criterion.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "hactl/metrics.h"

using namespace hakeep;
using hactl::MetricsFlavour;

namespace {

constexpr long long now_ms = 1'800'000'000'123;

proto::StatusReply status(std::uint64_t uptime_ms) {
    proto::StatusReply reply;
    reply.set_version("0.1.0");
    reply.set_user("hakeep-x");
    reply.set_uptime_ms(uptime_ms);
    reply.set_config_loaded_unix_ms(1'799'999'000'000);
    proto::PeerStatus& peer = *reply.add_peers();
    peer.set_peer(proto::DAEMON_CHECKD);
    peer.set_connected(true);
    return reply;
}

proto::VrrpReply vrrp() {
    proto::VrrpReply reply;
    proto::VrrpInstanceStatus& vi = *reply.add_instances();
    vi.set_name("VI_1");
    vi.set_state("MASTER");
    vi.set_priority(110);
    vi.set_effective_priority(90);
    vi.set_vrid(51);
    vi.set_interface("eth0");
    vi.set_version(3);
    vi.set_family("inet");
    vi.set_advert_int_centis(10);
    vi.set_adverts_sent(12);
    vi.set_adverts_received(3);
    vi.set_priority_zero_sent(1);
    vi.set_priority_zero_received(2);
    vi.set_became_master(1);
    vi.set_released_master(0);
    vi.set_transitions(2);
    vi.set_last_transition_unix_ms(1'799'999'999'500);
    proto::VrrpDrop& drop = *vi.add_drops();
    drop.set_reason("checksum");
    drop.set_count(4);
    proto::VrrpDrop& unassigned = *reply.add_unassigned_drops();
    unassigned.set_reason("vrid_unknown");
    unassigned.set_count(7);
    reply.set_checks_stale(true);
    return reply;
}

proto::IpvsReply ipvs() {
    proto::IpvsReply reply;
    reply.set_kernel_available(true);
    reply.set_operations_applied(5);
    reply.set_operations_failed(1);
    reply.set_check_events_refused(2);
    proto::VirtualServerStatus& vs = *reply.add_virtual_servers();
    vs.set_label("192.0.2.100:80");
    vs.set_protocol("TCP");
    vs.set_scheduler("wrr");
    vs.set_forwarding("NAT");
    vs.set_quorum_up(true);
    vs.set_quorum(1);
    vs.set_live_weight(3);
    proto::RealServerStatus& live = *vs.add_real_servers();
    live.set_address("203.0.113.11:8080");
    live.set_configured_weight(3);
    live.set_in_kernel(true);
    live.set_kernel_weight(3);
    live.set_health("UP");
    live.set_track_check("web1");
    live.set_connections(9);
    live.set_active_connections(2);
    live.set_inactive_connections(1);
    live.set_packets_in(40);
    live.set_packets_out(30);
    live.set_bytes_in(4000);
    live.set_bytes_out(300000);
    proto::RealServerStatus& gone = *vs.add_real_servers();
    gone.set_address("203.0.113.12:8080");
    gone.set_configured_weight(1);
    gone.set_in_kernel(false);
    gone.set_health("DOWN");
    gone.set_track_check("web2");
    // The same real server twice (a sorry server that is also a real server):
    // one label set may appear only once per family.
    proto::RealServerStatus& twice = *vs.add_real_servers();
    twice.set_address("203.0.113.11:8080");
    twice.set_configured_weight(7);
    twice.set_sorry(true);
    return reply;
}

proto::ChecksReply checks() {
    proto::ChecksReply reply;
    reply.set_workers(2);
    reply.set_worker_restarts(3);
    proto::CheckDetail& up = *reply.add_checks();
    up.set_name("web1");
    up.set_type("HTTP_GET");
    up.set_target("203.0.113.11:8080");
    up.set_state("UP");
    up.set_since_unix_ms(1'799'999'998'000);
    up.set_latency_us(2500);
    up.set_runs(10);
    up.set_state_changes(1);
    proto::CheckDetail& down = *reply.add_checks();
    down.set_name("web2");
    down.set_type("TCP_CHECK");
    down.set_target("203.0.113.12:8080");
    down.set_state("DOWN");
    down.set_since_unix_ms(1'799'999'999'000);
    down.set_consecutive_failures(4);
    down.set_latency_us(1000000);
    down.set_runs(6);
    down.set_state_changes(3);
    proto::CheckDetail& unknown = *reply.add_checks();
    unknown.set_name("new");
    unknown.set_type("TCP_CHECK");
    unknown.set_state("UNKNOWN");
    return reply;
}

hactl::MetricsInput everything() {
    hactl::MetricsInput input;
    input.now_unix_ms = now_ms;
    input.daemons.push_back({"vrrpd", status(60'000), vrrp(), {}, {}});
    input.daemons.push_back({"ipvsd", status(1'500), {}, ipvs(), {}});
    input.daemons.push_back({"checkd", status(123), {}, {}, checks()});
    input.daemons[2].status->set_start_unix_ms(1'799'000'000'250);  // said by the daemon: taken as is
    return input;
}

bool has_line(const std::string& text, const std::string& line) {
    std::istringstream lines(text);
    for (std::string each; std::getline(lines, each);)
        if (each == line) return true;
    return false;
}

std::size_t count_of(const std::string& text, std::string_view what) {
    std::size_t count = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
    return count;
}

}  // namespace

Test(hactl_metrics, label_values_escaped) {
    const std::string plain = hactl::escape_label_value("VI_1 web-2.example.net:80");
    cr_expect_str_eq(plain.c_str(), "VI_1 web-2.example.net:80");
    const std::string special = hactl::escape_label_value("a\"b\\c\nd");
    cr_expect_str_eq(special.c_str(), "a\\\"b\\\\c\\nd");
    const std::string utf8 = hactl::escape_label_value("caf\xc3\xa9 \xe2\x82\xac");
    cr_expect_str_eq(utf8.c_str(), "caf\xc3\xa9 \xe2\x82\xac", "valid UTF-8 stays");
    const std::string broken = hactl::escape_label_value(std::string("x\xff" "y\xc3", 4));
    cr_expect_str_eq(broken.c_str(), "x\xef\xbf\xbdy\xef\xbf\xbd", "bytes that are not UTF-8 become U+FFFD");
    const std::string overlong = hactl::escape_label_value("\xc0\xaf");
    cr_expect_str_eq(overlong.c_str(), "\xef\xbf\xbd\xef\xbf\xbd", "an overlong '/' is not UTF-8");
    const std::string nul = hactl::escape_label_value(std::string("a\0b", 3));
    cr_expect_str_eq(nul.c_str(), "a\xef\xbf\xbd" "b");
}

Test(hactl_metrics, escaping_applies_in_the_output) {
    hactl::MetricsInput input = everything();
    input.daemons[0].vrrp->mutable_instances(0)->set_name("VI \"1\"\\\n");
    const std::string text = hactl::format_metrics(input, MetricsFlavour::prometheus);
    cr_expect(has_line(text, "hakeep_vrrp_priority{instance=\"VI \\\"1\\\"\\\\\\n\"} 110"), "%s", text.c_str());
}

Test(hactl_metrics, family_table_follows_the_naming_rules) {
    for (const hactl::MetricFamily& family : hactl::metric_families()) {
        const std::string_view name = family.name;
        cr_expect(name.starts_with("hakeep_"), "%s", family.name);
        cr_expect_eq(name.ends_with("_total"), family.type == hactl::MetricType::counter,
                     "%s: counters and only counters end in _total", family.name);
        std::string_view base = name;
        if (base.ends_with("_total")) base.remove_suffix(6);
        if (*family.unit != '\0') cr_expect(base.ends_with(std::string("_") + family.unit), "%s: unit", family.name);
        cr_expect(!base.ends_with("_ms") && !base.ends_with("_us"), "%s: base units only", family.name);
        const std::string_view help = family.help;
        cr_expect(!help.empty() && help.find_first_of("\\\"\n") == std::string_view::npos,
                  "%s: HELP needs no escaping in either format", family.name);
    }
}

Test(hactl_metrics, every_family_from_full_replies) {
    const std::string text = hactl::format_metrics(everything(), MetricsFlavour::prometheus);
    for (const hactl::MetricFamily& family : hactl::metric_families()) {
        const std::string type = std::string("# TYPE ") + family.name +
                                 (family.type == hactl::MetricType::counter ? " counter" : " gauge");
        cr_expect(has_line(text, type), "missing: %s", type.c_str());
        cr_expect_eq(count_of(text, std::string("# HELP ") + family.name + " "), 1u, "%s: one HELP", family.name);
        cr_expect(count_of(text, std::string("\n") + family.name + "{") + count_of(text, std::string("\n") + family.name + " ") > 0,
                  "%s: no sample", family.name);
        if (*family.unit != '\0')
            cr_expect(has_line(text, std::string("# UNIT ") + family.name + " " + family.unit), "%s: UNIT", family.name);
    }
    cr_expect(text.ends_with("\n# EOF\n"));
    cr_expect_eq(count_of(text, "# EOF"), 1u);
}

Test(hactl_metrics, values_of_each_daemon) {
    const std::string text = hactl::format_metrics(everything(), MetricsFlavour::prometheus);
    const char* lines[] = {
        "hakeep_daemon_up{daemon=\"vrrpd\"} 1",
        "hakeep_daemon_info{daemon=\"ipvsd\",version=\"0.1.0\",user=\"hakeep-x\"} 1",
        "hakeep_daemon_start_time_seconds{daemon=\"vrrpd\"} 1799999940.123",
        "hakeep_daemon_start_time_seconds{daemon=\"checkd\"} 1799000000.25",
        "hakeep_daemon_start_time_seconds{daemon=\"ipvsd\"} 1799999998.623",
        "hakeep_daemon_config_load_timestamp_seconds{daemon=\"checkd\"} 1799999000",
        "hakeep_daemon_peer_connected{daemon=\"vrrpd\",peer=\"checkd\"} 1",
        "hakeep_daemon_checks_stale{daemon=\"vrrpd\"} 1",
        "hakeep_daemon_checks_stale{daemon=\"ipvsd\"} 0",
        "hakeep_vrrp_instance_info{instance=\"VI_1\",vrid=\"51\",interface=\"eth0\",version=\"3\",family=\"inet\",sync_group=\"\"} 1",
        "hakeep_vrrp_state{instance=\"VI_1\",state=\"MASTER\"} 1",
        "hakeep_vrrp_state{instance=\"VI_1\",state=\"BACKUP\"} 0",
        "hakeep_vrrp_state{instance=\"VI_1\",state=\"INIT\"} 0",
        "hakeep_vrrp_state{instance=\"VI_1\",state=\"FAULT\"} 0",
        "hakeep_vrrp_priority{instance=\"VI_1\"} 110",
        "hakeep_vrrp_effective_priority{instance=\"VI_1\"} 90",
        "hakeep_vrrp_advert_interval_seconds{instance=\"VI_1\"} 0.1",
        "hakeep_vrrp_last_transition_timestamp_seconds{instance=\"VI_1\"} 1799999999.5",
        "hakeep_vrrp_transitions_total{instance=\"VI_1\"} 2",
        "hakeep_vrrp_adverts_sent_total{instance=\"VI_1\"} 12",
        "hakeep_vrrp_adverts_received_total{instance=\"VI_1\"} 3",
        "hakeep_vrrp_drops_total{instance=\"VI_1\",reason=\"checksum\"} 4",
        "hakeep_vrrp_unassigned_drops_total{reason=\"vrid_unknown\"} 7",
        "hakeep_ipvs_kernel_available 1",
        "hakeep_ipvs_operations_failed_total 1",
        "hakeep_ipvs_virtual_server_quorum_up{virtual_server=\"192.0.2.100:80\"} 1",
        "hakeep_ipvs_real_server_up{virtual_server=\"192.0.2.100:80\",real_server=\"203.0.113.11:8080\"} 1",
        "hakeep_ipvs_real_server_up{virtual_server=\"192.0.2.100:80\",real_server=\"203.0.113.12:8080\"} 0",
        "hakeep_ipvs_real_server_weight{virtual_server=\"192.0.2.100:80\",real_server=\"203.0.113.11:8080\"} 3",
        "hakeep_ipvs_real_server_in_kernel{virtual_server=\"192.0.2.100:80\",real_server=\"203.0.113.12:8080\"} 0",
        "hakeep_ipvs_real_server_active_connections{virtual_server=\"192.0.2.100:80\",real_server=\"203.0.113.11:8080\"} 2",
        "hakeep_ipvs_real_server_connections_total{virtual_server=\"192.0.2.100:80\",real_server=\"203.0.113.11:8080\"} 9",
        "hakeep_ipvs_real_server_out_bytes_total{virtual_server=\"192.0.2.100:80\",real_server=\"203.0.113.11:8080\"} 300000",
        "hakeep_ipvs_real_server_info{virtual_server=\"192.0.2.100:80\",real_server=\"203.0.113.12:8080\",check=\"web2\",sorry_server=\"0\"} 1",
        "hakeep_checkd_workers 2",
        "hakeep_checkd_worker_restarts_total 3",
        "hakeep_check_up{check=\"web1\"} 1",
        "hakeep_check_up{check=\"web2\"} 0",
        "hakeep_check_up{check=\"new\"} 0",
        "hakeep_check_state{check=\"web2\",state=\"DOWN\"} 1",
        "hakeep_check_state{check=\"new\",state=\"UNKNOWN\"} 1",
        "hakeep_check_consecutive_failures{check=\"web2\"} 4",
        "hakeep_check_latency_seconds{check=\"web1\"} 0.0025",
        "hakeep_check_latency_seconds{check=\"web2\"} 1",
        "hakeep_check_runs_total{check=\"web2\"} 6",
        "hakeep_check_state_changes_total{check=\"web2\"} 3",
        "hakeep_check_last_change_timestamp_seconds{check=\"web2\"} 1799999999",
    };
    for (const char* line : lines) cr_expect(has_line(text, line), "missing line: %s", line);
    // Numbers that do not exist are not printed as zeros.
    cr_expect_eq(count_of(text, "hakeep_check_latency_seconds{check=\"new\"}"), 0u, "never ran: no latency");
    cr_expect_eq(count_of(text, "real_server=\"203.0.113.12:8080\""), 5u,
                 "not in the kernel: info, up, drained, weight, in_kernel, no kernel numbers: %s", text.c_str());
    // The duplicate label set keeps the first sample only.
    cr_expect_eq(count_of(text, "hakeep_ipvs_real_server_weight{virtual_server=\"192.0.2.100:80\",real_server=\"203.0.113.11:8080\"}"), 1u);
}

Test(hactl_metrics, counters_in_both_flavours) {
    const std::string prometheus = hactl::format_metrics(everything(), MetricsFlavour::prometheus);
    const std::string openmetrics = hactl::format_metrics(everything(), MetricsFlavour::openmetrics);
    cr_expect(has_line(prometheus, "# TYPE hakeep_vrrp_adverts_sent_total counter"));
    cr_expect(has_line(prometheus, "# HELP hakeep_vrrp_adverts_sent_total VRRP advertisements sent."));
    cr_expect(has_line(openmetrics, "# TYPE hakeep_vrrp_adverts_sent counter"), "OpenMetrics: the family has no _total");
    cr_expect(has_line(openmetrics, "# HELP hakeep_vrrp_adverts_sent VRRP advertisements sent."));
    cr_expect(has_line(openmetrics, "# UNIT hakeep_ipvs_real_server_in_bytes bytes"));
    cr_expect(has_line(prometheus, "# UNIT hakeep_ipvs_real_server_in_bytes_total bytes"));
    for (const std::string* text : {&prometheus, &openmetrics})
        cr_expect(has_line(*text, "hakeep_vrrp_adverts_sent_total{instance=\"VI_1\"} 12"), "samples keep _total");
    cr_expect(has_line(openmetrics, "# TYPE hakeep_check_latency_seconds gauge"), "gauges are named alike");
    cr_expect(openmetrics.ends_with("\n# EOF\n"));
}

Test(hactl_metrics, daemon_down_has_only_its_up_series) {
    hactl::MetricsInput input = everything();
    input.daemons[2] = hactl::DaemonMetrics{"checkd", {}, {}, {}, {}};
    const std::string text = hactl::format_metrics(input, MetricsFlavour::prometheus);
    cr_expect(has_line(text, "hakeep_daemon_up{daemon=\"checkd\"} 0"));
    cr_expect(has_line(text, "hakeep_daemon_up{daemon=\"vrrpd\"} 1"));
    cr_expect_eq(count_of(text, "daemon=\"checkd\""), 1u, "nothing else of checkd: %s", text.c_str());
    cr_expect_eq(count_of(text, "hakeep_check"), 0u, "no check families at all");
    cr_expect(has_line(text, "hakeep_vrrp_state{instance=\"VI_1\",state=\"MASTER\"} 1"), "the others still there");

    hactl::MetricsInput none;
    none.now_unix_ms = now_ms;
    for (const char* name : {"vrrpd", "ipvsd", "checkd"}) none.daemons.push_back({name, {}, {}, {}, {}});
    const std::string empty = hactl::format_metrics(none, MetricsFlavour::openmetrics);
    cr_expect_str_eq(empty.c_str(),
                     "# HELP hakeep_daemon_up 1 if the daemon answered hactl (its status and its view), else 0.\n"
                     "# TYPE hakeep_daemon_up gauge\n"
                     "hakeep_daemon_up{daemon=\"vrrpd\"} 0\n"
                     "hakeep_daemon_up{daemon=\"ipvsd\"} 0\n"
                     "hakeep_daemon_up{daemon=\"checkd\"} 0\n"
                     "# EOF\n");
}

Test(hactl_metrics, state_outside_the_known_set_still_shows) {
    hactl::MetricsInput input = everything();
    input.daemons[0].vrrp->mutable_instances(0)->set_state("STOP");
    const std::string text = hactl::format_metrics(input, MetricsFlavour::prometheus);
    cr_expect(has_line(text, "hakeep_vrrp_state{instance=\"VI_1\",state=\"STOP\"} 1"));
    cr_expect(has_line(text, "hakeep_vrrp_state{instance=\"VI_1\",state=\"MASTER\"} 0"));
}

Test(hactl_metrics, manual_lists_every_family) {
    std::ifstream file("man/hactl.8");
    cr_assert(file.good(), "run from the top of the tree");
    std::stringstream manual;
    manual << file.rdbuf();
    const std::string text = manual.str();
    for (const hactl::MetricFamily& family : hactl::metric_families()) {
        const std::string item = std::string("\n.It Sy ") + family.name;
        cr_expect(text.find(item + " ") != std::string::npos || text.find(item + "\n") != std::string::npos,
                  "hactl(8) does not list %s in its METRICS section", family.name);
    }
}
