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

// For the log: "check web1 is DOWN (connect: refused)", "check web1 is UP"
// (no reason, no parentheses); `removed_word` for a check checkd dropped.
std::string describe(const CheckChange& change, const char* removed_word);

class CheckStates {
public:
    // Adopts checkd's full view; returns what differs from ours. A snapshot
    // in parts (hakeep.proto) is gathered and adopted whole when its last
    // part arrives: until then nothing changes and nothing is returned.
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
    // True once a whole snapshot has been adopted: from then on a check we
    // have no state for is one checkd does not have either.
    bool snapshot_received() const { return snapshot_received_; }

    const CheckStatus* find(const std::string& name) const;
    std::size_t size() const { return checks_.size(); }

private:
    std::vector<CheckChange> adopt(std::vector<std::pair<std::string, CheckStatus>> states);

    std::map<std::string, CheckStatus, std::less<>> checks_;
    // The parts of a snapshot gathered so far, and the part expected next.
    std::vector<std::pair<std::string, CheckStatus>> pending_;
    std::optional<std::uint64_t> pending_generation_;
    std::uint32_t pending_next_part_ = 0;
    std::uint64_t generation_ = 0;
    bool snapshot_received_ = false;
    std::optional<TimePoint> lost_since_ = TimePoint{};  // no checkd seen yet
};

// Cuts a snapshot into parts whose encoded size stays under `part_bytes`
// (one check at least per part), numbered from 0, all but the last with
// `more` set. An empty snapshot is one empty part.
std::vector<proto::CheckSnapshot> split_snapshot(const proto::CheckSnapshot& snapshot,
                                                 std::size_t part_bytes);

}  // namespace hakeep
