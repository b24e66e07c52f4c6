#include "vrrpd/tracking.h"

#include <algorithm>

namespace hakeep::vrrpd {

Tracking evaluate_tracking(int base_priority, const std::vector<TrackerState>& trackers,
                           bool ignore_weights) {
    Tracking result;
    long long priority = base_priority;
    for (const TrackerState& tracker : trackers) {
        const int weight = ignore_weights ? 0 : tracker.weight;
        TrackerEffect& effect = result.effects.emplace_back();
        if (tracker.is_file) {
            long long value = tracker.value.value_or(0);
            if (tracker.reverse) value = -value;
            if (weight == 0) {
                effect.faults = value != 0;
                if (effect.faults && !result.fault) result.fault = tracker.label + " is " + std::to_string(value);
            } else {
                effect.contribution = value * weight;
            }
        } else {
            const bool up = tracker.reverse ? !tracker.up : tracker.up;
            if (weight == 0) {
                effect.faults = !up;
                if (effect.faults && !result.fault) result.fault = tracker.label + " is down";
            } else if ((weight > 0 && up) || (weight < 0 && !up)) {
                effect.contribution = weight;
            }
        }
        priority += effect.contribution;
    }
    result.priority = base_priority == 255 ? 255 : static_cast<int>(std::clamp(priority, 1LL, 254LL));
    return result;
}

}  // namespace hakeep::vrrpd
