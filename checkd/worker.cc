#include "checkd/worker.h"

#include <malloc.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_map>
#include <vector>

#include "checkd/local_checks.h"
#include "checkd/probe_engine.h"
#include "checkd/stream.h"
#include "common/ipc_codec.h"
#include "common/ipc_connection.h"
#include "common/log.h"

namespace hakeep::checkd {
namespace {

// Checks due within 2 ms of each other start on one wake-up (scheduler.h).
constexpr Duration scheduler_tick = std::chrono::milliseconds(2);
// How long a success that changes nothing may wait to travel with others.
constexpr Duration quiet_batch_delay = std::chrono::milliseconds(100);

// The worker's end of its link: whole assignments in, batched results out.
// The supervisor sends nothing else; anything else ends the worker.
class SupervisorLink {
public:
    using Assign = std::function<void(const std::vector<proto::ProbeSpec>&)>;

    SupervisorLink(EventLoop& loop, UniqueFd fd, std::string name, Assign assign)
        : loop_(loop), name_(std::move(name)), assign_(std::move(assign)),
          connection_(loop, std::move(fd), ipc::PeerCredentials{}, 0, "supervisor") {
        connection_.set_handlers(
            [this](ipc::Connection&, const proto::Envelope& envelope) { on_message(envelope); },
            [this](ipc::Connection&, const std::string& reason) {
                HK_LOG_ERROR("worker %s: malformed message from the supervisor (%s)", name_.c_str(), reason.c_str());
                loop_.stop();
            },
            [this](ipc::Connection&) { loop_.stop(); });  // the supervisor is gone
    }

    void report(const proto::ProbeResult& result) {
        *batch_.mutable_probe_results()->add_results() = result;
        // A failure or a change of outcome is news: it leaves with this turn of
        // the loop. A success like the one before only feeds counters and
        // latency, so it waits up to quiet_batch_delay for company: one
        // datagram (and one wake-up of the supervisor) for many checks.
        const auto [last, first_seen] = last_ok_.try_emplace(result.id(), result.ok());
        const bool news = !result.ok() || first_seen || last->second != result.ok();
        last->second = result.ok();
        if (batch_.probe_results().results_size() >= 500) return flush();
        if (news && !news_pending_) {
            news_pending_ = true;
            if (flush_timer_) loop_.cancel(*flush_timer_);
            flush_timer_.reset();
        }
        if (!flush_timer_) flush_timer_ = loop_.schedule(news_pending_ ? Duration::zero() : quiet_batch_delay, [this] {
            flush_timer_.reset();
            flush();
        });
    }

    // Parts received before the link is watched (the first assignment).
    bool take(const proto::Envelope& envelope) { return on_message(envelope); }

private:
    bool on_message(const proto::Envelope& envelope) {
        if (!envelope.has_worker_assign()) {
            HK_LOG_ERROR("worker %s: unexpected message from the supervisor", name_.c_str());
            loop_.stop();
            return false;
        }
        const proto::WorkerAssign& part = envelope.worker_assign();
        if (part.first()) pending_.clear();
        pending_.insert(pending_.end(), part.probes().begin(), part.probes().end());
        if (!part.last()) return false;
        assign_(pending_);
        pending_ = std::vector<proto::ProbeSpec>();  // its capacity too (`= {}` keeps it)
        last_ok_.clear();  // ids of dropped probes go; a first result is news anyway
        malloc_trim(0);  // the assignment's parts are gone
        return true;
    }

    void flush() {
        if (flush_timer_) loop_.cancel(*flush_timer_);
        flush_timer_.reset();
        news_pending_ = false;
        if (batch_.probe_results().results_size() == 0) return;
        connection_.send(batch_);
        batch_.Clear();
    }

    EventLoop& loop_;
    std::string name_;
    Assign assign_;
    ipc::Connection connection_;
    std::vector<proto::ProbeSpec> pending_;
    proto::Envelope batch_;
    std::optional<EventLoop::TimerId> flush_timer_;
    bool news_pending_ = false;
    std::unordered_map<std::uint32_t, bool> last_ok_;  // by probe id: the last outcome sent
};

// Blocking, before the sandbox: the first whole assignment, so that the CA
// files its SSL_GET checkers name can still be read.
std::vector<proto::Envelope> read_first_assignment(int fd) {
    std::vector<proto::Envelope> parts;
    std::string buffer(ipc::max_message_size + 1, '\0');
    for (;;) {
        const ssize_t size = recv(fd, buffer.data(), buffer.size(), MSG_TRUNC);
        if (size < 0 && errno == EINTR) continue;
        if (size <= 0) _exit(0);  // the supervisor is gone
        const auto datagram = static_cast<std::size_t>(size);
        ipc::Decoded decoded = ipc::decode(std::string_view(buffer.data(), std::min(datagram, buffer.size())), datagram);
        if (!decoded.envelope || !decoded.envelope->has_worker_assign()) {
            HK_LOG_ERROR("worker: malformed first assignment from the supervisor");
            _exit(1);
        }
        parts.push_back(std::move(*decoded.envelope));
        if (parts.back().worker_assign().last()) return parts;
    }
}

// `loop` is made before the sandbox: epoll and timerfd are not in the list.
[[noreturn]] void run(EventLoop& loop, const std::string& name, AttemptFactory factory,
                      std::vector<proto::Envelope> first_parts) {
    try {
        std::unique_ptr<ProbeEngine> engine;
        SupervisorLink link(loop, UniqueFd(child_link_fd), name,
                            [&](const std::vector<proto::ProbeSpec>& probes) { engine->assign(probes); });
        engine = std::make_unique<ProbeEngine>(
            loop, std::move(factory), [&](const proto::ProbeResult& result) { link.report(result); },
            scheduler_tick);
        for (const proto::Envelope& part : first_parts) link.take(part);
        // Taken in: no second parsed copy of every probe for the worker's life.
        first_parts = std::vector<proto::Envelope>();
        malloc_trim(0);
        HK_LOG_DEBUG("worker %s running, %zu probes", name.c_str(), engine->size());
        loop.run();
    } catch (const std::exception& error) {
        HK_LOG_ERROR("worker %s: %s", name.c_str(), error.what());
        _exit(1);
    }
    _exit(0);
}

}  // namespace

void run_network_worker(std::uint32_t index, const LaunchSettings& settings) {
    const std::string name = worker_name(WorkerKind::network, index, settings.account.name);
    std::vector<proto::Envelope> first = read_first_assignment(child_link_fd);
    std::vector<const proto::CheckerSpec*> specs;
    for (const proto::Envelope& part : first)
        for (const proto::ProbeSpec& probe : part.worker_assign().probes()) specs.push_back(&probe.checker());
    prepare_tls(specs);
    seal_tls();
    SystemClock clock;
    EventLoop loop(clock);
    sandbox::Policy policy;  // already its account: no switch
    policy.syscalls = network_worker_syscalls();
    policy.seccomp_log = settings.seccomp_log;
    try {
        sandbox::enter(policy);
    } catch (const std::exception& error) {
        HK_LOG_ERROR("worker %s: %s", name.c_str(), error.what());
        _exit(1);
    }
    run(loop, name, start_network_check, std::move(first));
}

void run_script_worker(const LaunchSettings& settings) {
    // The launcher's deny-list is this process's filter, and its scripts'.
    SystemClock clock;
    EventLoop loop(clock);
    run(loop, worker_name(WorkerKind::script, 0, settings.account.name), start_local_check, {});
}

}  // namespace hakeep::checkd
