// ipvsd as a hakeep daemon: keeps the kernel's IPVS table equal to the
// desired state (ipvsd.conf + check states + drains), writing only the
// difference, and only to services it declares. It takes check states from
// checkd's role and VRRP states from vrrpd's; nobody can ask it for an IPVS
// operation.
#pragma once

#include <functional>
#include <memory>
#include <set>

#include "common/check_states.h"
#include "common/daemon.h"
#include "ipvsd/config.h"
#include "ipvsd/desired.h"
#include "ipvsd/kernel.h"
#include "ipvsd/owned_services.h"

namespace hakeep::ipvsd {

const sandbox::AllowList& ipvsd_syscalls();
const DaemonSpec& ipvsd_spec();

struct IpvsdCounters {
    std::uint64_t operations_applied = 0;
    std::uint64_t operations_failed = 0;
    std::uint64_t check_events_refused = 0;
    std::uint64_t resyncs = 0;
    std::uint64_t refusals_logged = 0;  // distinct refusals written to the log
};

class Ipvsd final : public Daemon {
public:
    using KernelFactory = std::function<std::unique_ptr<Kernel>()>;
    static constexpr Duration kernel_retry = std::chrono::seconds(1);
    // A full dump now and then catches what someone else changed in our services.
    static constexpr Duration resync_interval = std::chrono::seconds(60);
    // Operations the kernel refused are retried this soon, the delay doubling
    // up to the resync interval while they keep being refused.
    static constexpr Duration refused_retry_first = std::chrono::seconds(1);

    // Tests pass a factory of FakeKernel; the daemon uses NetlinkKernel.
    explicit Ipvsd(KernelFactory kernel_factory = {});

    void load_config(const std::string& path) override;
    ipc::RoleAccountNames account_names() const override { return config_.global.accounts; }
    void open_privileged(DaemonContext& context) override;
    void start(DaemonContext& context) override;
    void config_reloaded(DaemonContext& context) override;
    void fill_status(proto::StatusReply& reply) const override;

    // The pieces the handlers use, public for the unit tests.
    void adopt_config(IpvsdConfig config);
    void attach(EventLoop& loop, ipc::PeerLink* vrrpd);
    // First dump and reconciliation, then the resync (or kernel retry) timer.
    // Until checkd's first snapshot (or config_.check_snapshot_wait), real
    // servers of unknown health keep the kernel's state: a restart while a
    // check is down must not put that real server back for a moment.
    void begin();
    // checkd's snapshot arrived: the wait is over.
    void snapshot_adopted();
    bool holding_unknown() const { return holding_unknown_; }
    void reconcile_now();
    proto::CommandReply drain(const std::string& virtual_server, const std::string& real_server,
                              bool drained);
    void vrrp_state(const proto::VrrpEvent& event);
    // One page of hactl ipvs, from virtual server `first` on.
    proto::IpvsReply ipvs_reply(std::uint32_t first = 0);
    CheckStates& checks() { return checks_; }
    const IpvsdCounters& counters() const { return counters_; }
    const DesiredState& desired() const { return desired_; }
    bool kernel_available() const { return kernel_ != nullptr; }

    // Creates the kernel interface; without IPVS, says so once and keeps none.
    void connect_kernel();
    // The list of owned services (owned_services.h): what it holds and no
    // longer declares is released (deleted by the next reconciliation);
    // every reconciliation that changes what ipvsd owns rewrites it.
    void use_owned_file(OwnedServicesFile file);

private:
    void record_owned();
    void resync();
    void dump_kernel_view();
    void schedule_resync(Duration after);
    void reconcile_soon();
    void lose_kernel(const KernelError& error);
    void refused(const std::vector<std::string>& failures);
    void accepted();
    void send_quorum_changes(const std::map<std::string, bool>& before);
    void apply_setup(const std::vector<Operation>& operations);
    std::set<ServiceKey> declared_keys() const;

    KernelFactory kernel_factory_;
    IpvsdConfig config_;
    std::set<std::string, std::less<>> tracked_checks_;  // every track_check of config_
    std::set<ServiceKey> released_;
    CheckStates checks_;
    Drains drains_;
    std::map<std::string, bool> quorum_;
    DesiredState desired_;
    std::unique_ptr<Kernel> kernel_;
    Table kernel_view_;
    Table counters_dump_;  // the dump behind the pages of one hactl ipvs listing  // the kernel as of the last dump, plus what we applied since
    std::string kernel_error_;
    bool sync_master_ = false;
    // Until vrrpd has told us (or the first dump has shown) the role, a sync
    // daemon already in the kernel keeps its role: a restarted ipvsd must not
    // demote the master's sync daemon.
    bool sync_role_known_ = false;
    bool holding_unknown_ = false;
    std::optional<EventLoop::TimerId> hold_timer_;
    // Refused operations: the next retry's delay (zero: none pending), and
    // the refusals already logged (each distinct one is logged once).
    Duration refused_backoff_ = Duration::zero();
    std::optional<EventLoop::TimerId> refused_timer_;
    std::set<std::string> refusals_logged_;
    EventLoop* loop_ = nullptr;
    ipc::PeerLink* vrrpd_ = nullptr;
    std::optional<EventLoop::TimerId> reconcile_timer_;
    std::optional<EventLoop::TimerId> retry_timer_;
    ipc::Server* server_ = nullptr;
    IpvsdCounters counters_;
    // The state file, and what it holds (nullopt: to be written, as after a
    // first start or a damaged file); the last failure to write it, said once.
    std::optional<OwnedServicesFile> owned_file_;
    std::optional<std::set<ServiceKey>> owned_recorded_;
    std::string owned_error_;
};

}  // namespace hakeep::ipvsd
