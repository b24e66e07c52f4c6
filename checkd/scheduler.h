// When each probe of a worker runs. First runs are spread evenly across
// their window (warmup, else delay_loop), so a thousand checks never start
// in one burst; later runs keep to deadline + k * interval, never "interval
// after the last run ended", so nothing drifts. A probe still busy at its
// next deadline skips that run (an overrun) rather than piling up. Time
// comes from the EventLoop's Clock: tests drive it with a FakeClock.
//
// With a `tick`, timers are armed at the deadline rounded up to the tick, so
// the checks due within one tick start on one wake-up of the loop (ten
// thousand checks a second would otherwise be ten thousand wake-ups);
// lateness is still measured against the true deadline.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

#include "common/event_loop.h"

namespace hakeep::checkd {

class Scheduler {
public:
    // Starts probe `id`, `lateness` after its deadline; the probe calls
    // finished(id) when its run is over.
    using Start = std::function<void(std::uint32_t id, Duration lateness)>;

    struct Entry {
        std::uint32_t id;
        Duration interval;
        Duration spread;  // the first run falls within [now, now + spread)
    };

    Scheduler(EventLoop& loop, Start start, Duration tick = Duration::zero());
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Replaces the set of probes. One kept with the same interval keeps its
    // timing; new ones are spread; missing ones stop.
    void assign(const std::vector<Entry>& entries);
    void finished(std::uint32_t id);

    std::size_t size() const { return slots_.size(); }
    std::uint64_t overruns() const { return overruns_; }
    bool running(std::uint32_t id) const;

private:
    struct Slot {
        Entry entry;
        TimePoint deadline;
        EventLoop::TimerId timer = 0;
        bool running = false;
    };
    void fire(std::uint32_t id);
    EventLoop::TimerId arm(std::uint32_t id, TimePoint deadline);

    EventLoop& loop_;
    Start start_;
    Duration tick_;
    std::unordered_map<std::uint32_t, Slot> slots_;
    std::uint64_t overruns_ = 0;
};

}  // namespace hakeep::checkd
