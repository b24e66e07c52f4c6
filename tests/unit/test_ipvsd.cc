// ipvsd's behaviour as a daemon, against FakeKernel and a FakeClock: start,
// check changes, drains, reloads, a kernel without IPVS, the sync daemon.
#include <criterion/criterion.h>

#include "tests/unit/fake_files.h"

#include <map>
#include <optional>

#include "common/ipc_codec.h"
#include "ipvsd/ipvsd.h"
#include "ipvsd/sync_daemon.h"
#include "tests/unit/fake_checks.h"
#include "tests/unit/fake_kernel.h"

using namespace hakeep;
using namespace hakeep::ipvsd;

namespace {

IpvsdConfig parse(const std::string& text) {
    config::FakeFiles files{{"/ipvsd.conf", text}};
    return load_ipvsd_config("/ipvsd.conf", files);
}

const char* const config_text =
    "global_defs {\n lvs_timeouts tcp 900 udp 30\n lvs_sync_daemon eth0 VI_1 id 7\n}\n"
    "virtual_server 192.0.2.100 80 {\n lb_algo rr\n"
    " real_server 203.0.113.11 8080 { weight 3  track_check web1 }\n"
    " real_server 203.0.113.12 8080 { weight 1 }\n}\n";

// The daemon with a kernel the test keeps a handle on.
struct Harness {
    FakeClock clock;
    EventLoop loop{clock};
    FakeKernel* kernel = nullptr;  // owned by the daemon once created
    int kernel_attempts = 0;
    int fail_first = 0;  // attempts that find no IPVS
    Ipvsd daemon{[this]() -> std::unique_ptr<Kernel> {
        ++kernel_attempts;
        if (kernel_attempts <= fail_first)
            throw KernelError("IPVS is not available in this kernel: load the ip_vs module", ENOENT);
        auto created = std::make_unique<FakeKernel>();
        kernel = created.get();
        return created;
    }};

    explicit Harness(const std::string& text, int failures = 0) : fail_first(failures) {
        daemon.adopt_config(parse(text));
        daemon.attach(loop, nullptr);
    }
    void event(const std::string& name, bool up, std::uint64_t seq) {
        proto::CheckEvent message;
        message.set_name(name);
        message.set_up(up);
        message.set_seq(seq);
        daemon.checks().apply_event(message, clock.now());
        daemon.reconcile_now();
    }
    // checkd's snapshot arriving, as the control socket hands it over.
    void snapshot(const std::map<std::string, bool>& states) {
        const proto::CheckSnapshot message = check_snapshot(states);
        // As feed_check_states: changes reconcile, then the snapshot is reported.
        if (!daemon.checks().apply_snapshot(message, clock.now()).empty()) daemon.reconcile_now();
        daemon.snapshot_adopted();
        loop.run_due_timers();
    }
    // The kernel as a previous ipvsd left it: the service, web2 with `weight`
    // and, if `web1_weight` is set, web1 with it.
    void previous_table(std::optional<int> web1_weight, int web2_weight = 1) {
        daemon.connect_kernel();
        cr_assert_not_null(kernel);
        ServiceKey key;
        key.address = *Address::parse("192.0.2.100");
        key.port = 80;
        Service& service = kernel->table[key];
        service.settings.scheduler = "rr";
        service.settings.netmask = 0xffffffffu;
        if (web1_weight)
            service.destinations[DestinationKey{*Address::parse("203.0.113.11"), 8080}].settings.weight =
                *web1_weight;
        service.destinations[DestinationKey{*Address::parse("203.0.113.12"), 8080}].settings.weight =
            web2_weight;
        kernel->timeouts = Timeouts{900, 0, 30};
        kernel->sync_daemons.push_back(SyncDaemon{SyncDaemon::Role::backup, "eth0", 7});
    }
    std::size_t table_writes() const {
        std::size_t writes = 0;
        for (const Operation& operation : kernel->log)
            if (operation.kind != Operation::Kind::set_timeouts &&
                operation.kind != Operation::Kind::start_sync_daemon &&
                operation.kind != Operation::Kind::stop_sync_daemon)
                ++writes;
        return writes;
    }
    std::optional<int> weight(const char* address) {
        auto found = service().destinations.find(DestinationKey{*Address::parse(address), 8080});
        if (found == service().destinations.end()) return std::nullopt;
        return found->second.settings.weight;
    }
    const Service& service() {
        cr_assert_not_null(kernel);
        cr_assert_eq(kernel->table.size(), 1u);
        return kernel->table.begin()->second;
    }
};

}  // namespace

Test(ipvsd, kernel_missing_is_retried_not_fatal) {
    Harness lab(config_text, 2);
    lab.daemon.connect_kernel();
    cr_expect_not(lab.daemon.kernel_available());
    proto::IpvsReply reply = lab.daemon.ipvs_reply();
    cr_expect_not(reply.kernel_available());
    cr_expect(reply.kernel_error().find("load the ip_vs module") != std::string::npos);
    cr_expect_eq(reply.virtual_servers_size(), 1, "the desired side shows without a kernel");
    lab.daemon.begin();  // second attempt fails too, and schedules a retry
    cr_expect_eq(lab.kernel_attempts, 2);
    lab.clock.advance(Ipvsd::kernel_retry);
    lab.loop.run_due_timers();
    cr_expect_eq(lab.kernel_attempts, 3);
    cr_assert(lab.daemon.kernel_available(), "ip_vs appeared: used at once");
    cr_expect_eq(lab.service().destinations.size(), 1u, "web1's check unknown: waits for checkd");
    lab.clock.advance(Ipvsd::kernel_retry);
    lab.loop.run_due_timers();
    cr_expect_eq(lab.kernel_attempts, 3, "no reconnect while it works");
    lab.clock.advance(std::chrono::seconds(5));
    lab.loop.run_due_timers();
    cr_expect_eq(lab.service().destinations.size(), 2u, "no snapshot within 5 s: unknown is up");
}

Test(ipvsd, drain_and_undrain_report_and_apply) {
    Harness lab(config_text);
    lab.daemon.connect_kernel();
    lab.daemon.reconcile_now();
    cr_assert_eq(lab.service().destinations.size(), 2u);
    proto::CommandReply reply = lab.daemon.drain("192.0.2.100:80", "203.0.113.12:8080", true);
    cr_expect(reply.ok());
    std::string message = reply.message();
    cr_expect_str_eq(message.c_str(),
                     "ipvsd: drained 203.0.113.12:8080 of 192.0.2.100:80/tcp: weight 1 -> 0, 1 kernel operation(s)");
    cr_assert_eq(reply.changes_size(), 2);
    cr_expect_str_eq(reply.changes(1).c_str(), "1 kernel operation(s)");
    const DestinationKey rs{*Address::parse("203.0.113.12"), 8080};
    cr_expect_eq(lab.service().destinations.at(rs).settings.weight, 0);
    reply = lab.daemon.drain("192.0.2.100:80", "203.0.113.12:8080", true);
    message = reply.message();
    cr_expect_str_eq(message.c_str(),
                     "ipvsd: 203.0.113.12:8080 of 192.0.2.100:80/tcp was already drained: nothing changed (weight 0)");
    reply = lab.daemon.drain("192.0.2.100:80", "203.0.113.12:8080", false);
    cr_expect(reply.ok());
    message = reply.message();
    cr_expect_str_eq(message.c_str(),
                     "ipvsd: undrained 203.0.113.12:8080 of 192.0.2.100:80/tcp: weight 0 -> 1, 1 kernel operation(s)");
    cr_expect_eq(lab.service().destinations.at(rs).settings.weight, 1);
    reply = lab.daemon.drain("192.0.2.100:80", "198.51.100.1:80", true);
    cr_expect_not(reply.ok());
    cr_expect(reply.message().find("ipvsd: no real server 198.51.100.1:80") == 0);
}

Test(ipvsd, check_down_removes_and_counts_operations) {
    Harness lab(config_text);
    lab.daemon.connect_kernel();
    lab.daemon.reconcile_now();
    const std::uint64_t before = lab.daemon.counters().operations_applied;
    lab.event("web1", false, 1);
    cr_expect_eq(lab.service().destinations.size(), 1u);
    cr_expect_eq(lab.daemon.counters().operations_applied, before + 1);
    lab.event("web1", false, 1);  // replayed: no change, no operation
    cr_expect_eq(lab.daemon.counters().operations_applied, before + 1);
    proto::IpvsReply reply = lab.daemon.ipvs_reply();
    cr_assert_eq(reply.virtual_servers_size(), 1);
    const auto& real = reply.virtual_servers(0).real_servers(0);
    cr_expect_str_eq(real.health().c_str(), "DOWN");
    cr_expect_not(real.in_kernel());
    cr_expect(reply.virtual_servers(0).real_servers(1).in_kernel());
    cr_expect_eq(reply.virtual_servers(0).real_servers(1).kernel_weight(), 1);
}

Test(ipvsd, reload_releases_removed_services_only) {
    Harness lab(config_text);
    lab.daemon.connect_kernel();
    lab.daemon.reconcile_now();
    ServiceKey foreign;
    foreign.address = *Address::parse("198.51.100.7");
    foreign.port = 443;
    lab.kernel->table[foreign].settings.scheduler = "rr";
    lab.daemon.adopt_config(parse("virtual_server 192.0.2.101 80 {\n}\n"));
    lab.daemon.reconcile_now();
    cr_expect_eq(lab.kernel->table.size(), 2u);
    cr_expect(lab.kernel->table.contains(foreign), "not ours: untouched");
    ServiceKey added;
    added.address = *Address::parse("192.0.2.101");
    added.port = 80;
    cr_expect(lab.kernel->table.contains(added));
}

Test(ipvsd, sync_daemon_follows_vrrp_state) {
    const SyncDaemonConfig config{"eth0", "VI_1", 7};
    auto operations = sync_daemon_operations(config, false, {});
    cr_assert_eq(operations.size(), 1u);
    cr_expect(operations[0].kind == Operation::Kind::start_sync_daemon);
    cr_expect(operations[0].sync_daemon.role == SyncDaemon::Role::backup);
    const std::vector<SyncDaemon> running = {operations[0].sync_daemon};
    cr_expect_eq(sync_daemon_operations(config, false, running).size(), 0u);
    operations = sync_daemon_operations(config, true, running);
    cr_assert_eq(operations.size(), 2u);
    cr_expect(operations[0].kind == Operation::Kind::stop_sync_daemon);
    cr_expect(operations[1].kind == Operation::Kind::start_sync_daemon);
    cr_expect(operations[1].sync_daemon.role == SyncDaemon::Role::master);
    cr_expect_eq(operations[1].sync_daemon.sync_id, 7);
    cr_expect_eq(sync_daemon_operations(std::nullopt, true, running).size(), 0u,
                 "without lvs_sync_daemon, a running sync daemon is someone else's");
}

Test(ipvsd, vrrp_master_switches_sync_daemon_in_kernel) {
    Harness lab(config_text);
    lab.daemon.connect_kernel();
    lab.kernel->sync_daemons.push_back(SyncDaemon{SyncDaemon::Role::backup, "eth0", 7});
    proto::VrrpEvent event;
    event.set_instance("VI_1");
    event.set_state(proto::VRRP_STATE_MASTER);
    lab.daemon.vrrp_state(event);
    cr_assert_eq(lab.kernel->sync_daemons.size(), 1u);
    cr_expect(lab.kernel->sync_daemons[0].role == SyncDaemon::Role::master);
    event.set_instance("VI_2");
    event.set_state(proto::VRRP_STATE_BACKUP);
    lab.daemon.vrrp_state(event);
    cr_expect(lab.kernel->sync_daemons[0].role == SyncDaemon::Role::master, "other instance: ignored");
}

Test(ipvsd, restart_keeps_the_master_sync_daemon) {
    // Restarted while its VRRP instance is MASTER: the kernel's master sync
    // daemon stays master until vrrpd says otherwise; a restart writes nothing.
    Harness lab(config_text);
    lab.daemon.connect_kernel();
    lab.kernel->sync_daemons.push_back(SyncDaemon{SyncDaemon::Role::master, "eth0", 7});
    lab.kernel->timeouts = Timeouts{900, 120, 30};
    lab.daemon.begin();
    cr_assert_eq(lab.kernel->sync_daemons.size(), 1u);
    cr_expect(lab.kernel->sync_daemons[0].role == SyncDaemon::Role::master);
    for (const Operation& operation : lab.kernel->log)
        cr_expect(operation.kind != Operation::Kind::stop_sync_daemon &&
                      operation.kind != Operation::Kind::start_sync_daemon &&
                      operation.kind != Operation::Kind::set_timeouts,
                  "restart wrote %s", operation.to_string().c_str());
    proto::VrrpEvent event;
    event.set_instance("VI_1");
    event.set_state(proto::VRRP_STATE_BACKUP);
    lab.daemon.vrrp_state(event);
    cr_assert_eq(lab.kernel->sync_daemons.size(), 1u);
    cr_expect(lab.kernel->sync_daemons[0].role == SyncDaemon::Role::backup, "vrrpd has the last word");
}

Test(ipvsd, timeouts_and_sync_daemon_operations_are_counted) {
    Harness lab(config_text);
    lab.daemon.connect_kernel();
    // The service and web2 (web1 waits for checkd), the timeouts, a backup sync daemon.
    lab.daemon.begin();
    cr_expect_eq(lab.daemon.counters().operations_applied, 4u);
    proto::VrrpEvent event;
    event.set_instance("VI_1");
    event.set_state(proto::VRRP_STATE_MASTER);
    lab.daemon.vrrp_state(event);  // stop backup, start master
    cr_expect_eq(lab.daemon.counters().operations_applied, 6u);
}

Test(ipvsd, timeouts_set_only_when_they_differ) {
    Timeouts configured{900, 0, 30};
    cr_expect(timeouts_operation(configured, Timeouts{900, 120, 30}) == std::nullopt);
    auto operation = timeouts_operation(configured, Timeouts{900, 120, 300});
    cr_assert(operation.has_value());
    cr_expect_eq(operation->timeouts.udp, 30u);
}

Test(ipvsd, nested_checker_is_refused_with_directions) {
    bool refused = false;
    try {
        parse("virtual_server 192.0.2.1 80 {\n delay_loop 6\n real_server 203.0.113.1 80 {\n"
              "  TCP_CHECK {\n   connect_timeout 3\n  }\n }\n}\n");
    } catch (const config::ConfigError& error) {
        refused = std::string(error.what()) ==
                  "/ipvsd.conf:4:3: TCP_CHECK belongs in checkd.conf: define 'check NAME { ... "
                  "TCP_CHECK { ... } }' there and write 'track_check NAME' here";
        if (!refused) cr_log_error("%s", error.what());
    }
    cr_expect(refused);
}

Test(ipvsd, large_listing_comes_in_pages_under_the_datagram_cap) {
    std::string text;
    for (int vs = 0; vs < 40; ++vs) {
        text += "virtual_server 192.0.2." + std::to_string(vs + 1) + " 80 {\n";
        for (int rs = 0; rs < 100; ++rs)
            text += " real_server 203.0.113." + std::to_string(rs + 1) + " " +
                    std::to_string(8000 + vs) + " { weight 1 }\n";
        text += "}\n";
    }
    Harness lab(text);
    lab.daemon.connect_kernel();
    lab.daemon.reconcile_now();
    std::uint32_t next = 0;
    int pages = 0, servers = 0, reals = 0;
    do {
        proto::Envelope envelope;
        *envelope.mutable_ipvs_reply() = lab.daemon.ipvs_reply(next);
        cr_assert(ipc::encode(envelope).has_value(), "page %d exceeds the 64 KiB cap", pages);
        const proto::IpvsReply& page = envelope.ipvs_reply();
        cr_assert(page.next_virtual_server() == 0 || page.next_virtual_server() > next);
        for (const auto& server : page.virtual_servers()) {
            const std::string label = server.label();
            const std::string expected = "192.0.2." + std::to_string(servers + 1) + ":80/tcp";
            cr_expect_str_eq(label.c_str(), expected.c_str());
            ++servers;
            reals += server.real_servers_size();
            for (const auto& real : server.real_servers()) cr_expect(real.in_kernel());
        }
        next = page.next_virtual_server();
        ++pages;
    } while (next != 0 && pages < 100);
    cr_expect_gt(pages, 1);
    cr_expect_eq(servers, 40);
    cr_expect_eq(reals, 4000);
}

Test(ipvsd, restart_while_check_down_keeps_the_real_server_out) {
    // web1's check was DOWN: the previous ipvsd removed it. Restarted, ipvsd
    // does not know web1's state until checkd's first snapshot: it must not
    // put web1 back in the meantime.
    Harness lab(config_text);
    lab.previous_table(std::nullopt);
    lab.daemon.begin();
    cr_expect(lab.daemon.holding_unknown());
    cr_expect_eq(lab.table_writes(), 0u, "the restart wrote to the table");
    cr_expect_not(lab.weight("203.0.113.11").has_value());
    proto::IpvsReply reply = lab.daemon.ipvs_reply();
    cr_expect_str_eq(reply.virtual_servers(0).real_servers(0).health().c_str(), "UNKNOWN");
    cr_expect_not(reply.virtual_servers(0).real_servers(0).in_kernel());
    lab.clock.advance(std::chrono::seconds(4));
    lab.loop.run_due_timers();
    cr_expect_eq(lab.table_writes(), 0u, "written before the snapshot");
    lab.snapshot({{"web1", false}});
    cr_expect_not(lab.daemon.holding_unknown());
    cr_expect_eq(lab.table_writes(), 0u, "the snapshot says DOWN: still out, nothing written");
    lab.clock.advance(std::chrono::seconds(10));  // past the wait: it ended with the snapshot
    lab.loop.run_due_timers();
    cr_expect_eq(lab.table_writes(), 0u);
    lab.snapshot({{"web1", true}});
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 3, "UP: back with its weight");
}

Test(ipvsd, restart_keeps_kernel_weights_of_unknown_checks) {
    // Weight 0 (inhibit_on_failure, or a drain) and a dynamic weight of 7 as
    // the previous ipvsd left them: kept until checkd reports.
    Harness lab(config_text);
    lab.previous_table(7);
    lab.daemon.begin();
    cr_expect_eq(lab.table_writes(), 0u, "the restart wrote to the table");
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 7);
    lab.snapshot({{"web1", true}});
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 3, "the snapshot decides: configured weight");
    cr_expect_eq(lab.table_writes(), 1u);
}

Test(ipvsd, no_snapshot_within_the_wait_means_configuration) {
    std::string text = config_text;
    text.insert(text.find("}\n"), " check_snapshot_wait 2\n");
    Harness lab(text);
    lab.previous_table(std::nullopt);
    lab.daemon.begin();
    lab.clock.advance(std::chrono::milliseconds(1999));
    lab.loop.run_due_timers();
    cr_expect_not(lab.weight("203.0.113.11").has_value());
    lab.clock.advance(std::chrono::milliseconds(1));
    lab.loop.run_due_timers();
    cr_expect_not(lab.daemon.holding_unknown());
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 3, "unknown without alpha: up");
}

Test(ipvsd, check_snapshot_wait_zero_trusts_configuration_at_once) {
    std::string text = config_text;
    text.insert(text.find("}\n"), " check_snapshot_wait 0\n");
    Harness lab(text);
    lab.previous_table(std::nullopt);
    lab.daemon.begin();
    cr_expect_not(lab.daemon.holding_unknown());
    cr_expect_eq(lab.weight("203.0.113.11").value_or(-1), 3);
}

Test(ipvsd, refused_operation_is_retried_with_backoff_and_logged_once) {
    Harness lab(config_text);
    lab.daemon.connect_kernel();
    const Address web2 = *Address::parse("203.0.113.12");
    bool refusing = true;
    int attempts = 0;
    lab.kernel->refuse = [&](const Operation& operation) {
        if (operation.kind != Operation::Kind::add_destination || operation.destination.address != web2)
            return 0;
        ++attempts;
        return refusing ? EINVAL : 0;
    };
    lab.daemon.reconcile_now();
    cr_assert_eq(attempts, 1);
    cr_expect_eq(lab.daemon.counters().operations_failed, 1u);
    // Retried after 1 s, 2 s, 4 s, ... not only at the 60 s resync.
    const int delays[] = {1, 2, 4, 8, 16, 32, 60, 60};
    int expected = 1;
    for (int delay : delays) {
        lab.clock.advance(std::chrono::seconds(delay) - std::chrono::milliseconds(1));
        lab.loop.run_due_timers();
        cr_expect_eq(attempts, expected, "retried before %d s", delay);
        lab.clock.advance(std::chrono::milliseconds(1));
        lab.loop.run_due_timers();
        // The 60 s resync may fall on the same moment: at least one retry.
        cr_expect_geq(attempts, expected + 1, "not retried after %d s", delay);
        expected = attempts;
    }
    cr_expect_eq(lab.daemon.counters().refusals_logged, 1u, "the same refusal is logged once");
    refusing = false;
    lab.clock.advance(std::chrono::seconds(60));
    lab.loop.run_due_timers();
    cr_expect_eq(lab.weight("203.0.113.12").value_or(-1), 1, "accepted at last");
    const int settled = attempts;
    lab.clock.advance(std::chrono::seconds(59));
    lab.loop.run_due_timers();
    cr_expect_eq(attempts, settled, "no retry once accepted");
    // Refused again later: news again, logged again.
    refusing = true;
    lab.kernel->table.begin()->second.destinations.erase(DestinationKey{web2, 8080});
    lab.daemon.begin();  // a resync: the dump shows it gone
    cr_expect_eq(lab.daemon.counters().refusals_logged, 2u);
}

namespace {

// TCP and UDP on one address and port, with different real servers.
const char* const two_protocols =
    "virtual_server 192.0.2.100 53 {\n protocol TCP\n quorum 2\n"
    " real_server 203.0.113.11 53 { weight 1  track_check dns1 }\n"
    " real_server 203.0.113.12 53 { weight 1 }\n}\n"
    "virtual_server 192.0.2.100 53 {\n protocol UDP\n quorum 1\n"
    " real_server 203.0.113.11 53 { weight 2  track_check dns1 }\n"
    " real_server 203.0.113.13 53 { weight 1 }\n}\n";

ServiceKey dns_service(std::uint16_t protocol) {
    ServiceKey key;
    key.protocol = protocol;
    key.address = *Address::parse("192.0.2.100");
    key.port = 53;
    return key;
}

std::optional<int> kernel_weight(const FakeKernel& kernel, std::uint16_t protocol, const char* rs) {
    const Service& service = kernel.table.at(dns_service(protocol));
    auto found = service.destinations.find(DestinationKey{*Address::parse(rs), 53});
    if (found == service.destinations.end()) return std::nullopt;
    return found->second.settings.weight;
}

}  // namespace

Test(ipvsd, tcp_and_udp_on_one_address_are_two_virtual_servers) {
    Harness lab(two_protocols);
    lab.daemon.connect_kernel();
    lab.daemon.reconcile_now();
    proto::IpvsReply reply = lab.daemon.ipvs_reply();
    cr_assert_eq(reply.virtual_servers_size(), 2);
    const std::string tcp = reply.virtual_servers(0).label();
    const std::string udp = reply.virtual_servers(1).label();
    cr_expect_str_eq(tcp.c_str(), "192.0.2.100:53/tcp");
    cr_expect_str_eq(udp.c_str(), "192.0.2.100:53/udp");
    // Each row lists its own real servers, not the other protocol's.
    cr_assert_eq(reply.virtual_servers(0).real_servers_size(), 2);
    cr_assert_eq(reply.virtual_servers(1).real_servers_size(), 2);
    const std::string tcp_second = reply.virtual_servers(0).real_servers(1).address();
    const std::string udp_second = reply.virtual_servers(1).real_servers(1).address();
    cr_expect_str_eq(tcp_second.c_str(), "203.0.113.12:53");
    cr_expect_str_eq(udp_second.c_str(), "203.0.113.13:53");
    cr_expect_eq(reply.virtual_servers(0).live_weight(), 2);
    cr_expect_eq(reply.virtual_servers(1).live_weight(), 3);
    // Quorum apart: dns1 down leaves TCP with 1 < 2 (lost), UDP with 1 >= 1.
    lab.event("dns1", false, 1);
    reply = lab.daemon.ipvs_reply();
    cr_expect_not(reply.virtual_servers(0).quorum_up(), "TCP: quorum lost");
    cr_expect(reply.virtual_servers(1).quorum_up(), "UDP: its own quorum, kept");
}

Test(ipvsd, drain_names_the_protocol_and_affects_only_it) {
    Harness lab(two_protocols);
    lab.daemon.connect_kernel();
    lab.daemon.reconcile_now();
    // Both have 203.0.113.11:53: the address alone is ambiguous.
    proto::CommandReply reply = lab.daemon.drain("192.0.2.100:53", "203.0.113.11:53", true);
    cr_expect_not(reply.ok());
    const std::string ambiguous = reply.message();
    cr_expect_str_eq(ambiguous.c_str(),
                     "ipvsd: virtual server 192.0.2.100:53 is ambiguous: 192.0.2.100:53/tcp or "
                     "192.0.2.100:53/udp (name the protocol, as hactl ipvs does)");
    cr_expect_eq(kernel_weight(*lab.kernel, IPPROTO_TCP, "203.0.113.11").value_or(-1), 1);
    reply = lab.daemon.drain("192.0.2.100:53/udp", "203.0.113.11:53", true);
    cr_expect(reply.ok(), "%s", reply.message().c_str());
    cr_expect_eq(kernel_weight(*lab.kernel, IPPROTO_UDP, "203.0.113.11").value_or(-1), 0);
    cr_expect_eq(kernel_weight(*lab.kernel, IPPROTO_TCP, "203.0.113.11").value_or(-1), 1,
                 "the TCP service is not drained");
    proto::IpvsReply status = lab.daemon.ipvs_reply();
    cr_expect(status.virtual_servers(1).real_servers(0).drained());
    cr_expect_not(status.virtual_servers(0).real_servers(0).drained());
    // The protocol first, any case; and the address alone where it is unambiguous.
    reply = lab.daemon.drain("TCP:192.0.2.100:53", "203.0.113.11:53", true);
    cr_expect(reply.ok(), "%s", reply.message().c_str());
    const std::string message = reply.message();
    cr_expect_str_eq(message.c_str(), "ipvsd: drained 203.0.113.11:53 of 192.0.2.100:53/tcp: weight 1 -> 0, 1 kernel operation(s)");
    cr_expect_eq(kernel_weight(*lab.kernel, IPPROTO_TCP, "203.0.113.11").value_or(-1), 0);
    reply = lab.daemon.drain("192.0.2.100:53", "203.0.113.13:53", true);
    cr_expect_not(reply.ok(), "still ambiguous even if only UDP has that real server");
    reply = lab.daemon.drain("192.0.2.100:53/sctp", "203.0.113.13:53", true);
    cr_expect_not(reply.ok());
    const std::string missing = reply.message();
    cr_expect_str_eq(missing.c_str(), "ipvsd: no virtual server 192.0.2.100:53/sctp (hactl ipvs lists them)");
}

Test(ipvsd, address_alone_names_the_only_protocol_there) {
    Harness lab("virtual_server 192.0.2.100 53 {\n protocol UDP\n"
                " real_server 203.0.113.11 53 { weight 2 }\n}\n");
    lab.daemon.connect_kernel();
    lab.daemon.reconcile_now();
    proto::CommandReply reply = lab.daemon.drain("192.0.2.100:53", "203.0.113.11:53", true);
    cr_expect(reply.ok(), "%s", reply.message().c_str());
    const std::string message = reply.message();
    cr_expect_str_eq(message.c_str(), "ipvsd: drained 203.0.113.11:53 of 192.0.2.100:53/udp: weight 2 -> 0, 1 kernel operation(s)");
    cr_expect_eq(kernel_weight(*lab.kernel, IPPROTO_UDP, "203.0.113.11").value_or(-1), 0);
}
