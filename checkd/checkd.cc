#include "checkd/checkd.h"

#include <grp.h>
#include <malloc.h>

#include <cstdio>
#include <set>

#include "checkd/process.h"
#include "common/log.h"

namespace hakeep::checkd {
namespace {

// A ChecksReply must fit one message; room is kept for the envelope.
constexpr std::size_t reply_budget = ipc::max_message_size - 1024;

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
    // The parser's tree is gone: give its pages back (tens of MiB for 10,000 checks).
    malloc_trim(0);
}

std::string Checkd::script_account() const {
    return config_.script_user.empty() ? daemon_account_
                                       : config_.script_user + (config_.script_group.empty() ? "" : ":" + config_.script_group);
}

void Checkd::open_privileged(DaemonContext& context) {
    // Forked now, as root and before the supervisor's sandbox: see launcher.h.
    daemon_account_ = context.options.user.value_or(context.spec.default_user);
    const LogSettings log{context.options.use_syslog, context.options.verbose};
    std::optional<sandbox::Account> own = sandbox::lookup_account(daemon_account_);
    if (!own) throw std::runtime_error("no account " + daemon_account_);
    // A launcher needs nothing of the configuration: it drops its copy.
    const auto forget_config = [this] { config_ = CheckdConfig{}; };
    launchers_.emplace_back(Launcher::start(LaunchSettings{*own, context.options.seccomp_log, log}, forget_config),
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
    context.server.handle(ipc::Body::kVrrpEvent, [](ipc::Connection&, const proto::Envelope& envelope) {
        // Notify scripts run here once the script worker exists.
        HK_LOG_INFO("vrrp instance %s is now state %d", envelope.vrrp_event().instance().c_str(),
                    static_cast<int>(envelope.vrrp_event().state()));
    });
    context.server.handle(ipc::Body::kChecksRequest, [this](ipc::Connection& from, const proto::Envelope&) {
        proto::Envelope reply;
        proto::ChecksReply& checks = *reply.mutable_checks_reply();
        table_.fill_reply(checks, reply_budget);
        checks.set_workers(pool_->running());
        checks.set_worker_restarts(pool_->restarts());
        from.send(reply);
    });
    for (const char* peer : {"vrrpd", "ipvsd"}) {
        ipc::PeerLink& link = context.add_peer(peer);
        link.on_connect([this](ipc::PeerLink& connected) { connected.send(snapshot()); });
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
    broadcast(snapshot());
}

void Checkd::apply_config() {
    table_.load(config_.checks, script_account());
    // The table holds what it needs; the parsed checks are not kept twice.
    check_count_ = config_.checks.size();
    script_count_ = 0;
    for (const CheckConfig& check : config_.checks) script_count_ += check.is_vrrp_script ? 1 : 0;
    config_.checks = {};
    const std::vector<std::uint32_t> unplaced = pool_->assign(table_.probes());
    std::vector<proto::ProbeSpec> failing;
    for (std::uint32_t id : unplaced) failing.push_back(table_.probes().at(id).spec);
    unavailable_->assign(failing);
    malloc_trim(0);
}

void Checkd::on_result(const proto::ProbeResult& result) {
    ++results_;
    lateness_.add(result.lateness_us());
    for (const CheckTable::Change& change : table_.record(result, unix_time_ms())) {
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
        broadcast(snapshot());
        schedule_snapshot();
    });
}

proto::Envelope Checkd::snapshot() const {
    proto::Envelope envelope;
    *envelope.mutable_check_snapshot() = table_.snapshot(generation_);
    return envelope;
}

void Checkd::fill_status(proto::StatusReply& reply) const {
    auto& summary = *reply.mutable_config_summary();
    summary["checks"] = std::to_string(check_count_ - script_count_);
    summary["vrrp_scripts"] = std::to_string(script_count_);
    summary["probes"] = std::to_string(table_.probes().size());
    summary["workers"] = std::to_string(pool_ ? pool_->running() : 0);
    // Runtime figures for benchmarks and dashboards: runs since start, and
    // how late they started against their schedule.
    summary["runs"] = std::to_string(results_);
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", static_cast<double>(lateness_.quantile_us(0.5)) / 1000.0);
    summary["lateness_p50_ms"] = text;
    std::snprintf(text, sizeof text, "%.3f", static_cast<double>(lateness_.quantile_us(0.99)) / 1000.0);
    summary["lateness_p99_ms"] = text;
    summary["checks_known"] = std::to_string(table_.known());
    std::size_t down = 0;
    for (const CheckRecord& record : table_.checks()) down += record.health.state() == Health::down ? 1 : 0;
    summary["checks_down"] = std::to_string(down);
}

}  // namespace hakeep::checkd
