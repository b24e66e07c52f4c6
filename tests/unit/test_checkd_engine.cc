// checkd's pure engine parts: rise/fall hysteresis and several checkers in
// one check; the scheduler's spread, period without drift and overruns, on a
// FakeClock; DNS query and reply judging with hostile replies.
#include <criterion/criterion.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "checkd/dns_message.h"
#include "checkd/health.h"
#include "checkd/scheduler.h"
#include "common/clock.h"
#include "common/event_loop.h"
#include "tests/unit/expect_text.h"

using namespace hakeep;
using namespace std::chrono_literals;
using checkd::CheckerOutcome;
using checkd::CheckHealth;
using checkd::Health;

namespace {

CheckerOutcome pass() { return CheckerOutcome{true, "", std::nullopt}; }
CheckerOutcome failure(const char* reason) { return CheckerOutcome{false, reason, std::nullopt}; }

}  // namespace

Test(checkd_health, unknown_until_rise_or_fall_then_hysteresis) {
    CheckHealth health(1, 2, 3);
    cr_expect(health.state() == Health::unknown);
    cr_expect_not(health.record(0, pass()), "one success of rise 2: still unknown");
    cr_expect(health.record(0, pass()), "second success: UP is news");
    cr_expect(health.state() == Health::up);
    cr_expect_not(health.record(0, failure("connect: refused")));
    cr_expect_not(health.record(0, failure("connect: refused")));
    cr_expect(health.state() == Health::up, "two failures of fall 3");
    cr_expect_eq(health.consecutive_failures(), 2u);
    cr_expect_not(health.record(0, pass()), "a success resets the failures");
    cr_expect_eq(health.consecutive_failures(), 0u);
    for (int i = 0; i < 2; ++i) health.record(0, failure("connect: timeout"));
    cr_expect(health.record(0, failure("connect: timeout")), "third failure in a row: DOWN");
    cr_expect(health.state() == Health::down);
    EXPECT_TEXT(health.reason(), "connect: timeout");
    cr_expect_not(health.record(0, pass()));
    cr_expect(health.record(0, pass()), "back UP after rise");
    EXPECT_TEXT(health.reason(), "");
    EXPECT_TEXT(health.last_failure(), "connect: timeout");  // kept for hactl
}

Test(checkd_health, first_failures_decide_down_from_unknown) {
    CheckHealth health(1, 1, 2);
    cr_expect_not(health.record(0, failure("x")));
    cr_expect(health.state() == Health::unknown);
    cr_expect(health.record(0, failure("x")));
    cr_expect(health.state() == Health::down);
}

Test(checkd_health, init_fail_starts_down) {
    CheckHealth health(1, 2, 1, true);
    cr_expect(health.state() == Health::down);
    cr_expect_not(health.record(0, pass()));
    cr_expect(health.record(0, pass()));
    cr_expect(health.state() == Health::up);
}

Test(checkd_health, several_checkers_up_only_while_all_pass) {
    CheckHealth health(2, 1, 1);
    cr_expect_not(health.record(0, pass()), "the other checker has not run");
    cr_expect(health.state() == Health::unknown);
    cr_expect(health.record(1, pass()));
    cr_expect(health.state() == Health::up);
    cr_expect(health.record(1, failure("http: status 503")));
    cr_expect(health.state() == Health::down);
    EXPECT_TEXT(health.reason(), "http: status 503");
    cr_expect_not(health.record(0, pass()), "one passing checker does not lift the check");
    cr_expect(health.record(1, pass()));
    // A failing checker makes the check DOWN even while another is unknown.
    CheckHealth partial(2, 1, 1);
    cr_expect(partial.record(0, failure("connect: refused")));
    cr_expect(partial.state() == Health::down);
}

Test(checkd_health, dynamic_weight_changes_are_news) {
    CheckHealth health(1, 1, 1);
    cr_expect(health.record(0, CheckerOutcome{true, "", 10}));
    cr_expect_eq(health.weight(), 10);
    cr_expect_not(health.record(0, CheckerOutcome{true, "", 10}), "same weight: nothing new");
    cr_expect(health.record(0, CheckerOutcome{true, "", 20}));
    cr_expect_eq(health.weight(), 20);
    cr_expect(health.record(0, failure("script: exit 1")));
    cr_expect_eq(health.weight(), 20, "a failed run keeps the last weight");
}

// ---------------------------------------------------------------- scheduler

namespace {

struct SchedulerBench {
    FakeClock clock;
    EventLoop loop{clock};
    std::vector<std::pair<std::uint32_t, Duration>> starts;  // id, time since t0
    TimePoint t0 = clock.now();
    bool finish_at_once = true;
    checkd::Scheduler scheduler{loop, [this](std::uint32_t id, Duration) {
                                    starts.emplace_back(id, clock.now() - t0);
                                    if (finish_at_once) scheduler.finished(id);
                                }};
    // Advances in steps of `step` until `until`, firing due timers.
    void run_until(Duration until, Duration step = 1ms) {
        while (clock.now() - t0 < until) {
            clock.advance(step);
            loop.run_due_timers();
        }
    }
};

}  // namespace

Test(checkd_scheduler, first_runs_spread_evenly_then_on_period) {
    SchedulerBench bench;
    std::vector<checkd::Scheduler::Entry> entries;
    for (std::uint32_t id = 1; id <= 10; ++id) entries.push_back({id, 1000ms, 1000ms});
    bench.scheduler.assign(entries);
    bench.loop.run_due_timers();  // the first of the group is due now
    bench.run_until(999ms);
    cr_assert_eq(bench.starts.size(), 10u, "every probe ran once in its first interval");
    for (std::size_t i = 0; i < 10; ++i) {
        cr_expect_eq(bench.starts[i].first, static_cast<std::uint32_t>(i + 1));
        cr_expect_eq(std::chrono::duration_cast<std::chrono::milliseconds>(bench.starts[i].second).count(),
                     static_cast<long>(i * 100), "probe %zu starts at %zu ms", i + 1, i * 100);
    }
    bench.starts.clear();
    bench.run_until(60999ms);
    cr_assert_eq(bench.starts.size(), 600u, "one run per second each, no burst, no loss");
    // No drift: run k of probe 3 is at exactly 200 ms + k s.
    std::vector<Duration> third;
    for (const auto& [id, at] : bench.starts)
        if (id == 3) third.push_back(at);
    cr_assert_eq(third.size(), 60u);
    for (std::size_t k = 0; k < third.size(); ++k)
        cr_expect(third[k] == 200ms + std::chrono::seconds(k + 1), "run %zu of probe 3 drifted", k);
}

Test(checkd_scheduler, late_wakeups_do_not_shift_the_grid) {
    SchedulerBench bench;
    bench.scheduler.assign({{7, 100ms, 0ms}});
    bench.loop.run_due_timers();
    // The loop wakes 30 ms late for the next run: it runs late once, and the
    // run after that is back on the 100 ms grid.
    bench.clock.advance(130ms);
    bench.loop.run_due_timers();
    bench.clock.advance(70ms);
    bench.loop.run_due_timers();
    cr_assert_eq(bench.starts.size(), 3u);
    cr_expect(bench.starts[1].second == 130ms);
    cr_expect(bench.starts[2].second == 200ms);
}

Test(checkd_scheduler, busy_probe_skips_a_run_and_stalls_skip_missed_deadlines) {
    SchedulerBench bench;
    bench.finish_at_once = false;
    bench.scheduler.assign({{1, 100ms, 0ms}});
    bench.loop.run_due_timers();
    cr_expect(bench.scheduler.running(1));
    bench.run_until(250ms);
    cr_expect_eq(bench.starts.size(), 1u, "never two runs of one probe at once");
    cr_expect_eq(bench.scheduler.overruns(), 2u);
    bench.scheduler.finished(1);
    bench.run_until(300ms);
    cr_expect_eq(bench.starts.size(), 2u);
    // A stall of 1 s: one late run, then back on the grid.
    bench.scheduler.finished(1);
    bench.clock.advance(1050ms);
    bench.loop.run_due_timers();
    cr_expect_eq(bench.starts.size(), 3u);
    cr_expect_eq(bench.loop.pending_timers(), 1u);
}

Test(checkd_scheduler, reassign_keeps_timing_of_unchanged_probes) {
    SchedulerBench bench;
    bench.scheduler.assign({{1, 1000ms, 0ms}, {2, 1000ms, 0ms}});
    bench.loop.run_due_timers();
    bench.run_until(500ms);
    bench.starts.clear();
    // Probe 1 kept, 2 dropped, 3 new (immediately, spread 0).
    bench.scheduler.assign({{1, 1000ms, 0ms}, {3, 1000ms, 0ms}});
    bench.loop.run_due_timers();
    bench.run_until(1400ms);
    std::map<std::uint32_t, std::vector<Duration>> by_id;
    for (const auto& [id, at] : bench.starts) by_id[id].push_back(at);
    cr_expect_eq(by_id.count(2), 0u, "a dropped probe never runs again");
    cr_assert_eq(by_id[1].size(), 1u);
    cr_expect(by_id[1][0] == 1000ms, "probe 1 kept its grid");
    cr_assert_eq(by_id[3].size(), 1u);
    cr_expect(by_id[3][0] == 500ms, "probe 3 started at once");
    cr_expect_eq(bench.scheduler.size(), 2u);
}

// ---------------------------------------------------------------- dns

Test(checkd_dns, query_bytes) {
    const std::string query = checkd::dns_build_query(0x1234, "example.org", 28);
    const std::string expected("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                               "\x07" "example" "\x03" "org" "\x00" "\x00\x1c\x00\x01", 12 + 13 + 4);
    cr_expect(query == expected);
    const std::string root = checkd::dns_build_query(1, ".", 6);
    cr_expect_eq(root.size(), 12u + 1 + 4);
    cr_expect(checkd::dns_name_valid("a.b."));
    cr_expect_not(checkd::dns_name_valid("a..b"));
    cr_expect_not(checkd::dns_name_valid(std::string(64, 'a')));
}

Test(checkd_dns, replies_judged) {
    const std::string question = checkd::dns_build_query(7, "example.org", 1).substr(12);
    const auto header = [](std::uint16_t id, std::uint16_t flags, std::uint16_t qd, std::uint16_t an) {
        std::string h;
        for (std::uint16_t v : {id, flags, qd, an, std::uint16_t{0}, std::uint16_t{0}}) {
            h += static_cast<char>(v >> 8);
            h += static_cast<char>(v & 0xff);
        }
        return h;
    };
    // example.org A 192.0.2.1, the name compressed to the question.
    const std::string answer("\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01", 16);
    bool ignore = false;
    EXPECT_TEXT(checkd::dns_judge_reply(header(7, 0x8180, 1, 1) + question + answer, 7, ignore), "");
    EXPECT_TEXT(checkd::dns_judge_reply(header(7, 0x8183, 1, 0) + question, 7, ignore),
                     "dns: rcode NXDOMAIN");
    EXPECT_TEXT(checkd::dns_judge_reply(header(7, 0x8180, 1, 0) + question, 7, ignore),
                     "dns: no answer");
    EXPECT_TEXT(checkd::dns_judge_reply(header(7, 0x0100, 1, 1) + question + answer, 7, ignore),
                     "dns: malformed reply (not a response)");
    EXPECT_TEXT(checkd::dns_judge_reply("\x00\x07\x81", 7, ignore),
                     "dns: malformed reply (short header)");
    // A record whose length runs past the datagram.
    std::string bad = answer;
    bad[11] = '\x40';
    EXPECT_TEXT(checkd::dns_judge_reply(header(7, 0x8180, 1, 1) + question + bad, 7, ignore),
                     "dns: malformed reply (bad record length)");
    // More answers announced than present; a label running off the end.
    EXPECT_TEXT(checkd::dns_judge_reply(header(7, 0x8180, 1, 5) + question + answer, 7, ignore),
                     "dns: malformed reply (answer)");
    EXPECT_TEXT(checkd::dns_judge_reply(header(7, 0x8180, 1, 0) + "\x3f" "abc", 7, ignore),
                     "dns: malformed reply (question)");
    cr_expect_not(ignore);
    checkd::dns_judge_reply(header(8, 0x8180, 1, 1) + question + answer, 7, ignore);
    cr_expect(ignore, "a reply with another id is not ours");
}

Test(checkd_scheduler, tick_coalesces_wakeups_but_lateness_is_against_the_true_deadline) {
    FakeClock clock;
    EventLoop loop(clock);
    std::vector<Duration> lateness;
    checkd::Scheduler scheduler(loop, [&](std::uint32_t id, Duration late) {
        lateness.push_back(late);
        scheduler.finished(id);
    }, 2ms);
    // Ten probes due at 0, 1, ..., 9 ms; over the first 9 ms, nine runs on
    // five wake-ups (0, 2, 4, 6, 8 ms), not nine.
    std::vector<checkd::Scheduler::Entry> entries;
    for (std::uint32_t id = 1; id <= 10; ++id) entries.push_back({id, 10ms, 10ms});
    clock.set(TimePoint{std::chrono::seconds(1000)});  // on the 2 ms grid
    scheduler.assign(entries);
    std::size_t wakeups = 0;
    for (int ms = 0; ms < 9; ++ms) {
        if (loop.run_due_timers() > 0) ++wakeups;
        clock.advance(1ms);
    }
    cr_expect_eq(lateness.size(), 9u);
    cr_expect_eq(wakeups, 5u, "one wake-up per 2 ms tick");
    for (Duration late : lateness) cr_expect(late >= 0ms && late < 2ms, "lateness below one tick");
    cr_expect(lateness[1] == 1ms, "the second probe, due at 1 ms, ran at 2 ms");
}
