// The supervisor's view of every named check: its configuration, its
// rise/fall state (kept here, so a crashed worker loses nothing), its
// counters for hactl, and the probes that feed it. Identical checkers of
// different checks (same target, same options, same period) become one
// probe whose results feed them all: keepalived's #1495 and #2358, Seesaw's
// dedup(). Pure: no I/O, time passed in.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "checkd/config.h"
#include "checkd/health.h"

namespace hakeep::checkd {

struct Probe {
    std::uint32_t id = 0;
    // Its ProbeSpec without the id, serialized: the key under which the
    // table deduplicates probes, held there once for the probe's life (a
    // parsed ProbeSpec costs some 600 bytes of heap, its bytes under 100).
    // spec() parses them.
    const std::string* spec_bytes = nullptr;
    bool local = false;  // script worker (MISC_CHECK, vrrp_script, FILE_CHECK); its spec's user says whose
    // Runs at most once (a notify script): a worker that dies before its
    // result came does not get it again on restart; the pool reports it lost.
    bool once = false;
    std::vector<std::pair<std::size_t, std::size_t>> feeds;  // (check, checker)

    // The ProbeSpec a worker runs, id included.
    proto::ProbeSpec spec() const;
};

struct CheckRecord {
    std::string name;
    int script_weight = 0;
    std::size_t identity = 0;  // hash of what decides the check (reloads keep equal ones)
    CheckHealth health;
    std::vector<std::uint32_t> probes;  // per checker (hactl's type and target come from their specs)
    std::vector<bool> log_all_failures;  // per checker; empty: none logs
    std::uint64_t seq = 0;
    long long since_unix_ms = 0;        // last change of state
    std::uint64_t runs = 0;
    std::uint32_t latency_us = 0;
    std::uint64_t state_changes = 0;    // of the published state, for hactl metrics
};

class CheckTable {
public:
    // Adopts a configuration. A check keeps its state across the load when
    // its name, checkers, rise, fall and init_fail are unchanged; probes keep
    // their ids while their spec is unchanged. `default_account` is the
    // account of scripts that name none. Each check is freed once taken in,
    // so the table's small allocations reuse the configuration's (built the
    // other way round, 10,000 checks leave megabytes of half-used pages).
    void load(std::vector<CheckConfig> checks, const std::string& default_account);

    const std::map<std::uint32_t, Probe>& probes() const { return probes_; }
    const std::vector<CheckRecord>& checks() const { return checks_; }

    struct Change {
        std::size_t check;
        Health before;
    };
    struct Failure {
        std::size_t check;
        std::size_t checker;
    };
    // One result of a probe; returns the checks whose published state
    // (UP/DOWN, or weight) changed, each with its seq already advanced.
    // `failures` receives the failed runs of checkers with log_all_failures
    // that did not take their check DOWN (the fall to DOWN is logged anyway).
    std::vector<Change> record(const proto::ProbeResult& result, long long now_unix_ms,
                               std::vector<Failure>* failures = nullptr);

    // Checks still UNKNOWN are left out (DESIGN.md §2).
    proto::CheckSnapshot snapshot(std::uint64_t generation) const;
    proto::CheckEvent event(std::size_t check) const;
    // hactl's view, one page of it: the checks from index `first` in table
    // order while the reply stays under `budget` bytes (one check at least);
    // next_check says where the next page starts, 0 after the last. hactl
    // joins the pages and lists DOWN checks first, then UNKNOWN, then UP.
    void fill_reply(proto::ChecksReply& reply, std::size_t first, std::size_t budget) const;

    std::size_t known() const;  // checks UP or DOWN

private:
    std::vector<CheckRecord> checks_;
    std::map<std::uint32_t, Probe> probes_;
    // Probe::spec_bytes -> id, kept across loads; the bytes of every probe.
    std::map<std::string, std::uint32_t> probe_ids_;
    std::uint32_t next_probe_id_ = 1;
};

}  // namespace hakeep::checkd
