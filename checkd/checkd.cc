#include "checkd/checkd.h"

#include <grp.h>
#include <malloc.h>

#include <cstdio>
#include <set>
#include <utility>

#include "checkd/process.h"
#include "common/check_states.h"
#include "common/log.h"

namespace hakeep::checkd {
namespace {

// Notify scripts run as one-shot probes with ids far above the checks'.
constexpr std::uint32_t notify_probe_base = 0xF0000000u;
// keepalived waits for no notify script; one that hangs must not hold the next.
constexpr std::uint32_t notify_timeout_ms = 60000;

// A ChecksReply page and a CheckSnapshot part each fit one message, with
// room to spare for the envelope.
constexpr std::size_t page_bytes = 48 * 1024;

// "nobody" or "nobody:nogroup" (user, group) as the configuration names it.
std::optional<sandbox::Account> script_account_of(const std::string& text, std::string& why) {
    const std::size_t colon = text.find(':');
    const std::string user = text.substr(0, colon);
    std::optional<sandbox::Account> account = sandbox::lookup_account(user);
    if (!account) {
        why = "script: no such user '" + user + "'";
        return std::nullopt;
    }
    if (colon != std::string::npos) {
        const struct group* entry = getgrnam(text.substr(colon + 1).c_str());
        if (!entry) {
            why = "script: no such group '" + text.substr(colon + 1) + "'";
            return std::nullopt;
        }
        account->gid = entry->gr_gid;
    }
    account->name = text;
    return account;
}

// A probe of an account without launcher: it fails on its period, saying why.
class Unavailable final : public Attempt {
public:
    Unavailable(EventLoop& loop, std::string reason, AttemptDone done) : Attempt(loop, std::move(done)) {
        fail_soon(std::move(reason));
    }
};

}  // namespace

const DaemonSpec& checkd_spec() {
    static const DaemonSpec spec{"checkd", proto::DAEMON_CHECKD, "hakeep-check", {},
                                 &checkd_syscalls()};
    return spec;
}

void Checkd::load_config(const std::string& path) {
    config::DiskFileSource files;
    config_ = load_checkd_config(path, files);
    load_notify_scripts();
    // The parser's tree is gone: give its pages back (tens of MiB for 10,000 checks).
    malloc_trim(0);
}

std::string Checkd::script_account() const {
    return config_.script_user.empty() ? daemon_account_
                                       : config_.script_user + (config_.script_group.empty() ? "" : ":" + config_.script_group);
}

void Checkd::open_privileged(DaemonContext& context) {
    // Forked now, as root and before the supervisor's sandbox: see launcher.h.
    daemon_account_ = context.account.name;
    const LogSettings log{context.options.use_syslog, context.options.verbose};
    // A launcher needs nothing of the configuration: it drops its copy.
    const auto forget_config = [this] {
        config_ = CheckdConfig{};
        notify_ = VrrpNotifyConfig{};
    };
    launchers_.emplace_back(Launcher::start(LaunchSettings{context.account, context.options.seccomp_log, log}, forget_config),
                            true);
    std::set<std::string> accounts{script_account()};
    for (const CheckConfig& check : config_.checks)
        for (const CheckerConfig& checker : check.checkers)
            if (!checker.spec.user().empty()) accounts.insert(checker.spec.user());
    accounts.erase(daemon_account_);
    for (const std::string& name : accounts) {
        std::string why;
        std::optional<sandbox::Account> account = script_account_of(name, why);
        if (!account) {
            HK_LOG_ERROR("%s: its scripts will fail until checkd restarts", why.c_str());
            unavailable_accounts_[name] = why;
            continue;
        }
        launchers_.emplace_back(
            Launcher::start(LaunchSettings{*account, context.options.seccomp_log, log}, forget_config), false);
    }
    config_workers_ = config_.network_workers > 0 ? config_.network_workers : usable_cpus();
}

void Checkd::start(DaemonContext& context) {
    context_ = &context;
    generation_ = static_cast<std::uint64_t>(unix_time_ms());
    context.server.handle(ipc::Body::kVrrpEvent, [this](ipc::Connection&, const proto::Envelope& envelope) {
        on_vrrp_event(envelope.vrrp_event());
    });
    context.server.handle(ipc::Body::kChecksRequest, [this](ipc::Connection& from, const proto::Envelope& request) {
        proto::Envelope reply;
        proto::ChecksReply& checks = *reply.mutable_checks_reply();
        table_.fill_reply(checks, request.checks_request().first_check(), page_bytes);
        checks.set_workers(pool_->running());
        checks.set_worker_restarts(pool_->restarts());
        from.send(reply);
    });
    for (const char* peer : {"vrrpd", "ipvsd"}) {
        ipc::PeerLink& link = context.add_peer(peer);
        link.on_connect([this](ipc::PeerLink& connected) {
            for (const proto::Envelope& part : snapshot()) connected.send(part);
        });
        peers_.push_back(&link);
    }
    pool_ = std::make_unique<WorkerPool>(
        context.loop, [this](const proto::ProbeResult& result) { on_result(result); },
        [&context] {
            // Without a launcher no worker can be restarted: better a visible
            // exit the service manager acts on than checks silently frozen.
            HK_LOG_ERROR("exiting: a launcher is gone");
            context.loop.stop();
        });
    pool_->set_network_workers(config_workers_);
    pool_->on_lost([this](std::uint32_t id) { on_notify_lost(id); });
    for (auto& [launcher, network] : launchers_) pool_->add_launcher(std::move(launcher), network);
    launchers_.clear();
    unavailable_ = std::make_unique<ProbeEngine>(
        context.loop,
        [this](EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) -> std::unique_ptr<Attempt> {
            auto known = unavailable_accounts_.find(spec.user());
            const std::string why = known != unavailable_accounts_.end()
                                        ? known->second
                                        : "script: account " + spec.user() + " named after checkd started (restart it)";
            return std::make_unique<Unavailable>(loop, why, std::move(done));
        },
        [this](const proto::ProbeResult& result) { on_result(result); });
    apply_config();
    schedule_snapshot();
}

void Checkd::stop(DaemonContext&) {
    if (pool_) pool_->stop();
}

void Checkd::config_reloaded(DaemonContext&) {
    apply_config();
    // Checks added, removed or reset by the reload: the peers learn at once.
    for (const proto::Envelope& part : snapshot()) broadcast(part);
}

void Checkd::apply_config() {
    check_count_ = config_.checks.size();
    script_count_ = 0;
    for (const CheckConfig& check : config_.checks) script_count_ += check.is_vrrp_script ? 1 : 0;
    // The table takes what it needs; the parsed checks are not kept twice.
    table_.load(std::exchange(config_.checks, {}), script_account());
    const std::vector<std::uint32_t> unplaced = assign_probes();
    std::vector<proto::ProbeSpec> failing;
    for (std::uint32_t id : unplaced) failing.push_back(table_.probes().at(id).spec());
    unavailable_->assign(failing);
    malloc_trim(0);
}

void Checkd::load_notify_scripts() {
    // Read-only, and only the notify_* words: vrrpd's own parser judges the rest.
    try {
        config::DiskFileSource files;
        VrrpNotifyConfig loaded = load_vrrp_notify(config_.vrrpd_config, files);
        if (!loaded.found)
            HK_LOG_DEBUG("no %s: no notify scripts (a node without vrrpd)", config_.vrrpd_config.c_str());
        notify_ = std::move(loaded);
    } catch (const std::exception& error) {
        HK_LOG_ERROR("notify scripts: %s (the previous ones are kept)", error.what());
    }
}

void Checkd::on_vrrp_event(const proto::VrrpEvent& event) {
    HK_LOG_INFO("vrrp instance %s%s%s is now %s, priority %u", event.instance().c_str(),
                event.group().empty() ? "" : " of group ", event.group().c_str(), notify_state_name(event.state()),
                event.priority());
    // vrrpd resends every state on reconnect: the same state runs nothing again.
    const std::string key = notify_key(notify_, event);
    auto [last, fresh] = notified_.try_emplace(key, event.state());
    if (!fresh && last->second == event.state()) return;
    last->second = event.state();
    for (Command& command : notify_commands(notify_, event)) notify_queue_.push_back(std::move(command));
    if (!notify_running_) run_next_notify();
}

std::vector<std::uint32_t> Checkd::assign_probes() {
    std::vector<std::uint32_t> unplaced;
    if (!notify_running_) {
        unplaced = pool_->assign(table_.probes());
    } else {
        proto::ProbeSpec spec;
        // Once: it is dropped when its result comes, long before a day has passed.
        spec.set_interval_ms(24 * 3600 * 1000);
        spec.set_spread_ms(0);
        proto::CheckerSpec& checker = *spec.mutable_checker();
        checker.set_type("MISC_CHECK");
        checker.set_user(script_account());
        checker.set_script_timeout_ms(notify_timeout_ms);
        for (const std::string& word : notify_queue_.front()) checker.add_command(word);
        const std::string bytes = spec.SerializeAsString();
        Probe probe;
        probe.id = *notify_running_;
        probe.spec_bytes = &bytes;
        probe.local = true;
        probe.once = true;
        unplaced = pool_->assign(table_.probes(), &probe);
    }
    std::erase_if(unplaced, [this](std::uint32_t id) {
        if (!notify_running_ || id != *notify_running_) return false;
        HK_LOG_ERROR("notify script %s not run: no script worker for account %s",
                     notify_queue_.front().at(0).c_str(), script_account().c_str());
        // Not now, from inside assign(): on the next turn.
        context_->loop.schedule(Duration::zero(), [this] {
            if (!notify_running_) return;
            notify_running_.reset();
            notify_queue_.pop_front();
            assign_probes();
            run_next_notify();
        });
        return true;
    });
    return unplaced;
}

void Checkd::run_next_notify() {
    if (notify_running_ || notify_queue_.empty() || !pool_) return;
    notify_running_ = notify_probe_base + (notify_serial_++ % 0x1000000u);
    HK_LOG_INFO("notify: running %s", notify_queue_.front().at(0).c_str());
    ++notify_started_;
    assign_probes();
}

void Checkd::on_notify_lost(std::uint32_t id) {
    if (!notify_running_ || id != *notify_running_) return;
    // Handed to the script worker, which died before its result came: the
    // script may have run, wholly or in part. Run again, it could act twice
    // on one transition (a second gratuitous step, a page sent twice), so
    // notify scripts run at most once.
    ++notify_lost_;
    HK_LOG_ERROR("notify script %s: the script worker died while it ran; not run again (at most once)",
                 notify_queue_.front().at(0).c_str());
    notify_running_.reset();
    notify_queue_.pop_front();
    if (notify_queue_.empty()) assign_probes();
    else run_next_notify();
}

void Checkd::on_result(const proto::ProbeResult& result) {
    if (notify_running_ && result.id() == *notify_running_) {
        ++notify_finished_;
        if (!result.ok())
            HK_LOG_ERROR("notify script %s: %s", notify_queue_.front().at(0).c_str(), result.reason().c_str());
        notify_running_.reset();
        notify_queue_.pop_front();
        // The pool is inside its message handler: the next one on the next turn.
        context_->loop.schedule(Duration::zero(), [this] {
            if (notify_running_) return;
            if (notify_queue_.empty()) assign_probes();  // drops the finished one
            else run_next_notify();
        });
        return;
    }
    ++results_;
    lateness_.add(result.lateness_us());
    std::vector<CheckTable::Failure> failures;
    const std::vector<CheckTable::Change> changes = table_.record(result, unix_time_ms(), &failures);
    for (const CheckTable::Failure& failure : failures) {
        const CheckRecord& record = table_.checks()[failure.check];
        HK_LOG_NOTICE("check %s: checker %zu failed (%s), %u consecutive failure(s), still %s", record.name.c_str(),
                      failure.checker + 1, result.reason().c_str(), record.health.consecutive_failures(),
                      health_name(record.health.state()));
    }
    for (const CheckTable::Change& change : changes) {
        const CheckRecord& record = table_.checks()[change.check];
        const Health now = record.health.state();
        if (now != change.before)
            HK_LOG_NOTICE("check %s: %s -> %s%s%s%s", record.name.c_str(), health_name(change.before),
                          health_name(now), record.health.reason().empty() ? "" : " (",
                          record.health.reason().c_str(), record.health.reason().empty() ? "" : ")");
        else
            HK_LOG_INFO("check %s: weight %d", record.name.c_str(), record.health.weight());
        proto::Envelope envelope;
        *envelope.mutable_check_event() = table_.event(change.check);
        broadcast(envelope);
    }
}

void Checkd::broadcast(const proto::Envelope& envelope) {
    for (ipc::PeerLink* link : peers_)
        if (link->connected()) link->send(envelope);
}

void Checkd::schedule_snapshot() {
    // Anti-entropy: a peer that missed an event is right again within 15 s.
    context_->loop.schedule(snapshot_interval, [this] {
        for (const proto::Envelope& part : snapshot()) broadcast(part);
        // The workers' result batches are parsed into short-lived objects
        // that land on free pages of the heap, which stay resident once
        // touched: given back every 15 s, the RSS stays near what is in use
        // (10,000 checks under load, flapping: it had crept from 15.9 to 18 MB).
        malloc_trim(0);
        schedule_snapshot();
    });
}

std::vector<proto::Envelope> Checkd::snapshot() const {
    std::vector<proto::Envelope> envelopes;
    for (proto::CheckSnapshot& part : split_snapshot(table_.snapshot(generation_), page_bytes)) {
        envelopes.emplace_back();
        *envelopes.back().mutable_check_snapshot() = std::move(part);
    }
    return envelopes;
}

void Checkd::fill_status(proto::StatusReply& reply) const {
    auto& summary = *reply.mutable_config_summary();
    summary["checks"] = std::to_string(check_count_ - script_count_);
    summary["vrrp_scripts"] = std::to_string(script_count_);
    summary["probes"] = std::to_string(table_.probes().size());
    auto& counters = *reply.mutable_counters();
    counters["workers"] = std::to_string(pool_ ? pool_->running() : 0);
    // Runtime figures for benchmarks and dashboards: runs since start, and
    // how late they started against their schedule.
    counters["runs"] = std::to_string(results_);
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", static_cast<double>(lateness_.quantile_us(0.5)) / 1000.0);
    counters["lateness_p50_ms"] = text;
    std::snprintf(text, sizeof text, "%.3f", static_cast<double>(lateness_.quantile_us(0.99)) / 1000.0);
    counters["lateness_p99_ms"] = text;
    counters["checks_known"] = std::to_string(table_.known());
    // Notify scripts handed to the script worker, their results, and those
    // lost to a worker's death (not run again).
    counters["notify_started"] = std::to_string(notify_started_);
    counters["notify_finished"] = std::to_string(notify_finished_);
    counters["notify_lost"] = std::to_string(notify_lost_);
    // The heap: bytes in use and bytes held from the kernel (the benchmark's
    // view of the supervisor's memory; the difference is fragmentation).
    const struct mallinfo2 heap = mallinfo2();
    counters["heap_in_use_kb"] = std::to_string(heap.uordblks / 1024);
    counters["heap_held_kb"] = std::to_string((heap.arena + heap.hblkhd) / 1024);
    std::size_t down = 0;
    for (const CheckRecord& record : table_.checks()) down += record.health.state() == Health::down ? 1 : 0;
    counters["checks_down"] = std::to_string(down);
}

}  // namespace hakeep::checkd
