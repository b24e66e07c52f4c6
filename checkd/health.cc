#include "checkd/health.h"

#include <algorithm>

namespace hakeep::checkd {

const char* health_name(Health health) {
    switch (health) {
    case Health::up: return "UP";
    case Health::down: return "DOWN";
    case Health::unknown: break;
    }
    return "UNKNOWN";
}

Health Hysteresis::feed(bool ok) {
    if (ok) {
        failures_ = 0;
        if (successes_ < static_cast<unsigned>(rise_)) ++successes_;
        if (state_ != Health::up && successes_ >= static_cast<unsigned>(rise_)) state_ = Health::up;
    } else {
        successes_ = 0;
        if (failures_ < 0xffffffffu) ++failures_;
        if (state_ != Health::down && failures_ >= static_cast<unsigned>(fall_)) state_ = Health::down;
    }
    return state_;
}

CheckHealth::CheckHealth(std::size_t checkers, int rise, int fall, bool init_fail, const std::vector<bool>& alpha) {
    for (std::size_t i = 0; i < checkers; ++i) {
        const bool start_down = init_fail || (i < alpha.size() && alpha[i]);
        checkers_.push_back(Checker{Hysteresis(rise, fall, start_down ? Health::down : Health::unknown),
                                    init_fail   ? "initial state (init_fail)"
                                    : start_down ? "initial state (alpha)"
                                                 : "",
                                    std::nullopt});
        // hactl's last reason says why a check that has not run yet is DOWN.
        if (start_down) last_failure_ = checkers_.back().reason;
    }
}

bool CheckHealth::record(std::size_t index, const CheckerOutcome& outcome) {
    if (index >= checkers_.size()) return false;
    const Health before = state();
    const bool had_weight = has_weight();
    const int weight_before = weight();
    Checker& checker = checkers_[index];
    checker.hysteresis.feed(outcome.ok);
    if (!outcome.ok) {
        checker.reason = outcome.reason;
        last_failure_ = outcome.reason;
    }
    // A dynamic weight follows every run that reports one; a failed run keeps the last.
    if (outcome.weight) checker.weight = outcome.weight;
    const Health after = state();
    if (after != before) return true;
    return after != Health::unknown && (has_weight() != had_weight || weight() != weight_before);
}

Health CheckHealth::state() const {
    bool unknown = false;
    for (const Checker& checker : checkers_) {
        if (checker.hysteresis.state() == Health::down) return Health::down;
        if (checker.hysteresis.state() == Health::unknown) unknown = true;
    }
    return unknown || checkers_.empty() ? Health::unknown : Health::up;
}

std::string CheckHealth::reason() const {
    for (const Checker& checker : checkers_)
        if (checker.hysteresis.state() == Health::down) return checker.reason;
    return "";
}

unsigned CheckHealth::consecutive_failures() const {
    unsigned most = 0;
    for (const Checker& checker : checkers_) most = std::max(most, checker.hysteresis.consecutive_failures());
    return most;
}

bool CheckHealth::has_weight() const {
    return std::any_of(checkers_.begin(), checkers_.end(),
                       [](const Checker& checker) { return checker.weight.has_value(); });
}

int CheckHealth::weight() const {
    long long sum = 0;
    for (const Checker& checker : checkers_) sum += checker.weight.value_or(0);
    return static_cast<int>(std::clamp<long long>(sum, -2147483647, 2147483647));
}

}  // namespace hakeep::checkd
