// rise/fall hysteresis, pure. One Hysteresis per checker; a check is UP only
// while all its checkers are, DOWN as soon as one is, UNKNOWN until each has
// reached a verdict (DESIGN.md §2: checks not yet decided are absent from
// snapshots). The supervisor keeps these, so a crashed worker loses nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hakeep::checkd {

enum class Health { unknown, up, down };
const char* health_name(Health health);  // UNKNOWN, UP, DOWN

class Hysteresis {
public:
    Hysteresis(int rise, int fall, Health initial = Health::unknown)
        : rise_(rise), fall_(fall), state_(initial) {}
    // One run's verdict; returns the state after it.
    Health feed(bool ok);
    Health state() const { return state_; }
    unsigned consecutive_failures() const { return failures_; }

private:
    int rise_;
    int fall_;
    Health state_;
    unsigned successes_ = 0;
    unsigned failures_ = 0;
};

struct CheckerOutcome {
    bool ok = false;
    std::string reason;            // empty when ok
    std::optional<int> weight;     // MISC_CHECK misc_dynamic, FILE_CHECK
};

class CheckHealth {
public:
    // `init_fail` (vrrp_script): every checker starts DOWN rather than
    // UNKNOWN; `alpha` (keepalived's alpha): the checkers it marks start DOWN.
    CheckHealth(std::size_t checkers, int rise, int fall, bool init_fail = false, const std::vector<bool>& alpha = {});

    // Records one run of checker `index`; true if what the check publishes
    // (state, or weight while it has one) changed.
    bool record(std::size_t index, const CheckerOutcome& outcome);

    Health state() const;
    // The reason of the first failing checker while DOWN, else empty.
    std::string reason() const;
    // The latest failure of any checker, kept after recovery (hactl's last reason).
    const std::string& last_failure() const { return last_failure_; }
    unsigned consecutive_failures() const;
    bool has_weight() const;
    int weight() const;  // sum of the dynamic weights reported

private:
    struct Checker {
        Hysteresis hysteresis;
        std::string reason;
        std::optional<int> weight;
    };
    std::vector<Checker> checkers_;
    std::string last_failure_;
};

}  // namespace hakeep::checkd
