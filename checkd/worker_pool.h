// The supervisor's workers: one link (a SOCK_SEQPACKET socketpair, Envelope
// framing) to each; network probes shared out by id over the network
// workers, local probes to the script worker of their account. A worker that
// dies is started again with backoff (100 ms doubling to 5 s, back to 100 ms
// after 10 s of good health) and given its probes again; the checks keep
// their state in the supervisor meanwhile, so nothing flaps. A one-shot probe
// (Probe::once, a notify script) is not given again: the dead worker may have
// started it, so it is reported lost instead (at most once).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "checkd/check_table.h"
#include "checkd/launcher.h"
#include "common/event_loop.h"
#include "common/ipc_connection.h"

namespace hakeep::checkd {

class WorkerPool {
public:
    using ResultHandler = std::function<void(const proto::ProbeResult&)>;
    using LostHandler = std::function<void(std::uint32_t id)>;
    static constexpr Duration first_backoff = std::chrono::milliseconds(100);
    static constexpr Duration max_backoff = std::chrono::seconds(5);
    static constexpr Duration healthy_after = std::chrono::seconds(10);

    WorkerPool(EventLoop& loop, ResultHandler on_result, std::function<void()> on_launcher_lost);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // The launcher whose account is the daemon's own runs the network workers.
    void add_launcher(std::unique_ptr<Launcher> launcher, bool network);
    void set_network_workers(int count) { network_cap_ = count > 0 ? count : 1; }
    // Called, on a later turn, for each one-shot probe a dead worker held.
    void on_lost(LostHandler handler) { on_lost_ = std::move(handler); }

    // Shares out `probes` and `extra` (if any, with an id above theirs: the
    // notify script running); returns the ids of local probes whose account
    // has no launcher (unknown at start, or named first by a reload).
    std::vector<std::uint32_t> assign(const std::map<std::uint32_t, Probe>& probes, const Probe* extra = nullptr);

    std::uint32_t running() const;
    std::uint32_t restarts() const { return restarts_; }
    void stop();

private:
    struct Worker {
        WorkerKind kind;
        std::uint32_t index;
        Launcher* launcher;
        std::string name;
        std::unique_ptr<ipc::Connection> link;
        // Its share in id order, as the WorkerAssign parts that carry it
        // (first and last unset), serialized: some 50 bytes a probe, where
        // parsed ProbeSpecs would cost 600. Sent again after a restart.
        std::vector<std::string> assignment;
        std::set<std::string> tls_needed;  // TLS settings its SSL_GET probes use
        std::vector<std::uint32_t> ids;  // sorted: 4 bytes an id, not a tree node
        std::set<std::uint32_t> once;  // one-shot probes among ids
        TimePoint started{};
        Duration backoff = first_backoff;
        std::optional<EventLoop::TimerId> restart_timer;
        // TLS settings (verify, CA file) the worker loaded before its sandbox:
        // a reload that needs another one starts it afresh (not a crash).
        std::set<std::string> tls_loaded;
        bool recycling = false;
    };

    // Finds or makes (not yet started) a worker.
    Worker& worker(WorkerKind kind, std::uint32_t index, Launcher* launcher);
    void spawn(Worker& worker);
    void send_assignment(Worker& worker);
    void on_message(Worker& worker, const proto::Envelope& envelope);
    void on_closed(Worker& worker);
    void bury(ipc::Connection& link);
    void drop_one_shots(Worker& worker);

    EventLoop& loop_;
    ResultHandler on_result_;
    std::function<void()> on_launcher_lost_;
    LostHandler on_lost_;
    std::vector<std::unique_ptr<Launcher>> launchers_;
    Launcher* network_launcher_ = nullptr;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::unique_ptr<ipc::Connection>> closing_;  // freed on a later turn
    int network_cap_ = 1;
    std::uint32_t restarts_ = 0;
    bool stopping_ = false;
};

}  // namespace hakeep::checkd
