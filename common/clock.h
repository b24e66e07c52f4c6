// Monotonic time behind an interface, so that timers and state machines are
// tested in microseconds with a FakeClock instead of seconds of sleeping.
#pragma once

#include <chrono>

namespace hakeep {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

// CLOCK_MONOTONIC (what std::chrono::steady_clock is on Linux): never jumps.
class SystemClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

class FakeClock final : public Clock {
public:
    explicit FakeClock(TimePoint start = TimePoint{std::chrono::seconds(1000)}) : now_(start) {}
    TimePoint now() const override { return now_; }
    void advance(Duration by) { now_ += by; }
    void set(TimePoint to) { now_ = to; }

private:
    TimePoint now_;
};

// Wall-clock milliseconds since the epoch, for status replies only (never for timers).
long long unix_time_ms();

}  // namespace hakeep
