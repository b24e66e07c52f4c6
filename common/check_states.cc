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
    generation_ = snapshot.generation();
    std::vector<CheckChange> changes;
    std::set<std::string, std::less<>> seen;
    for (const proto::CheckState& state : snapshot.checks()) {
        CheckStatus status{state.up(), state.weight(), state.dynamic_weight(), state.seq(), state.reason()};
        seen.insert(state.name());
        auto found = checks_.find(state.name());
        if (found == checks_.end() || !same(found->second, status))
            changes.push_back(CheckChange{state.name(), status, false});
        checks_[state.name()] = std::move(status);
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

}  // namespace hakeep
