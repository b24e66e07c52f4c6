#include "common/event_loop.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "common/log.h"

namespace hakeep {
namespace {

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

std::uint64_t pack(int fd, std::uint32_t generation) {
    return (static_cast<std::uint64_t>(generation) << 32) | static_cast<std::uint32_t>(fd);
}

constexpr int timer_fd_tag = -2;  // epoll user data of the internal descriptors
constexpr int signal_fd_tag = -3;

}  // namespace

long long unix_time_ms() {
    struct timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<long long>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

EventLoop::EventLoop(const Clock& clock)
    : clock_(clock),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      timer_fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
    if (!epoll_fd_ || !timer_fd_) throw_errno("event loop");
    struct epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = pack(timer_fd_tag, 0);
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, timer_fd_.get(), &event) != 0)
        throw_errno("epoll_ctl timerfd");
}

void EventLoop::watch(int fd, std::uint32_t events, FdCallback callback) {
    struct epoll_event event{};
    event.events = events;
    auto found = watches_.find(fd);
    if (found != watches_.end()) {
        if (callback) found->second.callback = std::move(callback);
        event.data.u64 = pack(fd, found->second.generation);
        if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &event) != 0) throw_errno("epoll_ctl mod");
        return;
    }
    const std::uint32_t generation = next_generation_++;
    event.data.u64 = pack(fd, generation);
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &event) != 0) throw_errno("epoll_ctl add");
    watches_[fd] = Watch{std::move(callback), generation};
}

void EventLoop::unwatch(int fd) {
    if (watches_.erase(fd) == 0) return;
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

void EventLoop::forget(int fd) {
    // Closing the last descriptor of a file removes it from the epoll set:
    // no EPOLL_CTL_DEL (one system call per health check saved).
    watches_.erase(fd);
}

EventLoop::TimerId EventLoop::schedule(Duration after, Callback callback) {
    return schedule_at(now() + after, std::move(callback));
}

EventLoop::TimerId EventLoop::schedule_at(TimePoint deadline, Callback callback) {
    const TimerId id = next_timer_id_++;
    timers_.emplace(id, std::move(callback));
    timer_heap_.push(TimerEntry{deadline, id});  // the timerfd follows before the next wait
    return id;
}

void EventLoop::cancel(TimerId id) {
    // The heap entry stays and is skipped when it comes up: O(1) cancel.
    timers_.erase(id);
}

std::optional<TimePoint> EventLoop::next_deadline() const {
    // Cancelled entries may sit at the top; the heap is const here, so the
    // answer can be early, which only costs a spurious wake-up.
    if (timers_.empty()) return std::nullopt;
    return timer_heap_.top().deadline;
}

std::size_t EventLoop::run_due_timers() {
    std::size_t fired = 0;
    const TimePoint current = now();
    // Timers scheduled by the callbacks below wait for the next call even when
    // already due: a callback that reschedules itself with zero delay must not
    // spin here forever (it would with a FakeClock, whose time stands still).
    const TimerId first_scheduled_meanwhile = next_timer_id_;
    std::vector<TimerEntry> scheduled_meanwhile;
    while (!timer_heap_.empty() && timer_heap_.top().deadline <= current) {
        const TimerEntry entry = timer_heap_.top();
        timer_heap_.pop();
        if (entry.id >= first_scheduled_meanwhile) {
            scheduled_meanwhile.push_back(entry);
            continue;
        }
        const TimerId id = entry.id;
        auto found = timers_.find(id);
        if (found == timers_.end()) continue;  // cancelled
        Callback callback = std::move(found->second);
        timers_.erase(found);
        callback();
        ++fired;
    }
    for (const TimerEntry& entry : scheduled_meanwhile) timer_heap_.push(entry);
    while (!timer_heap_.empty() && !timers_.contains(timer_heap_.top().id)) timer_heap_.pop();
    return fired;
}

void EventLoop::arm_timerfd() {
    // Only when the earliest deadline differs from the one the timerfd holds:
    // many timers change per wake-up, the earliest seldom does.
    std::optional<TimePoint> wanted;
    if (!timer_heap_.empty()) wanted = timer_heap_.top().deadline;
    if (wanted == armed_deadline_) return;
    armed_deadline_ = wanted;
    struct itimerspec spec{};
    if (wanted) {
        const auto since_epoch = wanted->time_since_epoch();
        auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
        auto nanoseconds = since_epoch - seconds;
        spec.it_value.tv_sec = static_cast<time_t>(seconds.count());
        spec.it_value.tv_nsec = static_cast<long>(nanoseconds.count());
        // An all-zero it_value would disarm; a deadline at the epoch is long past anyway.
        if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    }
    timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

void EventLoop::on_signal(int signal_number, Callback callback) {
    signal_handlers_[signal_number] = std::move(callback);
    sigset_t mask;
    sigemptyset(&mask);
    for (const auto& [number, handler] : signal_handlers_) sigaddset(&mask, number);
    if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) throw_errno("sigprocmask");
    const bool created = !signal_fd_;
    const int fd = signalfd(created ? -1 : signal_fd_.get(), &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) throw_errno("signalfd");
    if (!created) return;
    signal_fd_.reset(fd);
    struct epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = pack(signal_fd_tag, 0);
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &event) != 0) throw_errno("epoll_ctl signalfd");
}

void EventLoop::on_signalfd_readable() {
    struct signalfd_siginfo info{};
    while (read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        auto found = signal_handlers_.find(static_cast<int>(info.ssi_signo));
        if (found != signal_handlers_.end()) found->second();
    }
}

void EventLoop::run_once(std::optional<Duration> max_wait) {
    int timeout_ms = -1;
    if (max_wait) {
        // Rounded up (a sub-millisecond wait must not become a busy poll) and
        // clamped (a wait of weeks must not overflow into "forever").
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(std::max(*max_wait, Duration::zero()));
        timeout_ms = static_cast<int>(std::min<long long>(wait.count(), 24LL * 3600 * 1000));
    }
    arm_timerfd();
    // Ten thousand checks a second end dozens of connections per wake-up.
    constexpr int max_events = 256;
    struct epoll_event events[max_events];
    const int ready = epoll_wait(epoll_fd_.get(), events, max_events, timeout_ms);
    if (ready < 0) {
        if (errno == EINTR) return;
        throw_errno("epoll_wait");
    }
    for (int index = 0; index < ready; ++index) {
        const std::uint64_t data = events[index].data.u64;
        const int fd = static_cast<int>(static_cast<std::int32_t>(data & 0xffffffffu));
        const auto generation = static_cast<std::uint32_t>(data >> 32);
        if (fd == timer_fd_tag) {
            std::uint64_t expirations = 0;
            [[maybe_unused]] ssize_t ignored = read(timer_fd_.get(), &expirations, sizeof expirations);
            armed_deadline_.reset();  // expired: a one-shot timerfd is disarmed
            continue;  // timers run below, once per wake-up
        }
        if (fd == signal_fd_tag) {
            on_signalfd_readable();
            continue;
        }
        auto found = watches_.find(fd);
        // Skip events for a descriptor unwatched (or reused) by an earlier callback.
        if (found == watches_.end() || found->second.generation != generation) continue;
        FdCallback callback = found->second.callback;  // may unwatch itself
        if (callback) callback(events[index].events);
    }
    run_due_timers();
}

void EventLoop::run() {
    stopped_ = false;
    while (!stopped_) run_once();
}

}  // namespace hakeep
