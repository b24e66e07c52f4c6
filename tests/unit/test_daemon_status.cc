// Each daemon's StatusReply: counts of its configuration in config_summary,
// what happens at run time in counters, so that a reload reports the first
// and never the second (common/daemon.h summary_changes).
#include <criterion/criterion.h>

#include "tests/unit/fake_files.h"

#include <set>
#include <string>

#include "checkd/checkd.h"
#include "common/daemon.h"
#include "ipvsd/ipvsd.h"
#include "tests/unit/fake_kernel.h"
#include "vrrpd/vrrpd.h"

using namespace hakeep;

namespace {

std::set<std::string> keys(const google::protobuf::Map<std::string, std::string>& map) {
    std::set<std::string> names;
    for (const auto& [key, value] : map) names.insert(key);
    return names;
}

std::string joined(const std::set<std::string>& names) {
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : " ") + name;
    return text;
}

proto::StatusReply status_of(const Daemon& daemon) {
    proto::StatusReply reply;
    daemon.fill_status(reply);
    return reply;
}

void expect_keys(const proto::StatusReply& reply, const std::string& config, const std::string& counters) {
    const std::string config_keys = joined(keys(reply.config_summary()));
    const std::string counter_keys = joined(keys(reply.counters()));
    cr_expect_str_eq(config_keys.c_str(), config.c_str());
    cr_expect_str_eq(counter_keys.c_str(), counters.c_str());
}

ipvsd::IpvsdConfig ipvsd_config(const std::string& text) {
    config::FakeFiles files{{"/ipvsd.conf", text}};
    return ipvsd::load_ipvsd_config("/ipvsd.conf", files);
}

const char* const one_virtual_server =
    "virtual_server 192.0.2.100 80 {\n lb_algo rr\n"
    " real_server 203.0.113.11 8080 { weight 3  track_check web1 }\n"
    " real_server 203.0.113.12 8080 { weight 1 }\n}\n";

}  // namespace

Test(daemon_status, vrrpd_keys_in_their_maps) {
    vrrpd::Vrrpd daemon;
    daemon.load_config("conf/vrrpd.conf");
    const proto::StatusReply reply = status_of(daemon);
    expect_keys(reply, "instances sync_groups", "checks_known master");
    const std::string instances = reply.config_summary().at("instances");
    cr_expect_str_eq(instances.c_str(), "1");
}

Test(daemon_status, checkd_keys_in_their_maps) {
    checkd::Checkd daemon;
    daemon.load_config("conf/checkd.conf");
    expect_keys(status_of(daemon), "checks probes vrrp_scripts",
                "checks_down checks_known heap_held_kb heap_in_use_kb lateness_p50_ms lateness_p99_ms "
                "notify_finished notify_lost notify_started runs workers");
}

// ipvsd against a fake kernel: the kernel's arrival and a check result move
// counters and no count of the configuration; a reload with one more real server moves that count.
Test(daemon_status, ipvsd_reload_reports_configuration_not_counters) {
    FakeClock clock;
    EventLoop loop{clock};
    ipvsd::Ipvsd daemon{[] { return std::unique_ptr<ipvsd::Kernel>(std::make_unique<ipvsd::FakeKernel>()); }};
    daemon.adopt_config(ipvsd_config(one_virtual_server));
    daemon.attach(loop, nullptr);
    const proto::StatusReply configured = status_of(daemon);
    expect_keys(configured, "real_servers virtual_servers", "checks_known kernel");
    daemon.connect_kernel();
    const proto::StatusReply started = status_of(daemon);
    const std::string kernel_before = configured.counters().at("kernel");
    const std::string kernel_after = started.counters().at("kernel");
    cr_expect_str_eq(kernel_before.c_str(), "unavailable");
    cr_expect_str_eq(kernel_after.c_str(), "ready");
    cr_expect(summary_changes(configured, started).empty(), "the kernel's arrival reported as a configuration change");

    proto::CheckEvent event;
    event.set_name("web1");
    event.set_up(false);
    event.set_seq(1);
    daemon.checks().apply_event(event, clock.now());
    daemon.reconcile_now();
    const proto::StatusReply checked = status_of(daemon);
    const std::string known_before = started.counters().at("checks_known");
    const std::string known_after = checked.counters().at("checks_known");
    cr_assert_str_neq(known_before.c_str(), known_after.c_str(), "the check result moved no counter");
    cr_expect(summary_changes(started, checked).empty(), "a check result reported as a configuration change");

    daemon.adopt_config(ipvsd_config(std::string(one_virtual_server).insert(
        std::string(one_virtual_server).rfind('}'), " real_server 203.0.113.13 8080 { weight 1 }\n")));
    const std::vector<std::string> changes = summary_changes(checked, status_of(daemon));
    cr_assert_eq(changes.size(), 1u, "changes: %zu", changes.size());
    cr_expect_str_eq(changes[0].c_str(), "real_servers 2 -> 3");
}
