// What a daemon knows of checkd's checks (DESIGN.md §2): the last snapshot
// and the events since, with staleness when checkd is gone. vrrpd and ipvsd
// both keep one. Only differences are reported, so a checkd restart (a new
// snapshot with the same states) changes nothing: no flap.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/proto/hakeep.pb.h"

namespace hakeep {

struct CheckStatus {
    bool up = false;
    int weight = 0;
    bool dynamic_weight = false;
    std::uint64_t seq = 0;
    std::string reason;
};

struct CheckChange {
    std::string name;
    CheckStatus status;
    bool removed = false;  // gone from checkd's configuration
};

class CheckStates {
public:
    // Adopts checkd's full view; returns what differs from ours.
    std::vector<CheckChange> apply_snapshot(const proto::CheckSnapshot& snapshot, TimePoint now);
    // One check changed; an event older than what we have (seq) is ignored.
    std::optional<CheckChange> apply_event(const proto::CheckEvent& event, TimePoint now);

    void peer_lost(TimePoint now) { lost_since_ = now; }
    // True when checkd has been gone longer than `timeout`: tracked checks then
    // count as failed (vrrpd hands mastership to a healthy node).
    bool stale(TimePoint now, Duration timeout) const {
        return lost_since_ && now - *lost_since_ >= timeout;
    }
    bool peer_present() const { return !lost_since_.has_value(); }

    const CheckStatus* find(const std::string& name) const;
    std::size_t size() const { return checks_.size(); }

private:
    std::map<std::string, CheckStatus, std::less<>> checks_;
    std::uint64_t generation_ = 0;
    std::optional<TimePoint> lost_since_ = TimePoint{};  // no checkd seen yet
};

}  // namespace hakeep
