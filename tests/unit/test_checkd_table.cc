// The supervisor's table of checks, pure: identical checkers become one
// probe feeding several checks; results drive rise/fall per check with a
// growing seq; snapshots leave UNKNOWN checks out; a reload keeps the state
// of unchanged checks; hactl's reply comes in pages within their budget.
// And the lateness histogram's quantiles.
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "checkd/check_table.h"
#include "checkd/lateness.h"

using namespace hakeep;
using checkd::CheckTable;
using checkd::Health;

namespace {

class Files final : public config::FileSource {
public:
    explicit Files(std::string text) : text_(std::move(text)) {}
    std::optional<std::string> read(const std::string&) override { return text_; }
    std::vector<std::string> expand(const std::string&) override { return {}; }

private:
    std::string text_;
};

checkd::CheckdConfig load(const std::string& text) {
    Files files(text);
    return checkd::load_checkd_config("/c.conf", files);
}

const char* two_same = R"(
check a { address 192.0.2.1 80  delay_loop 1  rise 2  TCP_CHECK { } }
check b { address 192.0.2.1 80  delay_loop 1  TCP_CHECK { } }
check c { address 192.0.2.2 80  delay_loop 1  TCP_CHECK { } }
vrrp_script s { script /bin/true  weight -10 }
)";

proto::ProbeResult result(std::uint32_t id, bool ok, const char* reason = "") {
    proto::ProbeResult r;
    r.set_id(id);
    r.set_ok(ok);
    r.set_reason(reason);
    r.set_latency_us(1500);
    return r;
}

std::uint32_t probe_of(const CheckTable& table, std::size_t check) { return table.checks()[check].probes[0]; }

}  // namespace

Test(checkd_table, identical_checkers_share_one_probe) {
    CheckTable table;
    table.load(load(two_same).checks, "nobody");
    cr_assert_eq(table.checks().size(), 4u);
    cr_expect_eq(table.probes().size(), 3u, "a and b share a probe");
    cr_expect_eq(probe_of(table, 0), probe_of(table, 1));
    cr_expect_neq(probe_of(table, 0), probe_of(table, 2));
    const checkd::Probe& script = table.probes().at(probe_of(table, 3));
    cr_expect(script.local);
    const std::string account = script.spec().checker().user();
    cr_expect_str_eq(account.c_str(), "nobody", "scripts run as the default account");
    cr_expect_eq(table.probes().at(probe_of(table, 0)).feeds.size(), 2u);
}

Test(checkd_table, probes_keep_their_spec_serialized_and_hactl_reads_type_and_target_from_them) {
    CheckTable table;
    table.load(load(R"(
check web { address 192.0.2.7 8080  delay_loop 3  TCP_CHECK { connect_timeout 2 }  MISC_CHECK { misc_path "/bin/true -x" } }
check same { address 192.0.2.7 8080  delay_loop 3  TCP_CHECK { connect_timeout 2 } }
vrrp_script s { script /bin/true }
)").checks, "nobody");
    cr_assert_eq(table.probes().size(), 3u, "web and same share their TCP_CHECK");
    const std::uint32_t tcp = probe_of(table, 0);
    const proto::ProbeSpec spec = table.probes().at(tcp).spec();
    cr_expect_eq(spec.id(), tcp, "spec() carries the probe's id");
    cr_expect_eq(spec.interval_ms(), 3000u);
    cr_expect_eq(spec.checker().connect_timeout_ms(), 2000u);
    const std::string address = spec.checker().address();
    cr_expect_str_eq(address.c_str(), "192.0.2.7");
    const proto::ProbeSpec misc = table.probes().at(table.checks()[0].probes[1]).spec();
    const std::string user = misc.checker().user();
    cr_expect_str_eq(user.c_str(), "nobody", "a local probe's spec names its account");
    proto::ChecksReply reply;
    table.fill_reply(reply, 0, 1 << 20);
    cr_assert_eq(reply.checks_size(), 3);
    const std::string type = reply.checks(0).type(), target = reply.checks(0).target();
    cr_expect_str_eq(type.c_str(), "TCP_CHECK+MISC_CHECK");
    cr_expect_str_eq(target.c_str(), "192.0.2.7:8080", "the first checker's target");
    const std::string script_type = reply.checks(2).type(), script_target = reply.checks(2).target();
    cr_expect_str_eq(script_type.c_str(), "vrrp_script");
    cr_expect_str_eq(script_target.c_str(), "/bin/true");
}

Test(checkd_table, results_feed_every_check_of_a_probe_with_its_own_rise) {
    CheckTable table;
    table.load(load(two_same).checks, "nobody");
    const std::uint32_t shared = probe_of(table, 0);
    auto changes = table.record(result(shared, true), 1000);
    cr_assert_eq(changes.size(), 1u, "b (rise 1) is UP, a (rise 2) not yet");
    cr_expect_eq(changes[0].check, 1u);
    cr_expect(changes[0].before == Health::unknown);
    changes = table.record(result(shared, true), 2000);
    cr_assert_eq(changes.size(), 1u);
    cr_expect_eq(changes[0].check, 0u);
    cr_expect_eq(table.checks()[0].seq, 1u);
    cr_expect_eq(table.checks()[0].runs, 2u);
    cr_expect_eq(table.checks()[0].since_unix_ms, 2000);
    changes = table.record(result(shared, false, "connect: refused"), 3000);
    cr_expect_eq(changes.size(), 2u);
    const proto::CheckEvent event = table.event(1);
    cr_expect_str_eq(event.name().c_str(), "b");
    cr_expect_not(event.up());
    cr_expect_eq(event.seq(), 2u, "b changed twice");
    cr_expect_str_eq(event.reason().c_str(), "connect: refused");
    cr_expect_eq(table.checks()[1].state_changes, 2u, "b: UNKNOWN -> UP -> DOWN");
    table.record(result(shared, false, "connect: refused"), 3500);
    cr_expect_eq(table.checks()[1].state_changes, 2u, "a failure while DOWN is no change");
    proto::ChecksReply reply;
    table.fill_reply(reply, 0, 1 << 20);
    cr_expect_eq(reply.checks(1).state_changes(), 2u, "hactl sees the count");
    cr_expect(table.record(result(9999, true), 4000).empty(), "a probe of an older configuration");
}

Test(checkd_table, snapshot_leaves_unknown_checks_out) {
    CheckTable table;
    table.load(load(two_same).checks, "nobody");
    cr_expect_eq(table.snapshot(7).checks_size(), 0, "nothing decided yet");
    table.record(result(probe_of(table, 2), false, "connect: timeout"), 1000);
    table.record(result(probe_of(table, 3), true), 1000);
    const proto::CheckSnapshot snapshot = table.snapshot(7);
    cr_expect_eq(snapshot.generation(), 7u);
    cr_assert_eq(snapshot.checks_size(), 2);
    cr_expect_str_eq(snapshot.checks(0).name().c_str(), "c");
    cr_expect_not(snapshot.checks(0).up());
    cr_expect_str_eq(snapshot.checks(1).name().c_str(), "s");
    cr_expect_eq(snapshot.checks(1).weight(), -10, "a vrrp_script's weight, for vrrpd");
    cr_expect_not(snapshot.checks(1).dynamic_weight());
    cr_expect_eq(table.known(), 2u);
}

Test(checkd_table, reload_keeps_unchanged_checks_and_probe_ids) {
    CheckTable table;
    table.load(load(two_same).checks, "nobody");
    const std::uint32_t c_probe = probe_of(table, 2);
    table.record(result(c_probe, true), 1000);
    table.record(result(probe_of(table, 1), true), 1000);
    // c unchanged; b's rise changed; a removed.
    table.load(load(R"(
check b { address 192.0.2.1 80  delay_loop 1  rise 3  TCP_CHECK { } }
check c { address 192.0.2.2 80  delay_loop 1  TCP_CHECK { } }
)").checks, "nobody");
    cr_assert_eq(table.checks().size(), 2u);
    cr_expect(table.checks()[1].health.state() == Health::up, "c kept its state");
    cr_expect_eq(table.checks()[1].since_unix_ms, 1000);
    cr_expect_eq(probe_of(table, 1), c_probe, "c's probe kept its id");
    cr_expect(table.checks()[0].health.state() == Health::unknown, "b changed: it starts afresh");
}

Test(checkd_table, hactl_reply_in_pages_within_budget) {
    std::string text;
    for (int i = 0; i < 400; ++i)
        text += "check web" + std::to_string(i) + " { address 192.0.2." + std::to_string(i % 250 + 1) + " " +
                std::to_string(1000 + i) + "  TCP_CHECK { } }\n";
    CheckTable table;
    table.load(load(text).checks, "nobody");
    table.record(result(probe_of(table, 399), false, "connect: refused"), 1000);
    // Small pages: each within its budget, together every check once, in table order.
    std::vector<std::string> names;
    std::uint32_t next = 0;
    int pages = 0;
    do {
        proto::ChecksReply page;
        table.fill_reply(page, next, 2000);
        ++pages;
        cr_assert_gt(page.checks_size(), 0);
        cr_expect_leq(page.ByteSizeLong(), 2000u);
        cr_assert(page.next_check() == 0 || page.next_check() > next, "pages advance");
        for (const proto::CheckDetail& check : page.checks()) names.push_back(check.name());
        next = page.next_check();
    } while (next != 0 && pages < 1000);
    cr_expect_gt(pages, 1);
    cr_assert_eq(names.size(), 400u);
    for (int i = 0; i < 400; ++i) cr_expect_str_eq(names[i].c_str(), table.checks()[i].name.c_str());
    // One large page holds them all.
    proto::ChecksReply whole;
    table.fill_reply(whole, 0, 1 << 20);
    cr_expect_eq(whole.checks_size(), 400);
    cr_expect_eq(whole.next_check(), 0u);
    cr_expect_str_eq(whole.checks(0).type().c_str(), "TCP_CHECK");
    cr_expect_str_eq(whole.checks(0).target().c_str(), "192.0.2.1:1000");
    bool down = false;
    for (const proto::CheckDetail& check : whole.checks())
        if (check.name() == "web399") down = check.state() == "DOWN";
    cr_expect(down, "web399 is DOWN");
    // Past the end: an empty last page.
    proto::ChecksReply beyond;
    table.fill_reply(beyond, 400, 2000);
    cr_expect_eq(beyond.checks_size(), 0);
    cr_expect_eq(beyond.next_check(), 0u);
}

Test(checkd_lateness, quantiles_within_a_bucket) {
    checkd::LatenessHistogram histogram;
    cr_expect_eq(histogram.quantile_us(0.99), 0u);
    for (int i = 0; i < 990; ++i) histogram.add(100);
    for (int i = 0; i < 10; ++i) histogram.add(50000);
    const auto p50 = histogram.quantile_us(0.5);
    const auto p99 = histogram.quantile_us(0.99);
    const auto p999 = histogram.quantile_us(0.999);
    cr_expect(p50 >= 100 && p50 < 120, "p50 %lu", static_cast<unsigned long>(p50));
    cr_expect(p99 >= 100 && p99 < 120, "p99 %lu", static_cast<unsigned long>(p99));
    cr_expect(p999 >= 50000 && p999 < 60000, "p99.9 %lu", static_cast<unsigned long>(p999));
    histogram.add(0xffffffffu);
    cr_expect_eq(histogram.count(), 1001u);
}

Test(checkd_table, alpha_starts_down_in_the_snapshot_until_rise_passes) {
    CheckTable table;
    table.load(load(R"(
check a { address 192.0.2.1 80  delay_loop 1  rise 2  alpha  TCP_CHECK { } }
check b { address 192.0.2.2 80  delay_loop 1  TCP_CHECK { alpha } TCP_CHECK { connect_port 81 } }
check c { address 192.0.2.3 80  delay_loop 1  alpha  TCP_CHECK { alpha off } }
)")
                   .checks,
               "nobody");
    const proto::CheckSnapshot first = table.snapshot(1);
    cr_assert_eq(first.checks_size(), 2, "a and b DOWN from the start; c (alpha off in its checker) UNKNOWN");
    cr_expect_str_eq(first.checks(0).name().c_str(), "a");
    cr_expect_not(first.checks(0).up());
    cr_expect_str_eq(first.checks(0).reason().c_str(), "initial state (alpha)");
    cr_expect_str_eq(first.checks(1).name().c_str(), "b");
    cr_expect_not(first.checks(1).up());
    const std::uint32_t a = probe_of(table, 0);
    cr_expect(table.record(result(a, true), 1000).empty(), "rise 2: one pass is not enough");
    const auto changes = table.record(result(a, true), 2000);
    cr_assert_eq(changes.size(), 1u);
    cr_expect(changes[0].before == Health::down);
    cr_expect(table.checks()[0].health.state() == Health::up);
    // b: its second checker passing does not lift the alpha of the first.
    table.record(result(table.checks()[1].probes[1], true), 1000);
    cr_expect(table.checks()[1].health.state() == Health::down);
    table.record(result(table.checks()[1].probes[0], true), 1000);
    cr_expect(table.checks()[1].health.state() == Health::up);
}

Test(checkd_table, log_all_failures_reports_the_failures_before_the_fall) {
    CheckTable table;
    table.load(load(R"(
check a { address 192.0.2.1 80  delay_loop 1  fall 3  log_all_failures  TCP_CHECK { } }
check b { address 192.0.2.2 80  delay_loop 1  fall 3  TCP_CHECK { } }
)")
                   .checks,
               "nobody");
    std::vector<CheckTable::Failure> failures;
    table.record(result(probe_of(table, 0), true), 1000, &failures);
    cr_expect(failures.empty());
    table.record(result(probe_of(table, 0), false, "connect: refused"), 2000, &failures);
    table.record(result(probe_of(table, 1), false, "connect: refused"), 2000, &failures);
    cr_assert_eq(failures.size(), 1u, "only a's failure, b does not log them");
    cr_expect_eq(failures[0].check, 0u);
    cr_expect_eq(failures[0].checker, 0u);
    table.record(result(probe_of(table, 0), false, "connect: refused"), 3000, &failures);
    cr_expect_eq(failures.size(), 2u);
    const auto changes = table.record(result(probe_of(table, 0), false, "connect: refused"), 4000, &failures);
    cr_expect_eq(changes.size(), 1u, "the third failure takes a DOWN");
    cr_expect_eq(failures.size(), 2u, "and is logged as the change, not again as a failure");
}
