#include "ipvsd/ipvsd.h"

#include <malloc.h>
#include <unistd.h>

#include "common/check_feed.h"
#include "common/log.h"
#include "ipvsd/netlink_kernel.h"
#include "ipvsd/reconcile.h"
#include "ipvsd/sync_daemon.h"

namespace hakeep::ipvsd {

const DaemonSpec& ipvsd_spec() {
    static const DaemonSpec spec{"ipvsd", proto::DAEMON_IPVSD, "hakeep-ipvs", {CAP_NET_ADMIN},
                                 &ipvsd_syscalls()};
    return spec;
}

Ipvsd::Ipvsd(KernelFactory kernel_factory) : kernel_factory_(std::move(kernel_factory)) {
    if (!kernel_factory_)
        kernel_factory_ = [] { return std::unique_ptr<Kernel>(std::make_unique<NetlinkKernel>()); };
}

std::set<ServiceKey> Ipvsd::declared_keys() const {
    std::set<ServiceKey> keys;
    for (const VirtualServerConfig& server : config_.virtual_servers)
        for (const ServiceKey& key : service_keys(server, config_)) keys.insert(key);
    return keys;
}

void Ipvsd::load_config(const std::string& path) {
    // Derived, recomputed by the reconciliation that follows (or by hactl
    // ipvs if the file is refused): freed first, so that a large table's
    // old desired state and its new configuration are not in memory at once.
    desired_ = {};
    config::DiskFileSource files;
    // Blocks unchanged since config_ was read are taken from it, not parsed.
    adopt_config(reload_ipvsd_config(path, files, config_));  // only if all of it parsed
}

void Ipvsd::adopt_config(IpvsdConfig config) {
    const std::set<ServiceKey> before = declared_keys();
    desired_ = {};  // it points into the configuration being replaced
    config_ = std::move(config);
    // Looked up for every check of every snapshot: a set, not a scan.
    tracked_checks_.clear();
    for (const VirtualServerConfig& server : config_.virtual_servers)
        for (const RealServerConfig& real : server.real_servers)
            if (!real.track_check.empty()) tracked_checks_.insert(real.track_check);
    const std::set<ServiceKey> after = declared_keys();
    // Services dropped from the configuration were ours: they go. Anything
    // never declared stays someone else's.
    for (const ServiceKey& key : before)
        if (!after.contains(key)) released_.insert(key);
    for (const ServiceKey& key : after) released_.erase(key);
    // Drains of real servers that no longer exist are forgotten.
    std::erase_if(drains_, [this](const auto& drain) {
        for (const VirtualServerConfig& server : config_.virtual_servers)
            if (server.label() == drain.first)
                for (const RealServerConfig& real : server.real_servers)
                    if (real.label() == drain.second) return false;
        return true;
    });
}

void Ipvsd::open_privileged(DaemonContext& context) {
    // The first attempt runs before the sandbox; retries open the same kind
    // of socket (AF_NETLINK, NETLINK_GENERIC), which ipvsd's list allows.
    connect_kernel();
    // The state file's directory belongs to the account ipvsd becomes.
    const bool root = ::geteuid() == 0;
    try {
        use_owned_file(OwnedServicesFile::open(context.options.socket_dir,
                                               root ? context.account.uid : ::geteuid(),
                                               root ? context.account.gid : ::getegid()));
    } catch (const std::runtime_error& error) {
        HK_LOG_ERROR("%s: services removed from ipvsd.conf while ipvsd is not running will stay "
                     "in the kernel",
                     error.what());
    }
}

void Ipvsd::use_owned_file(OwnedServicesFile file) {
    const OwnedServicesFile::Loaded loaded = file.load();
    // Said one line each, but a hostile file cannot flood the log.
    constexpr std::size_t errors_said = 10;
    for (std::size_t index = 0; index < loaded.parse.errors.size() && index < errors_said; ++index)
        HK_LOG_ERROR("%s", loaded.parse.errors[index].c_str());
    if (loaded.parse.errors.size() > errors_said)
        HK_LOG_ERROR("%s: %zu more line(s) ignored", file.path().c_str(),
                     loaded.parse.errors.size() - errors_said);
    const std::set<ServiceKey> declared = declared_keys();
    std::size_t undeclared = 0;
    for (const ServiceKey& key : loaded.parse.services)
        if (!declared.contains(key) && released_.insert(key).second) ++undeclared;
    // A first start, or a damaged file, is written anew by the first reconciliation.
    if (!loaded.missing && loaded.parse.errors.empty()) owned_recorded_ = loaded.parse.services;
    else owned_recorded_.reset();
    if (loaded.missing)
        HK_LOG_INFO("%s: none yet (first start): nothing to release", file.path().c_str());
    else
        HK_LOG_INFO("%s: %zu owned service(s) listed, %zu to release (no longer in ipvsd.conf)",
                    file.path().c_str(), loaded.parse.services.size(), undeclared);
    owned_file_ = std::move(file);
}

// After a reconciliation: the file says what ipvsd owns now.
void Ipvsd::record_owned() {
    if (!owned_file_) return;
    std::set<ServiceKey> owned = owned_services(desired_.table, kernel_view_, released_);
    if (owned_recorded_ == owned) return;
    if (std::string error = owned_file_->save(owned); !error.empty()) {
        if (error != owned_error_) HK_LOG_ERROR("%s (retried at the next change)", error.c_str());
        owned_error_ = std::move(error);
        return;
    }
    owned_error_.clear();
    owned_recorded_ = std::move(owned);
}

void Ipvsd::connect_kernel() {
    try {
        kernel_ = kernel_factory_();
        kernel_error_.clear();
        HK_LOG_INFO("IPVS kernel interface ready");
    } catch (const KernelError& error) {
        // Said once per distinct reason, then retried quietly.
        if (kernel_error_ != error.what())
            HK_LOG_ERROR("%s; retrying every %lld s", error.what(),
                         static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(kernel_retry).count()));
        kernel_error_ = error.what();
        kernel_.reset();
    }
}

// The socket failed: said, and reconnected by the next resync.
void Ipvsd::lose_kernel(const KernelError& error) {
    HK_LOG_ERROR("IPVS: %s", error.what());
    kernel_error_ = error.what();
    kernel_.reset();
}

void Ipvsd::attach(EventLoop& loop, ipc::PeerLink* vrrpd) {
    loop_ = &loop;
    vrrpd_ = vrrpd;
}

void Ipvsd::start(DaemonContext& context) {
    server_ = &context.server;
    CheckFilter filter;
    filter.tracked = [this](const std::string& name) { return tracked_checks_.contains(name); };
    filter.refused = &counters_.check_events_refused;
    filter.snapshot_adopted = [this] { snapshot_adopted(); };
    feed_check_states(context.server, context.loop, checks_,
                      [this](const std::vector<CheckChange>& changes) {
                          for (const CheckChange& change : changes)
                              HK_LOG_INFO("%s", describe(change, "unknown").c_str());
                          reconcile_soon();
                      },
                      filter);
    context.server.handle(ipc::Body::kVrrpEvent, [this](ipc::Connection&, const proto::Envelope& envelope) {
        vrrp_state(envelope.vrrp_event());
    });
    for (const bool drained : {true, false}) {
        context.server.handle(drained ? ipc::Body::kDrain : ipc::Body::kUndrain,
                              [this, drained](ipc::Connection& from, const proto::Envelope& envelope) {
                                  const auto& vs = drained ? envelope.drain().virtual_server()
                                                           : envelope.undrain().virtual_server();
                                  const auto& rs = drained ? envelope.drain().real_server()
                                                           : envelope.undrain().real_server();
                                  proto::Envelope reply;
                                  *reply.mutable_command_reply() = drain(vs, rs, drained);
                                  from.send(reply);
                              });
    }
    context.server.handle(ipc::Body::kIpvsRequest, [this](ipc::Connection& from, const proto::Envelope& envelope) {
        proto::Envelope reply;
        *reply.mutable_ipvs_reply() = ipvs_reply(envelope.ipvs_request().first_virtual_server());
        from.send(reply);
    });
    ipc::PeerLink& vrrpd = context.add_peer("vrrpd");
    // On every (re)connect vrrpd learns each virtual server's quorum: the
    // QuorumEvents sent while it was away (and at our start, before the link
    // is up) were dropped.
    vrrpd.on_connect([this](ipc::PeerLink& link) {
        for (const auto& [label, up] : quorum_) {
            proto::Envelope envelope;
            envelope.mutable_quorum_event()->set_virtual_server(label);
            envelope.mutable_quorum_event()->set_up(up);
            link.send(envelope);
        }
    });
    attach(context.loop, &vrrpd);
    begin();
}

void Ipvsd::begin() {
    holding_unknown_ = config_.check_snapshot_wait.count() > 0 && !checks_.snapshot_received();
    if (holding_unknown_ && loop_ != nullptr)
        hold_timer_ = loop_->schedule(config_.check_snapshot_wait, [this] {
            hold_timer_.reset();
            if (!holding_unknown_) return;
            holding_unknown_ = false;
            HK_LOG_NOTICE("no check snapshot from checkd within %lld s: real servers with unknown "
                          "checks now follow ipvsd.conf",
                          static_cast<long long>(config_.check_snapshot_wait.count()));
            reconcile_now();
        });
    resync();
    ::malloc_trim(0);  // what parsing and the first reconciliation left
}

void Ipvsd::snapshot_adopted() {
    if (!holding_unknown_) return;
    holding_unknown_ = false;
    if (hold_timer_ && loop_ != nullptr) loop_->cancel(*hold_timer_);
    hold_timer_.reset();
    HK_LOG_INFO("first check snapshot from checkd: reconciling every real server");
    reconcile_soon();
}

void Ipvsd::resync() {
    if (!kernel_) connect_kernel();
    if (kernel_) {
        try {
            dump_kernel_view();
            ++counters_.resyncs;
            std::vector<Operation> setup;
            if (auto timeouts = timeouts_operation(config_.timeouts, kernel_->dump_timeouts()))
                setup.push_back(*timeouts);
            const std::vector<SyncDaemon> running = kernel_->dump_sync_daemons();
            if (!sync_role_known_ && config_.sync_daemon) {
                for (const SyncDaemon& daemon : running)
                    if (daemon.role == SyncDaemon::Role::master &&
                        daemon.interface == config_.sync_daemon->interface &&
                        daemon.sync_id == config_.sync_daemon->sync_id) {
                        HK_LOG_INFO("sync daemon on %s is master: kept until vrrp instance %s says otherwise",
                                    daemon.interface.c_str(), config_.sync_daemon->instance.c_str());
                        sync_master_ = true;
                    }
                sync_role_known_ = true;
            }
            for (Operation& operation : sync_daemon_operations(config_.sync_daemon, sync_master_, running))
                setup.push_back(std::move(operation));
            apply_setup(setup);
            reconcile_now();
        } catch (const KernelError& error) {
            lose_kernel(error);
        }
    }
    schedule_resync(kernel_ ? resync_interval : kernel_retry);
}

// The old view is dropped before the dump arrives: at 37,000 destinations
// two tables at once are 5 MB more heap, kept in the RSS afterwards. A dump
// that fails loses the kernel (the callers catch KernelError), and without a
// kernel the empty view is not used.
void Ipvsd::dump_kernel_view() {
    kernel_view_ = {};
    kernel_view_ = kernel_->dump();
}

// Timeouts and sync daemons: applied at once, counted like the table's operations.
void Ipvsd::apply_setup(const std::vector<Operation>& operations) {
    if (operations.empty() || !kernel_) return;
    ApplyResult result = kernel_->apply(operations);
    counters_.operations_applied += result.applied;
    counters_.operations_failed += result.failures.size();
    for (const std::string& failure : result.failures) HK_LOG_ERROR("IPVS refused: %s", failure.c_str());
}

void Ipvsd::schedule_resync(Duration after) {
    if (loop_ == nullptr) return;
    if (retry_timer_) loop_->cancel(*retry_timer_);
    retry_timer_ = loop_->schedule(after, [this] {
        retry_timer_.reset();
        resync();
    });
}

void Ipvsd::reconcile_soon() {
    // Several check events in one wake-up make one reconciliation.
    if (reconcile_timer_ || loop_ == nullptr) {
        if (loop_ == nullptr) reconcile_now();
        return;
    }
    reconcile_timer_ = loop_->schedule(Duration::zero(), [this] {
        reconcile_timer_.reset();
        reconcile_now();
    });
}

void Ipvsd::reconcile_now() {
    const std::map<std::string, bool> quorum_before = quorum_;
    desired_ = compute_desired(config_, checks_, drains_, quorum_,
                               holding_unknown_ && kernel_ ? &kernel_view_ : nullptr);
    for (const VirtualServerView& view : desired_.virtual_servers) quorum_[view.label] = view.quorum_up;
    // Quorum states of virtual servers a reload removed are forgotten.
    std::set<std::string> labels;
    for (const VirtualServerView& view : desired_.virtual_servers) labels.insert(view.label);
    std::erase_if(quorum_, [&labels](const auto& entry) { return !labels.contains(entry.first); });
    send_quorum_changes(quorum_before);
    if (!kernel_) return;
    std::vector<Operation> operations = reconcile(desired_.table, kernel_view_, released_);
    if (operations.empty()) {
        // What was released and is not in the kernel is forgotten: added
        // later by someone else, it is theirs.
        std::erase_if(released_, [this](const ServiceKey& key) { return !kernel_view_.contains(key); });
        record_owned();
        accepted();
        return;
    }
    ApplyResult result;
    try {
        result = kernel_->apply(operations);
        if (!result.failures.empty()) dump_kernel_view();  // our view is off somewhere
    } catch (const KernelError& error) {
        lose_kernel(error);
        schedule_resync(kernel_retry);
        return;
    }
    counters_.operations_applied += result.applied;
    counters_.operations_failed += result.failures.size();
    if (result.failures.empty())
        for (const Operation& operation : operations) apply_to_table(kernel_view_, operation);
    for (const ServiceKey& key : released_)
        if (!kernel_view_.contains(key)) HK_LOG_INFO("released %s", key.to_string().c_str());
    std::erase_if(released_, [this](const ServiceKey& key) { return !kernel_view_.contains(key); });
    record_owned();
    if (result.failures.empty()) {
        HK_LOG_INFO("IPVS: %zu operation(s) applied", result.applied);
        accepted();
    } else {
        if (result.applied > 0)
            HK_LOG_INFO("IPVS: %zu operation(s) applied, %zu refused", result.applied,
                        result.failures.size());
        refused(result.failures);
    }
}

// Said once per distinct refusal, retried soon (1 s, 2 s, 4 s ... up to the
// resync interval) rather than only at the next resync.
void Ipvsd::refused(const std::vector<std::string>& failures) {
    for (const std::string& failure : failures)
        if (refusals_logged_.insert(failure).second) {
            ++counters_.refusals_logged;
            HK_LOG_ERROR("IPVS refused: %s (retrying)", failure.c_str());
        }
    refused_backoff_ = refused_backoff_ == Duration::zero()
                           ? refused_retry_first
                           : std::min<Duration>(2 * refused_backoff_, resync_interval);
    if (loop_ == nullptr) return;
    if (refused_timer_) loop_->cancel(*refused_timer_);
    refused_timer_ = loop_->schedule(refused_backoff_, [this] {
        refused_timer_.reset();
        if (!kernel_) return;  // the kernel retry's resync takes over
        try {
            dump_kernel_view();
        } catch (const KernelError& error) {
            lose_kernel(error);
            schedule_resync(kernel_retry);
            return;
        }
        reconcile_now();
    });
}

// The kernel holds what we want: no retry pending, and a refusal seen again
// later is news again.
void Ipvsd::accepted() {
    if (refused_backoff_ == Duration::zero()) return;
    HK_LOG_NOTICE("IPVS: every refused operation is now applied");
    refused_backoff_ = Duration::zero();
    refusals_logged_.clear();
    if (refused_timer_ && loop_ != nullptr) loop_->cancel(*refused_timer_);
    refused_timer_.reset();
}

void Ipvsd::send_quorum_changes(const std::map<std::string, bool>& before) {
    for (const auto& [label, up] : quorum_) {
        auto previous = before.find(label);
        if (previous != before.end() && previous->second == up) continue;
        if (previous != before.end() || !up)
            HK_LOG_NOTICE("virtual server %s: quorum %s", label.c_str(), up ? "regained" : "lost");
        if (vrrpd_ == nullptr) continue;
        proto::Envelope envelope;
        envelope.mutable_quorum_event()->set_virtual_server(label);
        envelope.mutable_quorum_event()->set_up(up);
        vrrpd_->send(envelope);  // while vrrpd is away, it learns on reconnect (start())
    }
}

void Ipvsd::config_reloaded(DaemonContext&) {
    if (kernel_) {
        std::vector<Operation> setup;
        try {
            if (auto timeouts = timeouts_operation(config_.timeouts, kernel_->dump_timeouts()))
                setup.push_back(*timeouts);
            for (Operation& operation :
                 sync_daemon_operations(config_.sync_daemon, sync_master_, kernel_->dump_sync_daemons()))
                setup.push_back(std::move(operation));
            apply_setup(setup);
        } catch (const KernelError& error) {
            HK_LOG_ERROR("IPVS: %s", error.what());
        }
    }
    reconcile_now();
}

proto::CommandReply Ipvsd::drain(const std::string& virtual_server, const std::string& real_server,
                                 bool drained) {
    proto::CommandReply reply;
    const VirtualServerLookup lookup = find_virtual_server(config_, virtual_server);
    bool found = false;
    if (lookup.index)
        for (const RealServerConfig& real : config_.virtual_servers[*lookup.index].real_servers)
            found = found || real.label() == real_server;
    if (!found) {
        reply.set_ok(false);
        reply.set_message(lookup.index ? "ipvsd: no real server " + real_server + " in virtual server " +
                                             config_.virtual_servers[*lookup.index].label() +
                                             " (hactl ipvs lists them)"
                                       : "ipvsd: " + lookup.problem);
        return reply;
    }
    const std::string label = config_.virtual_servers[*lookup.index].label();
    const auto key = std::make_pair(label, real_server);
    // The weight ipvsd wants in the kernel for it, before and after.
    auto wanted_weight = [&] {
        for (const RealServerView& view : desired_.real_servers)
            if (desired_.virtual_servers[view.virtual_server].label == label && !view.sorry &&
                view.label() == real_server && view.desired_weight)
                return std::to_string(*view.desired_weight);
        return std::string("none (not in the kernel table)");
    };
    const std::string weight_before = wanted_weight();
    const bool changed = drained ? drains_.insert(key).second : drains_.erase(key) > 0;
    const std::uint64_t applied_before = counters_.operations_applied;
    if (changed) reconcile_now();
    reply.set_ok(true);
    const std::string what = real_server + " of " + label;
    if (!changed) {
        reply.set_message("ipvsd: " + what + (drained ? " was already drained" : " was not drained") +
                          ": nothing changed (weight " + wanted_weight() + ")");
        return reply;
    }
    const std::uint64_t operations = counters_.operations_applied - applied_before;
    const std::string kernel = kernel_ ? std::to_string(operations) + " kernel operation(s)"
                                       : "kernel update pending (IPVS unavailable)";
    reply.set_message("ipvsd: " + std::string(drained ? "drained " : "undrained ") + what + ": weight " +
                      weight_before + " -> " + wanted_weight() + ", " + kernel);
    reply.add_changes(what + " weight " + weight_before + " -> " + wanted_weight());
    reply.add_changes(kernel);
    return reply;
}

void Ipvsd::vrrp_state(const proto::VrrpEvent& event) {
    if (!config_.sync_daemon || event.instance() != config_.sync_daemon->instance) return;
    const bool master = event.state() == proto::VRRP_STATE_MASTER;
    sync_role_known_ = true;
    if (master == sync_master_) return;
    sync_master_ = master;
    HK_LOG_NOTICE("vrrp instance %s is %s: sync daemon becomes %s", event.instance().c_str(),
                  master ? "MASTER" : "not MASTER", master ? "master" : "backup");
    if (!kernel_) return;
    try {
        apply_setup(sync_daemon_operations(config_.sync_daemon, sync_master_, kernel_->dump_sync_daemons()));
    } catch (const KernelError& error) {
        HK_LOG_ERROR("IPVS: %s", error.what());
    }
}

void Ipvsd::fill_status(proto::StatusReply& reply) const {
    std::size_t real_servers = 0;
    for (const auto& server : config_.virtual_servers) real_servers += server.real_servers.size();
    auto& summary = *reply.mutable_config_summary();
    summary["virtual_servers"] = std::to_string(config_.virtual_servers.size());
    summary["real_servers"] = std::to_string(real_servers);
    auto& counters = *reply.mutable_counters();
    counters["checks_known"] = std::to_string(checks_.size());
    counters["kernel"] = kernel_ ? "ready" : "unavailable";
}

}  // namespace hakeep::ipvsd
