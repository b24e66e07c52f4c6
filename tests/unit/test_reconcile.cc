// Reconcile, never flush: ipvsd's decisions against an in-memory kernel.
#include <criterion/criterion.h>

#include "tests/unit/fake_files.h"

#include <linux/ip_vs.h>

#include <map>

#include "ipvsd/desired.h"
#include "ipvsd/reconcile.h"
#include "tests/unit/fake_checks.h"
#include "tests/unit/fake_kernel.h"

using namespace hakeep;
using namespace hakeep::ipvsd;
using Kind = Operation::Kind;

namespace {

IpvsdConfig parse(const std::string& text) {
    config::FakeFiles files{{"/ipvsd.conf", text}};
    return load_ipvsd_config("/ipvsd.conf", files);
}

const char* const two_backends =
    "virtual_server 192.0.2.100 80 {\n"
    "    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n"
    "    real_server 203.0.113.11 8080 { weight 3  track_check web1 }\n"
    "    real_server 203.0.113.12 8080 { weight 1  track_check web2 }\n"
    "}\n";

proto::CheckSnapshot snapshot(const std::map<std::string, bool>& states) { return check_snapshot(states); }

struct Lab {
    explicit Lab(const std::string& text) : config(parse(text)) {}
    IpvsdConfig config;
    CheckStates checks;
    Drains drains;
    std::map<std::string, bool> quorum;
    FakeKernel kernel;

    // One reconciliation pass, as ipvsd runs it; returns the operations.
    std::vector<Operation> converge(const std::set<ServiceKey>& released = {}) {
        DesiredState desired = compute_desired(config, checks, drains, quorum);
        for (const VirtualServerView& view : desired.virtual_servers) quorum[view.label] = view.quorum_up;
        std::vector<Operation> operations = reconcile(desired.table, kernel.dump(), released);
        ApplyResult result = kernel.apply(operations);
        cr_assert(result.failures.empty(), "kernel refused: %s",
                  result.failures.empty() ? "" : result.failures.front().c_str());
        return operations;
    }
    const Service& service() {
        cr_assert_eq(kernel.table.size(), 1u);
        return kernel.table.begin()->second;
    }
    std::optional<int> weight(const std::string& address) {
        for (const auto& [key, destination] : service().destinations)
            if (key.address == *Address::parse(address)) return destination.settings.weight;
        return std::nullopt;
    }
};

}  // namespace

Test(reconcile, cold_start_adds_service_before_destinations) {
    Lab lab(two_backends);
    auto operations = lab.converge();
    cr_assert_eq(operations.size(), 3u);
    cr_expect(operations[0].kind == Kind::add_service);
    cr_expect(operations[1].kind == Kind::add_destination);
    cr_expect(operations[2].kind == Kind::add_destination);
    cr_expect_str_eq(lab.service().settings.scheduler.c_str(), "wrr");
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 3, "unknown check, no alpha: up");
}

Test(reconcile, restart_with_nothing_changed_writes_nothing) {
    Lab lab(two_backends);
    lab.converge();
    lab.kernel.log.clear();
    cr_expect_eq(lab.converge().size(), 0u);
    cr_expect_eq(lab.kernel.log.size(), 0u);
}

Test(reconcile, failed_check_removes_then_restores) {
    Lab lab(two_backends);
    lab.converge();
    lab.checks.apply_snapshot(snapshot({{"web1", false}, {"web2", true}}), {});
    auto operations = lab.converge();
    cr_assert_eq(operations.size(), 1u);
    cr_expect(operations[0].kind == Kind::delete_destination);
    cr_expect_not(lab.weight("203.0.113.11").has_value());
    lab.checks.apply_snapshot(snapshot({{"web1", true}, {"web2", true}}), {});
    operations = lab.converge();
    cr_assert_eq(operations.size(), 1u);
    cr_expect(operations[0].kind == Kind::add_destination);
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 3);
}

Test(reconcile, inhibit_on_failure_keeps_weight_zero) {
    std::string text = two_backends;
    text.insert(text.find("    real_server"), "    inhibit_on_failure\n");
    Lab lab(text);
    lab.converge();
    lab.checks.apply_snapshot(snapshot({{"web1", false}, {"web2", true}}), {});
    auto operations = lab.converge();
    cr_assert_eq(operations.size(), 1u);
    cr_expect(operations[0].kind == Kind::edit_destination);
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 0);
}

Test(reconcile, alpha_starts_down_until_checked) {
    std::string text = two_backends;
    text.insert(text.find("    real_server"), "    alpha\n");
    Lab lab(text);
    lab.converge();
    cr_expect_eq(lab.service().destinations.size(), 0u);
    lab.checks.apply_snapshot(snapshot({{"web1", true}}), {});
    lab.converge();
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 3);
    cr_expect_not(lab.weight("203.0.113.12").has_value());
}

Test(reconcile, drain_sets_weight_zero_and_undrain_restores) {
    Lab lab(two_backends);
    lab.converge();
    lab.drains.insert({"192.0.2.100:80/tcp", "203.0.113.12:8080"});
    auto operations = lab.converge();
    cr_assert_eq(operations.size(), 1u);
    cr_expect(operations[0].kind == Kind::edit_destination);
    cr_expect_eq(lab.weight("203.0.113.12").value_or(-1), 0);
    lab.drains.clear();
    lab.converge();
    cr_expect_eq(lab.weight("203.0.113.12").value_or(-1), 1);
}

Test(reconcile, services_of_others_are_never_touched) {
    Lab lab(two_backends);
    ServiceKey foreign;
    foreign.address = *Address::parse("198.51.100.7");
    foreign.port = 443;
    lab.kernel.table[foreign].settings.scheduler = "rr";
    lab.kernel.table[foreign].destinations[DestinationKey{*Address::parse("198.51.100.8"), 443}] = {};
    lab.converge();
    cr_expect(lab.kernel.table.contains(foreign));
    cr_expect_eq(lab.kernel.table[foreign].destinations.size(), 1u);
    for (const Operation& operation : lab.kernel.log) cr_expect(operation.service != foreign);
}

Test(reconcile, released_service_deleted_destinations_first) {
    Lab lab(two_backends);
    lab.converge();
    const ServiceKey key = lab.kernel.table.begin()->first;
    lab.config = parse("");
    auto operations = lab.converge({key});
    cr_assert_eq(operations.size(), 3u);
    cr_expect(operations[0].kind == Kind::delete_destination);
    cr_expect(operations[1].kind == Kind::delete_destination);
    cr_expect(operations[2].kind == Kind::delete_service);
    cr_expect(lab.kernel.table.empty());
}

Test(reconcile, reload_changing_one_real_server_is_one_operation) {
    Lab lab(two_backends);
    lab.converge();
    std::string text = two_backends;
    text.replace(text.find("weight 1"), 8, "weight 5");
    lab.config = parse(text);
    auto operations = lab.converge();
    cr_assert_eq(operations.size(), 1u);
    cr_expect(operations[0].kind == Kind::edit_destination);
    cr_expect_eq(operations[0].destination_settings.weight, 5);
}

Test(reconcile, scheduler_change_edits_the_service_only) {
    Lab lab(two_backends);
    lab.converge();
    std::string text = two_backends;
    text.replace(text.find("lb_algo wrr"), 11, "lvs_sched rr");
    lab.config = parse(text);
    auto operations = lab.converge();
    cr_assert_eq(operations.size(), 1u);
    cr_expect(operations[0].kind == Kind::edit_service);
    cr_expect_str_eq(lab.service().settings.scheduler.c_str(), "rr");
}

Test(reconcile, quorum_lost_brings_sorry_server_with_hysteresis) {
    Lab lab("virtual_server 192.0.2.100 80 {\n quorum 3\n hysteresis 1\n"
            " sorry_server 198.51.100.9 80\n"
            " real_server 203.0.113.11 80 { weight 2  track_check a }\n"
            " real_server 203.0.113.12 80 { weight 2  track_check b }\n}\n");
    lab.converge();
    cr_expect_eq(lab.service().destinations.size(), 2u, "live weight 4 >= quorum 3");
    lab.checks.apply_snapshot(snapshot({{"a", false}, {"b", true}}), {});
    lab.converge();  // live weight 2: not below quorum − hysteresis (2), still up
    cr_expect(lab.quorum["192.0.2.100:80/tcp"]);
    cr_expect_eq(lab.service().destinations.size(), 1u);
    lab.checks.apply_snapshot(snapshot({{"a", false}, {"b", false}}), {});
    auto operations = lab.converge();
    cr_expect_not(lab.quorum["192.0.2.100:80/tcp"]);
    cr_expect_eq(lab.weight("198.51.100.9").value_or(-1), 1, "sorry server in");
    cr_expect_eq(lab.service().destinations.size(), 1u);
    cr_expect(operations.front().kind == Kind::delete_destination, "real servers leave first");
    lab.checks.apply_snapshot(snapshot({{"a", true}, {"b", false}}), {});
    lab.converge();  // live weight 2 < quorum + hysteresis (4): still down
    cr_expect_not(lab.quorum["192.0.2.100:80/tcp"]);
    lab.checks.apply_snapshot(snapshot({{"a", true}, {"b", true}}), {});
    lab.converge();
    cr_expect(lab.quorum["192.0.2.100:80/tcp"]);
    cr_expect_not(lab.weight("198.51.100.9").has_value(), "sorry server out");
    cr_expect_eq(lab.service().destinations.size(), 2u);
}

Test(reconcile, group_expands_to_every_member) {
    Lab lab("virtual_server_group web {\n 192.0.2.10-12 80\n 2001:db8::10 80\n fwmark 9\n}\n"
            "virtual_server group web {\n lvs_sched rr\n"
            " real_server 203.0.113.11 80 { weight 1 }\n}\n");
    lab.converge();
    cr_expect_eq(lab.kernel.table.size(), 5u);
    for (const auto& [key, service] : lab.kernel.table)
        cr_expect_eq(service.destinations.size(), 1u, "%s", key.to_string().c_str());
}

Test(reconcile, dynamic_weight_replaces_configured_weight) {
    Lab lab(two_backends);
    proto::CheckSnapshot message = snapshot({{"web1", true}, {"web2", true}});
    message.mutable_checks(0)->set_weight(7);
    message.mutable_checks(0)->set_dynamic_weight(true);
    lab.checks.apply_snapshot(message, {});
    lab.converge();
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 7);
}

Test(reconcile, persistence_and_scheduler_flags) {
    Lab lab("virtual_server 192.0.2.100 53 {\n protocol UDP\n lvs_sched sh\n sh-port\n ops\n"
            " persistence_timeout 600\n persistence_granularity 255.255.255.0\n"
            " lvs_method TUN type gue port 6080 remcsum\n"
            " real_server 203.0.113.11 53 { weight 1 }\n}\n");
    lab.converge();
    const Service& service = lab.service();
    cr_expect_eq(service.settings.timeout, 600u);
    cr_expect_eq(service.settings.flags & IP_VS_SVC_F_PERSISTENT, IP_VS_SVC_F_PERSISTENT);
    cr_expect_eq(service.settings.flags & IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED2);
    cr_expect_eq(service.settings.flags & IP_VS_SVC_F_ONEPACKET, IP_VS_SVC_F_ONEPACKET);
    const std::uint8_t* mask = reinterpret_cast<const std::uint8_t*>(&service.settings.netmask);
    cr_expect(mask[0] == 255 && mask[2] == 255 && mask[3] == 0, "granularity in network order");
    const DestinationSettings& destination = service.destinations.begin()->second.settings;
    cr_expect(destination.forwarding == Forwarding::tunnel);
    cr_expect_eq(destination.tunnel_type, IP_VS_CONN_F_TUNNEL_TYPE_GUE);
    cr_expect_eq(destination.tunnel_port, 6080);
    cr_expect_eq(destination.tunnel_flags, IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM);
}
