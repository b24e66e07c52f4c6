// A worker's engine: its probes on a Scheduler, each run made of attempts
// (retry, delay_before_retry) and ending in one ProbeResult. The checkers
// themselves come from an AttemptFactory: the network one in network
// workers, the script one in the script worker.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "checkd/attempt.h"
#include "checkd/scheduler.h"

namespace hakeep::checkd {

class ProbeEngine {
public:
    using Report = std::function<void(const proto::ProbeResult&)>;

    // `tick`: see Scheduler (workers coalesce wake-ups; tests keep exact times).
    ProbeEngine(EventLoop& loop, AttemptFactory factory, Report report, Duration tick = Duration::zero());
    ~ProbeEngine();
    ProbeEngine(const ProbeEngine&) = delete;
    ProbeEngine& operator=(const ProbeEngine&) = delete;

    // Replaces the set of probes: an unchanged probe keeps its timing (and a
    // run in progress); a changed or dropped one is stopped. Not to be called
    // from an attempt's callback.
    void assign(const std::vector<proto::ProbeSpec>& probes);
    std::size_t size() const { return probes_.size(); }
    std::uint64_t overruns() const { return scheduler_.overruns(); }

private:
    struct Probe {
        proto::ProbeSpec spec;
        std::unique_ptr<Attempt> attempt;
        std::optional<EventLoop::TimerId> retry_timer;
        unsigned attempts = 0;
        TimePoint attempt_started{};
        Duration lateness{};
    };

    void start(std::uint32_t id, Duration lateness);
    void attempt(std::uint32_t id);
    void attempt_done(std::uint32_t id, AttemptResult result);
    void stop(Probe& probe);
    void retire(std::unique_ptr<Attempt> attempt);

    EventLoop& loop_;
    AttemptFactory factory_;
    Report report_;
    std::unordered_map<std::uint32_t, Probe> probes_;
    Scheduler scheduler_;
    // Finished attempts are freed on a later turn of the loop, never inside
    // their own callback.
    std::vector<std::unique_ptr<Attempt>> retired_;
    std::optional<EventLoop::TimerId> reaper_;
};

// The network workers' factory: TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK,
// DNS_CHECK, UDP_CHECK, PING_CHECK.
std::unique_ptr<Attempt> start_network_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done);
bool is_network_checker(const std::string& type);

}  // namespace hakeep::checkd
