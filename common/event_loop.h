// One epoll loop per process: descriptors, timers (a heap, one timerfd armed
// for the earliest deadline) and signals (signalfd). Time comes from a Clock,
// so tests drive timers with FakeClock::advance() and run_due_timers().
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/unique_fd.h"

namespace hakeep {

class EventLoop {
public:
    using Callback = std::function<void()>;
    using FdCallback = std::function<void(std::uint32_t events)>;
    using TimerId = std::uint64_t;

    explicit EventLoop(const Clock& clock);
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    const Clock& clock() const { return clock_; }
    TimePoint now() const { return clock_.now(); }

    // Watches `fd` for EPOLLIN/EPOLLOUT/...; calling it again changes the events
    // (the callback is kept if `callback` is empty). The caller owns the fd and
    // must unwatch() before closing it, or forget() right before closing it.
    void watch(int fd, std::uint32_t events, FdCallback callback = {});
    void unwatch(int fd);
    // For a descriptor closed right after, and held nowhere else: its close
    // takes it out of the epoll set, so no system call is made here.
    void forget(int fd);

    // One-shot timers. Timers due at the same instant fire in the order they
    // were scheduled. cancel() of a fired or unknown id is harmless.
    TimerId schedule(Duration after, Callback callback);
    TimerId schedule_at(TimePoint deadline, Callback callback);
    void cancel(TimerId id);
    std::optional<TimePoint> next_deadline() const;
    std::size_t pending_timers() const { return timers_.size(); }

    // Blocks the signal and delivers it through signalfd to `callback`.
    void on_signal(int signal_number, Callback callback);

    // Fires every timer whose deadline is not after now(); returns how many.
    // Timers scheduled by those callbacks wait for the next call, even if due.
    std::size_t run_due_timers();
    // One epoll_wait (at most `max_wait`, less if a timer is due sooner) and dispatch.
    void run_once(std::optional<Duration> max_wait = std::nullopt);
    // Until stop() is called.
    void run();
    void stop() { stopped_ = true; }
    bool stopped() const { return stopped_; }

private:
    struct Watch {
        FdCallback callback;
        std::uint32_t generation;
    };
    struct TimerEntry {
        TimePoint deadline;
        TimerId id;
        bool operator>(const TimerEntry& other) const {
            return deadline != other.deadline ? deadline > other.deadline : id > other.id;
        }
    };

    // Sets the timerfd to the earliest deadline, unless it already holds it.
    void arm_timerfd();
    void on_signalfd_readable();

    const Clock& clock_;
    UniqueFd epoll_fd_;
    UniqueFd timer_fd_;
    UniqueFd signal_fd_;
    std::unordered_map<int, Watch> watches_;
    std::uint32_t next_generation_ = 1;
    std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> timer_heap_;
    std::unordered_map<TimerId, Callback> timers_;
    TimerId next_timer_id_ = 1;
    std::map<int, Callback> signal_handlers_;
    bool stopped_ = false;
    // What the timerfd holds (nullopt: disarmed). run_once() sets it to the
    // heap's top before each wait, with a system call only when they differ.
    std::optional<TimePoint> armed_deadline_;
};

}  // namespace hakeep
