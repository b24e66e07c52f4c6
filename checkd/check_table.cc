#include "checkd/check_table.h"

#include <algorithm>

#include "checkd/net_socket.h"
#include "common/log.h"

namespace hakeep::checkd {
namespace {

bool is_local(const std::string& type) {
    return type == "MISC_CHECK" || type == "FILE_CHECK" || type == "vrrp_script";
}

// A check keeps its state over a reload only if nothing that decides it changed.
std::size_t identity(const CheckConfig& check) {
    std::string key = check.name + '\0' + std::to_string(check.rise) + '/' + std::to_string(check.fall) +
                      (check.init_fail ? "i" : "") + '\0' + std::to_string(check.delay_loop_ms);
    for (const CheckerConfig& checker : check.checkers)
        key += '\0' + checker.spec.SerializeAsString() + '\0' + std::to_string(checker.warmup_ms.value_or(-1)) +
               (checker.alpha ? "a" : "");
    return std::hash<std::string>{}(key);
}

// For hactl, from a check's checkers (one spec each, in order): "TCP_CHECK",
// "HTTP_GET+MISC_CHECK"; "203.0.113.1:80", a script path.
std::string check_type_text(const std::vector<proto::CheckerSpec>& checkers) {
    std::string text;
    for (const proto::CheckerSpec& checker : checkers) text += (text.empty() ? "" : "+") + checker.type();
    return text;
}

std::string check_target_text(const std::vector<proto::CheckerSpec>& checkers) {
    if (checkers.empty()) return "";
    const proto::CheckerSpec& spec = checkers[0];
    if (!spec.command().empty()) return spec.command(0);
    if (!spec.file_path().empty()) return spec.file_path();
    return target_text(spec.address(), spec.port());
}

}  // namespace

proto::ProbeSpec Probe::spec() const {
    proto::ProbeSpec spec;
    spec.ParseFromString(*spec_bytes);
    spec.set_id(id);
    return spec;
}

void CheckTable::load(std::vector<CheckConfig> checks, const std::string& default_account) {
    std::map<std::pair<std::string, std::size_t>, CheckRecord> previous;
    for (CheckRecord& record : checks_) previous.emplace(std::pair{record.name, record.identity}, std::move(record));
    checks_.clear();
    // Exactly as many records as checks: a doubled vector would hold
    // megabytes of unused records for 10,000 checks.
    checks_.shrink_to_fit();
    checks_.reserve(checks.size());
    probes_.clear();
    for (CheckConfig& check : checks) {
        const std::size_t id = identity(check);
        auto kept = previous.find(std::pair{check.name, id});
        if (kept != previous.end()) {
            checks_.push_back(std::move(kept->second));
            checks_.back().probes.clear();
        } else {
            std::vector<bool> alpha;
            for (const CheckerConfig& checker : check.checkers) alpha.push_back(checker.alpha);
            checks_.push_back(CheckRecord{check.name, check.script_weight, id,
                                          CheckHealth(check.checkers.size(), check.rise, check.fall, check.init_fail,
                                                      alpha),
                                          {}, {}, 0, 0, 0, 0, 0});
        }
        CheckRecord& record = checks_.back();
        // Not part of the identity: a reload may turn it on or off, state kept.
        // Left empty (no allocation) when no checker of it logs its failures.
        record.log_all_failures.clear();
        if (std::any_of(check.checkers.begin(), check.checkers.end(),
                        [](const CheckerConfig& checker) { return checker.log_all_failures; }))
            for (const CheckerConfig& checker : check.checkers)
                record.log_all_failures.push_back(checker.log_all_failures);
        record.log_all_failures.shrink_to_fit();
        for (std::size_t index = 0; index < check.checkers.size(); ++index) {
            const CheckerConfig& checker = check.checkers[index];
            proto::ProbeSpec spec;
            *spec.mutable_checker() = checker.spec;
            const bool local = is_local(checker.type);
            if (local && checker.spec.user().empty()) spec.mutable_checker()->set_user(default_account);
            spec.set_interval_ms(static_cast<std::uint32_t>(check.delay_loop_ms));
            spec.set_spread_ms(static_cast<std::uint32_t>(checker.warmup_ms.value_or(check.delay_loop_ms)));
            // Same checker, same period, same spread: one probe for all its checks.
            auto [found, inserted] = probe_ids_.try_emplace(spec.SerializeAsString(), next_probe_id_);
            if (inserted) ++next_probe_id_;
            const std::uint32_t probe_id = found->second;
            Probe& probe = probes_[probe_id];
            if (probe.feeds.empty()) {
                probe.id = probe_id;
                probe.spec_bytes = &found->first;  // map keys stay put
                probe.local = local;
            }
            probe.feeds.emplace_back(checks_.size() - 1, index);
            record.probes.push_back(probe_id);
        }
        check = CheckConfig();
    }
    // Forget the ids of probes no longer configured, so the map stays bounded.
    for (auto it = probe_ids_.begin(); it != probe_ids_.end();)
        it = probes_.contains(it->second) ? std::next(it) : probe_ids_.erase(it);
}

std::vector<CheckTable::Change> CheckTable::record(const proto::ProbeResult& result, long long now_unix_ms,
                                                   std::vector<Failure>* failures) {
    std::vector<Change> changed;
    auto found = probes_.find(result.id());
    if (found == probes_.end()) return changed;  // a probe of an older configuration
    CheckerOutcome outcome{result.ok(), result.reason(), std::nullopt};
    if (result.has_weight()) outcome.weight = result.weight();
    for (const auto& [check, checker] : found->second.feeds) {
        CheckRecord& record = checks_[check];
        ++record.runs;
        record.latency_us = result.latency_us();
        const Health before = record.health.state();
        const bool log_failure = failures && !outcome.ok && checker < record.log_all_failures.size() &&
                                 record.log_all_failures[checker];
        const bool changed_now = record.health.record(checker, outcome);
        // keepalived logs all failures "when checker up": those that have
        // not (yet) taken the check DOWN.
        if (log_failure && record.health.state() != Health::down) failures->push_back(Failure{check, checker});
        if (changed_now) {
            ++record.seq;
            if (record.health.state() != before) {
                record.since_unix_ms = now_unix_ms;
                ++record.state_changes;
            }
            changed.push_back(Change{check, before});
        }
    }
    return changed;
}

proto::CheckEvent CheckTable::event(std::size_t check) const {
    const CheckRecord& record = checks_[check];
    proto::CheckEvent event;
    event.set_name(record.name);
    event.set_up(record.health.state() == Health::up);
    event.set_seq(record.seq);
    event.set_reason(record.health.reason());
    if (record.health.has_weight()) {
        event.set_weight(record.health.weight());
        event.set_dynamic_weight(true);
    } else {
        event.set_weight(record.script_weight);  // vrrp_script's weight, for vrrpd
    }
    return event;
}

proto::CheckSnapshot CheckTable::snapshot(std::uint64_t generation) const {
    proto::CheckSnapshot snapshot;
    snapshot.set_generation(generation);
    for (std::size_t index = 0; index < checks_.size(); ++index) {
        if (checks_[index].health.state() == Health::unknown) continue;
        const proto::CheckEvent event = this->event(index);
        proto::CheckState& state = *snapshot.add_checks();
        state.set_name(event.name());
        state.set_up(event.up());
        state.set_weight(event.weight());
        state.set_seq(event.seq());
        state.set_reason(event.reason());
        state.set_dynamic_weight(event.dynamic_weight());
    }
    return snapshot;
}

void CheckTable::fill_reply(proto::ChecksReply& reply, std::size_t first, std::size_t budget) const {
    std::size_t used = reply.ByteSizeLong() + 8;  // room for next_check
    for (std::size_t index = first; index < checks_.size(); ++index) {
        const CheckRecord& record = checks_[index];
        std::vector<proto::CheckerSpec> checkers;
        for (std::uint32_t id : record.probes) checkers.push_back(probes_.at(id).spec().checker());
        proto::CheckDetail detail;
        detail.set_name(record.name);
        detail.set_type(check_type_text(checkers));
        detail.set_target(check_target_text(checkers));
        detail.set_state(health_name(record.health.state()));
        detail.set_since_unix_ms(static_cast<std::uint64_t>(record.since_unix_ms));
        detail.set_consecutive_failures(record.health.consecutive_failures());
        detail.set_last_reason(record.health.last_failure());
        detail.set_latency_us(record.latency_us);
        detail.set_weight(record.health.has_weight() ? record.health.weight() : record.script_weight);
        detail.set_runs(record.runs);
        detail.set_state_changes(record.state_changes);
        used += detail.ByteSizeLong() + 4;  // field tag and length
        if (reply.checks_size() > 0 && used > budget) {
            reply.set_next_check(static_cast<std::uint32_t>(index));
            return;
        }
        *reply.add_checks() = std::move(detail);
    }
}

std::size_t CheckTable::known() const {
    return static_cast<std::size_t>(std::count_if(checks_.begin(), checks_.end(), [](const CheckRecord& record) {
        return record.health.state() != Health::unknown;
    }));
}

}  // namespace hakeep::checkd
