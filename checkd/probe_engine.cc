#include "checkd/probe_engine.h"

#include <chrono>

#include "checkd/datagram_checks.h"
#include "checkd/stream_attempt.h"

namespace hakeep::checkd {

ProbeEngine::ProbeEngine(EventLoop& loop, AttemptFactory factory, Report report, Duration tick)
    : loop_(loop),
      factory_(std::move(factory)),
      report_(std::move(report)),
      scheduler_(loop, [this](std::uint32_t id, Duration lateness) { start(id, lateness); }, tick) {}

ProbeEngine::~ProbeEngine() {
    for (auto& [id, probe] : probes_) stop(probe);
    if (reaper_) loop_.cancel(*reaper_);
}

void ProbeEngine::assign(const std::vector<proto::ProbeSpec>& probes) {
    std::unordered_map<std::uint32_t, Probe> next;
    std::vector<Scheduler::Entry> entries;
    for (const proto::ProbeSpec& spec : probes) {
        auto found = probes_.find(spec.id());
        // Compared serialized, on reassignment only: not kept serialized beside
        // the spec (80 bytes a probe for the worker's whole life).
        if (found != probes_.end() && found->second.spec.SerializeAsString() == spec.SerializeAsString()) {
            // Moved as a node: a running attempt holds a reference to its spec.
            next.insert(probes_.extract(found));
        } else {
            if (found != probes_.end()) {
                stop(found->second);
                scheduler_.finished(spec.id());
            }
            Probe probe;
            probe.spec = spec;
            next.emplace(spec.id(), std::move(probe));
        }
        entries.push_back(Scheduler::Entry{spec.id(), std::chrono::milliseconds(spec.interval_ms()),
                                           std::chrono::milliseconds(spec.spread_ms())});
    }
    for (auto& [id, probe] : probes_) stop(probe);  // dropped
    probes_ = std::move(next);
    scheduler_.assign(entries);
}

void ProbeEngine::stop(Probe& probe) {
    // Never called from an attempt's own callback: it can go at once, with
    // its descriptor and timers (a script's process group is killed).
    if (probe.retry_timer) loop_.cancel(*probe.retry_timer);
    probe.retry_timer.reset();
    probe.attempt.reset();
}

void ProbeEngine::retire(std::unique_ptr<Attempt> attempt) {
    retired_.push_back(std::move(attempt));
    if (!reaper_) reaper_ = loop_.schedule(Duration::zero(), [this] {
        reaper_.reset();
        retired_.clear();
    });
}

void ProbeEngine::start(std::uint32_t id, Duration lateness) {
    auto found = probes_.find(id);
    if (found == probes_.end()) return scheduler_.finished(id);
    found->second.attempts = 0;
    found->second.lateness = lateness;
    attempt(id);
}

void ProbeEngine::attempt(std::uint32_t id) {
    Probe& probe = probes_.at(id);
    probe.retry_timer.reset();
    ++probe.attempts;
    probe.attempt_started = loop_.now();
    probe.attempt = factory_(loop_, probe.spec.checker(),
                             [this, id](AttemptResult result) { attempt_done(id, std::move(result)); });
}

void ProbeEngine::attempt_done(std::uint32_t id, AttemptResult result) {
    auto found = probes_.find(id);
    if (found == probes_.end()) return;
    Probe& probe = found->second;
    retire(std::move(probe.attempt));
    if (!result.ok && probe.attempts <= probe.spec.checker().retry()) {
        probe.retry_timer = loop_.schedule(std::chrono::milliseconds(probe.spec.checker().delay_before_retry_ms()),
                                           [this, id] { attempt(id); });
        return;
    }
    proto::ProbeResult report;
    report.set_id(id);
    report.set_ok(result.ok);
    report.set_reason(result.reason);
    const auto micros = [](Duration d) {
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
        return static_cast<std::uint32_t>(std::clamp<long long>(us, 0, 0xffffffffLL));
    };
    report.set_latency_us(micros(loop_.now() - probe.attempt_started));
    report.set_lateness_us(micros(probe.lateness));
    if (result.weight) {
        report.set_has_weight(true);
        report.set_weight(*result.weight);
    }
    scheduler_.finished(id);
    report_(report);
}

bool is_network_checker(const std::string& type) {
    return type == "TCP_CHECK" || type == "HTTP_GET" || type == "SSL_GET" || type == "SMTP_CHECK" ||
           type == "DNS_CHECK" || type == "UDP_CHECK" || type == "PING_CHECK";
}

std::unique_ptr<Attempt> start_network_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) {
    const std::string& type = spec.type();
    if (type == "TCP_CHECK") return start_tcp_check(loop, spec, std::move(done));
    if (type == "HTTP_GET" || type == "SSL_GET") return start_http_check(loop, spec, std::move(done));
    if (type == "SMTP_CHECK") return start_smtp_check(loop, spec, std::move(done));
    if (type == "DNS_CHECK") return start_dns_check(loop, spec, std::move(done));
    if (type == "UDP_CHECK") return start_udp_check(loop, spec, std::move(done));
    if (type == "PING_CHECK") return start_ping_check(loop, spec, std::move(done));
    return nullptr;
}

}  // namespace hakeep::checkd
