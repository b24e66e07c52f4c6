// checkd as a hakeep daemon: its configuration, the table of check states,
// the links to vrrpd and ipvsd (CheckSnapshot on every (re)connect and every
// 15 s, CheckEvent on every change) and hactl's `checks` view.
#pragma once

#include <deque>
#include <memory>

#include "checkd/check_table.h"
#include "checkd/config.h"
#include "checkd/lateness.h"
#include "checkd/launcher.h"
#include "checkd/notify.h"
#include "checkd/probe_engine.h"
#include "checkd/worker_pool.h"
#include "common/daemon.h"

namespace hakeep::checkd {

const sandbox::AllowList& checkd_syscalls();
const DaemonSpec& checkd_spec();

class Checkd final : public Daemon {
public:
    static constexpr Duration snapshot_interval = std::chrono::seconds(15);

    void load_config(const std::string& path) override;
    ipc::RoleAccountNames account_names() const override { return config_.global.accounts; }
    void open_privileged(DaemonContext& context) override;
    void start(DaemonContext& context) override;
    void config_reloaded(DaemonContext& context) override;
    void stop(DaemonContext& context) override;
    void fill_status(proto::StatusReply& reply) const override;

    // Every decided check's state, as sent on (re)connect (DESIGN.md §2):
    // one message per part, each under the datagram cap.
    std::vector<proto::Envelope> snapshot() const;
    const CheckTable& table() const { return table_; }

private:
    void apply_config();
    void load_notify_scripts();
    void on_vrrp_event(const proto::VrrpEvent& event);
    // Shares out the checks' probes plus the notify script running, if any.
    std::vector<std::uint32_t> assign_probes();
    void run_next_notify();
    void on_notify_lost(std::uint32_t id);
    void on_result(const proto::ProbeResult& result);
    void broadcast(const proto::Envelope& envelope);
    void schedule_snapshot();
    std::string script_account() const;

    CheckdConfig config_;  // its checks move into table_ once applied
    // Notify scripts (checkd/notify.h): read from vrrpd.conf, run one at a
    // time through the script worker as one-shot probes.
    VrrpNotifyConfig notify_;
    std::map<std::string, proto::VrrpState> notified_;  // notify_key -> last state run for
    std::deque<Command> notify_queue_;
    std::optional<std::uint32_t> notify_running_;  // probe id of the script running
    std::uint32_t notify_serial_ = 0;
    std::uint64_t notify_started_ = 0, notify_finished_ = 0, notify_lost_ = 0;
    CheckTable table_;
    std::size_t check_count_ = 0;
    std::size_t script_count_ = 0;
    std::string daemon_account_;
    std::uint64_t generation_ = 0;
    DaemonContext* context_ = nullptr;
    std::vector<ipc::PeerLink*> peers_;
    // Forked in open_privileged, handed to the pool in start().
    std::vector<std::pair<std::unique_ptr<Launcher>, bool>> launchers_;
    std::map<std::string, std::string> unavailable_accounts_;  // account -> why
    int config_workers_ = 1;
    std::unique_ptr<WorkerPool> pool_;
    // Local probes whose account has no launcher fail here, on their period.
    std::unique_ptr<ProbeEngine> unavailable_;
    std::uint64_t results_ = 0;
    LatenessHistogram lateness_;
};

}  // namespace hakeep::checkd
