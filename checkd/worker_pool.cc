#include "checkd/worker_pool.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "checkd/stream.h"
#include "common/log.h"

namespace hakeep::checkd {
namespace {

constexpr std::size_t assignment_part_bytes = 48 * 1024;  // well under a datagram's 64 KiB

// A share as the serialized WorkerAssign parts that carry it, each well
// under a datagram; none for an empty share. Fed one probe at a time, so
// that no share is ever held parsed whole.
class Packer {
public:
    void add(const proto::ProbeSpec& probe) {
        const std::size_t size = probe.ByteSizeLong() + 8;  // with its tag and length
        if (part_.probes_size() > 0 && part_bytes_ + size > assignment_part_bytes) {
            parts_.push_back(part_.SerializeAsString());
            part_.Clear();
            part_bytes_ = 0;
        }
        *part_.add_probes() = probe;
        part_bytes_ += size;
    }
    std::vector<std::string> parts() {
        if (part_.probes_size() > 0) parts_.push_back(part_.SerializeAsString());
        part_.Clear();
        return std::move(parts_);
    }

private:
    std::vector<std::string> parts_;
    proto::WorkerAssign part_;
    std::size_t part_bytes_ = 0;
};

std::vector<proto::ProbeSpec> unpack(const std::vector<std::string>& parts) {
    std::vector<proto::ProbeSpec> probes;
    proto::WorkerAssign part;
    for (const std::string& bytes : parts) {
        part.ParseFromString(bytes);
        probes.insert(probes.end(), part.probes().begin(), part.probes().end());
    }
    return probes;
}

}  // namespace

WorkerPool::WorkerPool(EventLoop& loop, ResultHandler on_result, std::function<void()> on_launcher_lost)
    : loop_(loop), on_result_(std::move(on_result)), on_launcher_lost_(std::move(on_launcher_lost)) {}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::add_launcher(std::unique_ptr<Launcher> launcher, bool network) {
    Launcher* added = launcher.get();
    // A launcher says nothing; its link becoming readable means it is gone.
    loop_.watch(added->fd(), EPOLLIN | EPOLLRDHUP, [this, added](std::uint32_t) {
        loop_.unwatch(added->fd());
        int status = 0;
        waitpid(added->pid(), &status, WNOHANG);
        HK_LOG_ERROR("the launcher for account %s (pid %d) is gone: its workers cannot be restarted",
                     added->account().c_str(), static_cast<int>(added->pid()));
        if (!stopping_ && on_launcher_lost_) on_launcher_lost_();
    });
    if (network) network_launcher_ = added;
    launchers_.push_back(std::move(launcher));
}

WorkerPool::Worker& WorkerPool::worker(WorkerKind kind, std::uint32_t index, Launcher* launcher) {
    for (auto& existing : workers_)
        if (existing->kind == kind && existing->launcher == launcher && existing->index == index) return *existing;
    auto created = std::make_unique<Worker>();
    created->kind = kind;
    created->index = index;
    created->launcher = launcher;
    created->name = worker_name(kind, index, launcher->account());
    workers_.push_back(std::move(created));
    return *workers_.back();
}

void WorkerPool::spawn(Worker& worker) {
    worker.restart_timer.reset();
    closing_.clear();
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        HK_LOG_ERROR("worker %s: socketpair: %s", worker.name.c_str(), std::strerror(errno));
        return;
    }
    UniqueFd ours(pair[0]), theirs(pair[1]);
    if (!worker.launcher->launch(worker.kind, worker.index, std::move(theirs))) {
        HK_LOG_ERROR("worker %s: its launcher did not take the request", worker.name.c_str());
        return;
    }
    worker.started = loop_.now();
    worker.recycling = false;
    worker.tls_loaded = worker.tls_needed;
    worker.link = std::make_unique<ipc::Connection>(loop_, std::move(ours), ipc::PeerCredentials{}, 0,
                                                    "worker " + worker.name);
    Worker* self = &worker;
    worker.link->set_handlers(
        [this, self](ipc::Connection&, const proto::Envelope& envelope) { on_message(*self, envelope); },
        [self](ipc::Connection& link, const std::string& reason) {
            HK_LOG_ERROR("worker %s sent a malformed message (%s): restarting it", self->name.c_str(), reason.c_str());
            link.close();
        },
        [this, self](ipc::Connection&) { on_closed(*self); });
    send_assignment(worker);
}

void WorkerPool::send_assignment(Worker& worker) {
    if (!worker.link || !worker.link->open()) return;  // the next spawn sends it
    proto::Envelope envelope;
    proto::WorkerAssign& part = *envelope.mutable_worker_assign();
    for (std::size_t index = 0; index < worker.assignment.size(); ++index) {
        part.ParseFromString(worker.assignment[index]);
        part.set_first(index == 0);
        part.set_last(index + 1 == worker.assignment.size());
        worker.link->send(envelope);
    }
    if (worker.assignment.empty()) {  // an empty share is news too
        part.set_first(true);
        part.set_last(true);
        worker.link->send(envelope);
    }
}

void WorkerPool::on_message(Worker& worker, const proto::Envelope& envelope) {
    // A worker may send results of its own probes, and nothing else.
    if (!envelope.has_probe_results()) {
        HK_LOG_ERROR("worker %s sent an unexpected message: restarting it", worker.name.c_str());
        return worker.link->close();
    }
    for (const proto::ProbeResult& result : envelope.probe_results().results()) {
        if (!std::binary_search(worker.ids.begin(), worker.ids.end(), result.id())) {
            // Possible for a moment after a reassignment; never more than that.
            HK_LOG_DEBUG("worker %s: result of probe %u, not its own: ignored", worker.name.c_str(), result.id());
            continue;
        }
        on_result_(result);
    }
}

void WorkerPool::on_closed(Worker& worker) {
    if (worker.link) bury(*worker.link);
    if (stopping_) return;
    drop_one_shots(worker);
    if (worker.recycling) {
        HK_LOG_NOTICE("worker %s starts afresh: its TLS settings changed", worker.name.c_str());
        Worker* self = &worker;
        worker.restart_timer = loop_.schedule(Duration::zero(), [this, self] { spawn(*self); });
        return;
    }
    ++restarts_;
    if (loop_.now() - worker.started >= healthy_after) worker.backoff = first_backoff;
    HK_LOG_WARNING("worker %s went away; starting it again in %lld ms (its checks keep their state)",
                   worker.name.c_str(),
                   static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(worker.backoff).count()));
    Worker* self = &worker;
    worker.restart_timer = loop_.schedule(worker.backoff, [this, self] { spawn(*self); });
    worker.backoff = std::min(worker.backoff * 2, max_backoff);
}

void WorkerPool::drop_one_shots(Worker& worker) {
    if (worker.once.empty()) return;
    Packer kept;
    for (const proto::ProbeSpec& probe : unpack(worker.assignment))
        if (!worker.once.contains(probe.id())) kept.add(probe);
    worker.assignment = kept.parts();
    std::vector<std::uint32_t> lost(worker.once.begin(), worker.once.end());
    std::erase_if(worker.ids, [&](std::uint32_t id) { return worker.once.contains(id); });
    worker.once.clear();
    // Not from inside the connection's close(): the handler may assign again.
    loop_.schedule(Duration::zero(), [this, lost] {
        if (stopping_ || !on_lost_) return;
        for (std::uint32_t id : lost) on_lost_(id);
    });
}

void WorkerPool::bury(ipc::Connection&) {
    // Called from inside the connection's own close(): it is freed later.
    for (auto& worker : workers_)
        if (worker->link && !worker->link->open()) closing_.push_back(std::move(worker->link));
}

std::vector<std::uint32_t> WorkerPool::assign(const std::map<std::uint32_t, Probe>& probes, const Probe* extra) {
    std::vector<std::uint32_t> unplaced;
    std::vector<const Probe*> network;
    std::map<std::string, std::vector<const Probe*>> local;  // by account
    const auto sort_in = [&](const Probe& probe) {
        if (probe.local) local[probe.spec().checker().user()].push_back(&probe);
        else network.push_back(&probe);
    };
    for (const auto& [id, probe] : probes) sort_in(probe);
    if (extra) sort_in(*extra);
    std::map<Worker*, std::vector<const Probe*>> shares;
    for (auto& existing : workers_) shares[existing.get()];  // idle ones get an empty share
    if (!network.empty() && network_launcher_) {
        // Grow (never shrink) to the cap or one per probe, whichever is less.
        const auto wanted = static_cast<std::uint32_t>(std::min<std::size_t>(network.size(), network_cap_));
        std::vector<Worker*> pool;
        for (std::uint32_t index = 0; index < wanted; ++index)
            pool.push_back(&worker(WorkerKind::network, index, network_launcher_));
        for (auto& existing : workers_)
            if (existing->kind == WorkerKind::network && existing->index >= wanted) pool.push_back(existing.get());
        std::sort(pool.begin(), pool.end(), [](Worker* a, Worker* b) { return a->index < b->index; });
        for (const Probe* probe : network) shares[pool[probe->id % pool.size()]].push_back(probe);
    }
    for (const auto& [account, list] : local) {
        auto found = std::find_if(launchers_.begin(), launchers_.end(),
                                  [&](const auto& launcher) { return launcher->account() == account; });
        if (found == launchers_.end()) {
            for (const Probe* probe : list) unplaced.push_back(probe->id);
            continue;
        }
        Worker& script = worker(WorkerKind::script, 0, found->get());
        for (const Probe* probe : list) shares[&script].push_back(probe);
    }
    for (auto& [target, share] : shares) {
        std::vector<std::uint32_t> ids;
        ids.reserve(share.size());
        target->once.clear();
        Packer packer;
        std::set<std::string> needed;  // the TLS settings of its SSL_GET probes
        for (const Probe* probe : share) {
            ids.push_back(probe->id);  // in id order: the map's, then the extra
            if (probe->once) target->once.insert(probe->id);
            const proto::ProbeSpec spec = probe->spec();
            packer.add(spec);
            if (std::string key = tls_setting_key(spec.checker()); !key.empty()) needed.insert(std::move(key));
        }
        std::vector<std::string> assignment = packer.parts();
        const bool same = assignment == target->assignment;
        target->assignment = std::move(assignment);
        target->ids = std::move(ids);
        const bool started = target->link || target->restart_timer;
        target->tls_needed = needed;
        if (!started) {
            spawn(*target);  // its first assignment goes with it
        } else if (target->link && target->link->open() &&
                   !std::includes(target->tls_loaded.begin(), target->tls_loaded.end(), needed.begin(), needed.end())) {
            target->recycling = true;
            target->link->close();  // its launcher's child sees the end and exits
        } else if (!same) {
            send_assignment(*target);
        }
    }
    return unplaced;
}

std::uint32_t WorkerPool::running() const {
    return static_cast<std::uint32_t>(std::count_if(workers_.begin(), workers_.end(), [](const auto& worker) {
        return worker->link && worker->link->open();
    }));
}

void WorkerPool::stop() {
    if (stopping_) return;
    stopping_ = true;
    for (auto& worker : workers_) {
        if (worker->restart_timer) loop_.cancel(*worker->restart_timer);
        worker->link.reset();
    }
    for (auto& launcher : launchers_) loop_.unwatch(launcher->fd());
    launchers_.clear();  // each launcher sees its link close, kills its workers and exits
}

}  // namespace hakeep::checkd
