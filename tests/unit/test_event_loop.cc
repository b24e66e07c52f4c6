// EventLoop: timers driven by a FakeClock (order, cancel, re-entrancy,
// next_deadline), a real timer through run_once(), descriptors on pipes
// (delivery, unwatch, stale events in the same batch) and signals via signalfd.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/event_loop.h"
#include "common/unique_fd.h"

using hakeep::Duration;
using hakeep::EventLoop;
using hakeep::FakeClock;
using hakeep::SystemClock;
using hakeep::TimePoint;
using hakeep::UniqueFd;
using namespace std::chrono_literals;

namespace {

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
    return text;
}

#define EXPECT_FIRED(actual, expected)                                                          \
    do {                                                                                        \
        const std::string actual_text_ = joined(actual);                                        \
        const std::string expected_text_ = (expected);                                          \
        cr_assert_str_eq(actual_text_.c_str(), expected_text_.c_str(), "fired [%s], want [%s]", \
                         actual_text_.c_str(), expected_text_.c_str());                         \
    } while (0)

struct Pipe {
    UniqueFd read_end;
    UniqueFd write_end;
    Pipe() {
        int fds[2];
        cr_assert_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
    }
    void put() const { cr_assert_eq(write(write_end.get(), "x", 1), 1); }
};

long long elapsed_ms(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 since)
        .count();
}

// A test that hangs dies of SIGALRM and fails. Not Criterion's .timeout, whose
// bookkeeping the runner leaks under LeakSanitizer whenever such a test ends early.
void arm_watchdog() {
    alarm(5);
}

}  // namespace

TestSuite(event_loop, .init = arm_watchdog);

// ---------------------------------------------------------------- FakeClock timers

Test(event_loop, timers_fire_in_deadline_order) {
    FakeClock clock;
    EventLoop loop(clock);
    std::vector<std::string> fired;
    loop.schedule(30ms, [&] { fired.push_back("30"); });
    loop.schedule(10ms, [&] { fired.push_back("10"); });
    loop.schedule(20ms, [&] { fired.push_back("20"); });

    clock.advance(9ms);
    cr_assert_eq(loop.run_due_timers(), 0u);
    clock.advance(1ms);  // exactly at the deadline: due
    cr_assert_eq(loop.run_due_timers(), 1u);
    EXPECT_FIRED(fired, "10");
    clock.advance(100ms);  // both late ones in one call, still by deadline
    cr_assert_eq(loop.run_due_timers(), 2u);
    EXPECT_FIRED(fired, "10 20 30");
    cr_assert_eq(loop.pending_timers(), 0u);
    cr_assert_eq(loop.run_due_timers(), 0u);
}

Test(event_loop, same_deadline_fires_in_scheduling_order) {
    FakeClock clock;
    EventLoop loop(clock);
    std::vector<std::string> fired;
    const TimePoint deadline = clock.now() + 50ms;
    // Interleaved with an earlier and a later deadline, and both schedule forms.
    loop.schedule_at(deadline, [&] { fired.push_back("a"); });
    loop.schedule(60ms, [&] { fired.push_back("late"); });
    loop.schedule(50ms, [&] { fired.push_back("b"); });
    loop.schedule(40ms, [&] { fired.push_back("early"); });
    loop.schedule_at(deadline, [&] { fired.push_back("c"); });
    loop.schedule(50ms, [&] { fired.push_back("d"); });
    loop.schedule_at(deadline, [&] { fired.push_back("e"); });

    clock.advance(50ms);
    cr_assert_eq(loop.run_due_timers(), 6u);
    EXPECT_FIRED(fired, "early a b c d e");
    clock.advance(10ms);
    cr_assert_eq(loop.run_due_timers(), 1u);
    EXPECT_FIRED(fired, "early a b c d e late");
}

Test(event_loop, cancel_prevents_firing) {
    FakeClock clock;
    EventLoop loop(clock);
    std::vector<std::string> fired;
    const auto first = loop.schedule(10ms, [&] { fired.push_back("first"); });
    const auto second = loop.schedule(20ms, [&] { fired.push_back("second"); });
    loop.schedule(30ms, [&] { fired.push_back("third"); });
    cr_assert_eq(loop.pending_timers(), 3u);

    loop.cancel(second);
    cr_assert_eq(loop.pending_timers(), 2u);
    loop.cancel(second);  // twice: harmless
    loop.cancel(987654);  // unknown: harmless
    cr_assert_eq(loop.pending_timers(), 2u);

    clock.advance(100ms);
    cr_assert_eq(loop.run_due_timers(), 2u);
    EXPECT_FIRED(fired, "first third");
    loop.cancel(first);  // already fired: harmless
    cr_assert_eq(loop.pending_timers(), 0u);
    cr_assert_eq(loop.run_due_timers(), 0u);
}

Test(event_loop, cancel_from_inside_another_timer_callback) {
    FakeClock clock;
    EventLoop loop(clock);
    std::vector<std::string> fired;
    EventLoop::TimerId same_instant = 0;
    EventLoop::TimerId later = 0;
    loop.schedule(10ms, [&] {
        fired.push_back("canceller");
        loop.cancel(same_instant);  // due in this very run_due_timers()
        loop.cancel(later);
    });
    same_instant = loop.schedule(10ms, [&] { fired.push_back("same_instant"); });
    later = loop.schedule(20ms, [&] { fired.push_back("later"); });
    loop.schedule(20ms, [&] { fired.push_back("survivor"); });

    clock.advance(10ms);
    cr_assert_eq(loop.run_due_timers(), 1u);
    EXPECT_FIRED(fired, "canceller");
    cr_assert_eq(loop.pending_timers(), 1u);
    clock.advance(10ms);
    cr_assert_eq(loop.run_due_timers(), 1u);
    EXPECT_FIRED(fired, "canceller survivor");
}

Test(event_loop, timer_cancelling_itself_is_harmless) {
    FakeClock clock;
    EventLoop loop(clock);
    int calls = 0;
    EventLoop::TimerId self = 0;
    self = loop.schedule(1ms, [&] {
        ++calls;
        loop.cancel(self);
    });
    clock.advance(1ms);
    cr_assert_eq(loop.run_due_timers(), 1u);
    cr_assert_eq(calls, 1);
    cr_assert_eq(loop.pending_timers(), 0u);
}

Test(event_loop, zero_delay_timer_from_callback_fires_on_next_run) {
    FakeClock clock;
    EventLoop loop(clock);
    std::vector<std::string> fired;
    loop.schedule(10ms, [&] {
        fired.push_back("outer");
        loop.schedule(Duration::zero(), [&] { fired.push_back("zero"); });
        // Already in the past when scheduled: also waits for the next call.
        loop.schedule_at(clock.now() - 5ms, [&] { fired.push_back("past"); });
    });
    clock.advance(10ms);
    cr_assert_eq(loop.run_due_timers(), 1u);
    EXPECT_FIRED(fired, "outer");
    cr_assert_eq(loop.pending_timers(), 2u);
    cr_assert(loop.next_deadline().has_value());
    cr_assert(*loop.next_deadline() <= clock.now(), "they are due now");

    cr_assert_eq(loop.run_due_timers(), 2u);  // no time passed
    EXPECT_FIRED(fired, "outer past zero");
    cr_assert_eq(loop.pending_timers(), 0u);
}

Test(event_loop, self_rescheduling_zero_delay_timer_fires_once_per_run) {
    // Before the fix this spun inside one run_due_timers() (the guard stopped it at 1000).
    FakeClock clock;
    EventLoop loop(clock);
    int calls = 0;
    std::function<void()> again = [&] {
        if (++calls < 1000) loop.schedule(Duration::zero(), again);
    };
    loop.schedule(Duration::zero(), again);
    cr_assert_eq(loop.run_due_timers(), 1u);
    cr_assert_eq(calls, 1);
    cr_assert_eq(loop.run_due_timers(), 1u);
    cr_assert_eq(calls, 2);
    cr_assert_eq(loop.pending_timers(), 1u);
}

Test(event_loop, next_deadline_and_pending_timers) {
    FakeClock clock;
    EventLoop loop(clock);
    const TimePoint start = clock.now();
    cr_assert_not(loop.next_deadline().has_value());
    cr_assert_eq(loop.pending_timers(), 0u);

    loop.schedule(30ms, [] {});
    cr_assert(loop.next_deadline() == start + 30ms);
    const auto earliest = loop.schedule(10ms, [] {});
    cr_assert(loop.next_deadline() == start + 10ms, "an earlier timer moves it forward");
    const auto middle = loop.schedule(20ms, [] {});
    cr_assert(loop.next_deadline() == start + 10ms, "a later timer does not move it");
    cr_assert_eq(loop.pending_timers(), 3u);

    loop.cancel(middle);  // not at the top: the answer stays exact
    cr_assert(loop.next_deadline() == start + 10ms);
    cr_assert_eq(loop.pending_timers(), 2u);

    clock.advance(10ms);
    cr_assert_eq(loop.run_due_timers(), 1u);
    cr_assert(loop.next_deadline() == start + 30ms, "the cancelled 20 ms entry is skipped");
    cr_assert_eq(loop.pending_timers(), 1u);
    (void)earliest;

    clock.advance(20ms);
    cr_assert_eq(loop.run_due_timers(), 1u);
    cr_assert_not(loop.next_deadline().has_value());

    // Cancelling the only timer leaves nothing to wait for.
    const auto only = loop.schedule(5ms, [] {});
    loop.cancel(only);
    cr_assert_eq(loop.pending_timers(), 0u);
    cr_assert_not(loop.next_deadline().has_value());
}

// ---------------------------------------------------------------- real time

Test(event_loop, system_clock_timer_fires_through_run_once) {
    SystemClock clock;
    EventLoop loop(clock);
    bool fired = false;
    const auto start = std::chrono::steady_clock::now();
    loop.schedule(20ms, [&] { fired = true; });
    // The max_wait is longer than the timer: the timerfd must wake the loop.
    for (int round = 0; round < 20 && !fired; ++round) loop.run_once(500ms);
    const long long took = elapsed_ms(start);
    cr_assert(fired);
    cr_assert(took >= 19, "fired after %lld ms, before its 20 ms deadline", took);
    cr_assert(took < 400, "fired after %lld ms", took);
}

Test(event_loop, run_once_without_max_wait_wakes_for_a_timer) {
    SystemClock clock;
    EventLoop loop(clock);
    int fired = 0;
    loop.schedule(10ms, [&] { ++fired; });
    const auto start = std::chrono::steady_clock::now();
    while (fired == 0 && elapsed_ms(start) < 2000) loop.run_once();
    cr_assert_eq(fired, 1);
}

// The timerfd is re-armed once per wake-up, not per schedule(): a timer
// made from a callback, earlier than every other, still wakes the loop on
// time, and one cancelled after arming costs only a spurious wake-up.
Test(event_loop, timer_scheduled_earlier_from_a_callback_wakes_the_loop) {
    SystemClock clock;
    EventLoop loop(clock);
    std::vector<std::string> fired;
    loop.schedule(1000ms, [&] { fired.push_back("late"); });
    const auto cancelled = loop.schedule(5ms, [&] { fired.push_back("cancelled"); });
    loop.schedule(1ms, [&] {
        fired.push_back("first");
        loop.cancel(cancelled);
        loop.schedule(30ms, [&] { fired.push_back("from-callback"); });
    });
    const auto start = std::chrono::steady_clock::now();
    while (fired.size() < 2 && elapsed_ms(start) < 900) loop.run_once();
    const long long took = elapsed_ms(start);
    EXPECT_FIRED(fired, "first from-callback");
    cr_assert(took >= 29 && took < 500, "the 30 ms timer fired after %lld ms", took);
}

Test(event_loop, run_until_stop_from_a_timer) {
    SystemClock clock;
    EventLoop loop(clock);
    int ticks = 0;
    std::function<void()> tick = [&] {
        if (++ticks == 3)
            loop.stop();
        else
            loop.schedule(2ms, tick);
    };
    loop.schedule(2ms, tick);
    loop.run();
    cr_assert_eq(ticks, 3);
    cr_assert(loop.stopped());
}

// ---------------------------------------------------------------- descriptors

Test(event_loop, watch_delivers_epollin_and_unwatch_stops_it) {
    SystemClock clock;
    EventLoop loop(clock);
    Pipe pipe;
    int calls = 0;
    std::uint32_t seen = 0;
    loop.watch(pipe.read_end.get(), EPOLLIN, [&](std::uint32_t events) {
        ++calls;
        seen = events;
        char byte;
        while (read(pipe.read_end.get(), &byte, 1) == 1) {
        }
    });

    loop.run_once(0ms);
    cr_assert_eq(calls, 0, "nothing to read yet");

    pipe.put();
    loop.run_once(1000ms);
    cr_assert_eq(calls, 1);
    cr_assert(seen & EPOLLIN, "events 0x%x", seen);

    loop.run_once(0ms);
    cr_assert_eq(calls, 1, "drained: level-triggered, no second call");

    loop.unwatch(pipe.read_end.get());
    loop.unwatch(pipe.read_end.get());  // twice: harmless
    pipe.put();
    loop.run_once(20ms);
    cr_assert_eq(calls, 1, "unwatched descriptors are not delivered");
}

Test(event_loop, watch_again_changes_events_and_keeps_the_callback) {
    SystemClock clock;
    EventLoop loop(clock);
    Pipe pipe;
    std::vector<std::uint32_t> seen;
    // The write end of an empty pipe is writable, never readable.
    loop.watch(pipe.write_end.get(), EPOLLIN,
               [&](std::uint32_t events) { seen.push_back(events); });
    loop.run_once(0ms);
    cr_assert(seen.empty());
    loop.watch(pipe.write_end.get(), EPOLLOUT);  // no callback given: the old one stays
    loop.run_once(1000ms);
    cr_assert_eq(seen.size(), 1u);
    cr_assert(seen[0] & EPOLLOUT);
    loop.unwatch(pipe.write_end.get());
}

Test(event_loop, callback_unwatching_another_fd_in_the_same_batch) {
    SystemClock clock;
    EventLoop loop(clock);
    Pipe first;
    Pipe second;
    int first_calls = 0;
    int second_calls = 0;
    // Whichever runs first unwatches the other; epoll reported both in one batch.
    loop.watch(first.read_end.get(), EPOLLIN, [&](std::uint32_t) {
        ++first_calls;
        loop.unwatch(second.read_end.get());
    });
    loop.watch(second.read_end.get(), EPOLLIN, [&](std::uint32_t) {
        ++second_calls;
        loop.unwatch(first.read_end.get());
    });
    first.put();
    second.put();
    loop.run_once(1000ms);
    cr_assert_eq(first_calls + second_calls, 1, "first %d second %d", first_calls, second_calls);
}

Test(event_loop, stale_event_not_delivered_to_a_reused_descriptor) {
    SystemClock clock;
    EventLoop loop(clock);
    Pipe first;
    Pipe second;
    Pipe replacement;
    const int reused = second.read_end.get();
    int old_calls = 0;
    int new_calls = 0;
    bool replaced = false;
    auto replace_second = [&] {
        if (replaced) return;
        replaced = true;
        // Unwatch and close `second`, then give its number to another pipe
        // (empty, so never readable) under a new callback.
        loop.unwatch(reused);
        cr_assert_eq(dup3(replacement.read_end.get(), reused, O_CLOEXEC), reused);
        loop.watch(reused, EPOLLIN, [&](std::uint32_t) { ++new_calls; });
    };
    loop.watch(first.read_end.get(), EPOLLIN, [&](std::uint32_t) { replace_second(); });
    loop.watch(reused, EPOLLIN, [&](std::uint32_t) {
        ++old_calls;
        replace_second();
    });
    first.put();
    second.put();
    loop.run_once(1000ms);
    cr_assert(replaced);
    cr_assert_eq(new_calls, 0, "the old descriptor's event reached the new watcher");
    cr_assert(old_calls <= 1);
    loop.unwatch(reused);
}

// forget(): for a descriptor about to be closed. After the close the loop
// delivers nothing for it, and its number, reused, can be watched anew.
Test(event_loop, forget_then_close_then_reuse_the_number) {
    SystemClock clock;
    EventLoop loop(clock);
    auto pipe = std::make_unique<Pipe>();
    Pipe replacement;
    const int number = pipe->read_end.get();
    int old_calls = 0;
    int new_calls = 0;
    loop.watch(number, EPOLLIN, [&](std::uint32_t) { ++old_calls; });
    pipe->put();
    loop.forget(number);
    pipe->read_end.reset();  // closed: out of the epoll set
    loop.run_once(20ms);
    cr_assert_eq(old_calls, 0, "an event for a forgotten descriptor was delivered");
    cr_assert_eq(dup3(replacement.read_end.get(), number, O_CLOEXEC), number);
    UniqueFd reused(number);
    loop.watch(number, EPOLLIN, [&](std::uint32_t) {
        ++new_calls;
        char byte;
        while (read(number, &byte, 1) == 1) {
        }
    });
    replacement.put();
    loop.run_once(1000ms);
    cr_assert_eq(new_calls, 1, "the reused number was not watched");
    cr_assert_eq(old_calls, 0);
    loop.unwatch(number);
}

Test(event_loop, callback_unwatching_itself) {
    SystemClock clock;
    EventLoop loop(clock);
    Pipe pipe;
    int calls = 0;
    loop.watch(pipe.read_end.get(), EPOLLIN, [&](std::uint32_t) {
        ++calls;
        loop.unwatch(pipe.read_end.get());  // destroys the stored callback while it runs
    });
    pipe.put();
    loop.run_once(1000ms);
    loop.run_once(10ms);
    cr_assert_eq(calls, 1);
}

// ---------------------------------------------------------------- signals

Test(event_loop, signal_delivered_through_run_once) {
    SystemClock clock;
    EventLoop loop(clock);
    int usr1 = 0;
    int usr2 = 0;
    loop.on_signal(SIGUSR1, [&] { ++usr1; });
    loop.on_signal(SIGUSR2, [&] { ++usr2; });  // a second signal reuses the signalfd
    cr_assert_eq(raise(SIGUSR1), 0);           // blocked: would otherwise kill the test
    for (int round = 0; round < 20 && usr1 == 0; ++round) loop.run_once(100ms);
    cr_assert_eq(usr1, 1);
    cr_assert_eq(usr2, 0);

    cr_assert_eq(raise(SIGUSR2), 0);
    for (int round = 0; round < 20 && usr2 == 0; ++round) loop.run_once(100ms);
    cr_assert_eq(usr1, 1);
    cr_assert_eq(usr2, 1);
}
