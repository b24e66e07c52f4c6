// keepalived's tracking rules, pure: the states of an instance's trackers in,
// its effective priority (or FAULT and why) out.
//   weight 0           : the tracker failing puts the instance in FAULT
//   weight > 0         : added while the tracker is up
//   weight < 0         : added while the tracker is down
//   track_file         : value × weight added (weight 0: a non-zero value is FAULT)
//   reverse            : up and down (or the value's sign) swapped
// The result is clamped to 1..254; priority 255 (the owner) never changes.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace hakeep::vrrpd {

struct TrackerState {
    std::string label;       // "track_script chk_web", for the reason
    int weight = 0;
    bool reverse = false;
    bool up = false;         // scripts and interfaces
    std::optional<long long> value;  // files: the number read (absent: unreadable = 0)
    bool is_file = false;
};

// What one tracker does to the instance now (hactl explain shows it).
struct TrackerEffect {
    long long contribution = 0;  // added to the priority (before clamping)
    bool faults = false;         // puts the instance in FAULT
};

struct Tracking {
    int priority = 100;
    std::optional<std::string> fault;  // why, when in FAULT
    std::vector<TrackerEffect> effects;  // one per tracker, same order
};

// `ignore_weights`: sync group members (keepalived ignores weights there, #2105):
// every tracker counts as weight 0.
Tracking evaluate_tracking(int base_priority, const std::vector<TrackerState>& trackers,
                           bool ignore_weights = false);

}  // namespace hakeep::vrrpd
