#include "common/check_states.h"

#include <set>

namespace hakeep {
namespace {

bool same(const CheckStatus& a, const CheckStatus& b) {
    return a.up == b.up && a.weight == b.weight && a.dynamic_weight == b.dynamic_weight;
}

}  // namespace

std::vector<CheckChange> CheckStates::apply_snapshot(const proto::CheckSnapshot& snapshot,
                                                     TimePoint) {
    lost_since_.reset();
    if (snapshot.part() == 0) {
        // A first part: whatever was gathered before is dropped.
        pending_.clear();
        pending_generation_ = snapshot.generation();
        pending_next_part_ = 0;
    } else if (!pending_generation_ || *pending_generation_ != snapshot.generation() ||
               snapshot.part() != pending_next_part_) {
        // Another generation, or a part lost or out of order: the snapshot is
        // incomplete; wait for the next one.
        pending_.clear();
        pending_generation_.reset();
        return {};
    }
    for (const proto::CheckState& state : snapshot.checks())
        pending_.emplace_back(state.name(), CheckStatus{state.up(), state.weight(), state.dynamic_weight(),
                                                        state.seq(), state.reason()});
    ++pending_next_part_;
    if (snapshot.more()) return {};
    generation_ = snapshot.generation();
    snapshot_received_ = true;
    std::vector<std::pair<std::string, CheckStatus>> states = std::move(pending_);
    pending_.clear();
    pending_generation_.reset();
    return adopt(std::move(states));
}

std::vector<CheckChange> CheckStates::adopt(std::vector<std::pair<std::string, CheckStatus>> states) {
    std::vector<CheckChange> changes;
    std::set<std::string, std::less<>> seen;
    for (auto& [name, status] : states) {
        seen.insert(name);
        auto found = checks_.find(name);
        if (found == checks_.end() || !same(found->second, status))
            changes.push_back(CheckChange{name, status, false});
        checks_[name] = std::move(status);
    }
    for (auto it = checks_.begin(); it != checks_.end();) {
        if (seen.contains(it->first)) {
            ++it;
            continue;
        }
        changes.push_back(CheckChange{it->first, it->second, true});
        it = checks_.erase(it);
    }
    return changes;
}

std::optional<CheckChange> CheckStates::apply_event(const proto::CheckEvent& event, TimePoint) {
    CheckStatus status{event.up(), event.weight(), event.dynamic_weight(), event.seq(), event.reason()};
    auto found = checks_.find(event.name());
    if (found != checks_.end() && event.seq() != 0 && event.seq() <= found->second.seq)
        return std::nullopt;  // reordered or replayed
    const bool changed = found == checks_.end() || !same(found->second, status);
    checks_[event.name()] = status;
    if (!changed) return std::nullopt;
    return CheckChange{event.name(), std::move(status), false};
}

const CheckStatus* CheckStates::find(const std::string& name) const {
    auto found = checks_.find(name);
    return found == checks_.end() ? nullptr : &found->second;
}

std::vector<proto::CheckSnapshot> split_snapshot(const proto::CheckSnapshot& snapshot,
                                                 std::size_t part_bytes) {
    std::vector<proto::CheckSnapshot> parts(1);
    parts.back().set_generation(snapshot.generation());
    std::size_t used = parts.back().ByteSizeLong() + 16;  // room for part and more
    for (const proto::CheckState& state : snapshot.checks()) {
        const std::size_t size = state.ByteSizeLong() + 8;  // field tag and length
        if (parts.back().checks_size() > 0 && used + size > part_bytes) {
            parts.back().set_more(true);
            parts.emplace_back();
            parts.back().set_generation(snapshot.generation());
            parts.back().set_part(static_cast<std::uint32_t>(parts.size() - 1));
            used = parts.back().ByteSizeLong() + 16;
        }
        *parts.back().add_checks() = state;
        used += size;
    }
    return parts;
}

std::string describe(const CheckChange& change, const char* removed_word) {
    std::string text = "check " + change.name + " is " +
                       (change.removed ? removed_word : change.status.up ? "UP" : "DOWN");
    if (!change.removed && !change.status.reason.empty()) text += " (" + change.status.reason + ")";
    return text;
}

}  // namespace hakeep
