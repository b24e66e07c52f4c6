#include "checkd/scheduler.h"

#include <algorithm>
#include <map>
#include <utility>

namespace hakeep::checkd {

Scheduler::Scheduler(EventLoop& loop, Start start, Duration tick)
    : loop_(loop), start_(std::move(start)), tick_(tick) {}

EventLoop::TimerId Scheduler::arm(std::uint32_t id, TimePoint deadline) {
    TimePoint at = deadline;
    if (tick_ > Duration::zero()) {
        const Duration since_epoch = deadline.time_since_epoch();
        const Duration rest = since_epoch % tick_;
        if (rest != Duration::zero()) at += tick_ - rest;
    }
    return loop_.schedule_at(at, [this, id] { fire(id); });
}

Scheduler::~Scheduler() {
    for (const auto& [id, slot] : slots_) loop_.cancel(slot.timer);
}

void Scheduler::assign(const std::vector<Entry>& entries) {
    std::unordered_map<std::uint32_t, Slot> kept;
    // New probes, grouped by (interval, spread) so each group is spread evenly.
    std::map<std::pair<Duration::rep, Duration::rep>, std::vector<Entry>> fresh;
    for (const Entry& entry : entries) {
        auto found = slots_.find(entry.id);
        if (found != slots_.end() && found->second.entry.interval == entry.interval) {
            found->second.entry = entry;
            kept.emplace(entry.id, std::move(found->second));
            slots_.erase(found);
            continue;
        }
        fresh[{entry.interval.count(), entry.spread.count()}].push_back(entry);
    }
    for (const auto& [id, slot] : slots_) loop_.cancel(slot.timer);  // dropped or changed
    slots_ = std::move(kept);
    const TimePoint now = loop_.now();
    for (auto& [key, group] : fresh) {
        std::sort(group.begin(), group.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });
        const auto count = static_cast<Duration::rep>(group.size());
        for (std::size_t index = 0; index < group.size(); ++index) {
            const Entry& entry = group[index];
            Slot slot{entry, now + entry.spread * static_cast<Duration::rep>(index) / count};
            const std::uint32_t id = entry.id;
            slot.timer = arm(id, slot.deadline);
            slots_.emplace(id, std::move(slot));
        }
    }
}

void Scheduler::fire(std::uint32_t id) {
    auto found = slots_.find(id);
    if (found == slots_.end()) return;
    Slot& slot = found->second;
    const TimePoint now = loop_.now();
    const TimePoint deadline = slot.deadline;
    // The next deadline stays on the grid; deadlines already past are skipped.
    TimePoint next = deadline + slot.entry.interval;
    if (next <= now) {
        const auto missed = (now - next) / slot.entry.interval + 1;
        overruns_ += static_cast<std::uint64_t>(missed);
        next += slot.entry.interval * missed;
    }
    slot.deadline = next;
    slot.timer = arm(id, next);
    if (slot.running) {
        ++overruns_;
        return;
    }
    slot.running = true;
    start_(id, now - deadline);
}

void Scheduler::finished(std::uint32_t id) {
    auto found = slots_.find(id);
    if (found != slots_.end()) found->second.running = false;
}

bool Scheduler::running(std::uint32_t id) const {
    auto found = slots_.find(id);
    return found != slots_.end() && found->second.running;
}

}  // namespace hakeep::checkd
