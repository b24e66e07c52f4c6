// hactl checks: every check of checkd, as checkd sees it.
#include "hactl/checks.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common/clock.h"
#include "hactl/commands.h"
#include "hactl/json.h"
#include "hactl/pages.h"
#include "hactl/query.h"
#include "hactl/table.h"

namespace hakeep::hactl {
namespace {

void print_json(const proto::ChecksReply& reply) {
    JsonWriter json;
    json.begin_object();
    json.key("workers").value(static_cast<std::uint64_t>(reply.workers()));
    json.key("worker_restarts").value(static_cast<std::uint64_t>(reply.worker_restarts()));
    json.key("checks").begin_array();
    for (const proto::CheckDetail& check : reply.checks()) {
        json.begin_object()
            .key("name").value(check.name())
            .key("type").value(check.type())
            .key("target").value(check.target())
            .key("state").value(check.state())
            .key("last_change").value(static_cast<std::uint64_t>(check.since_unix_ms()))
            .key("consecutive_failures").value(static_cast<std::uint64_t>(check.consecutive_failures()))
            .key("last_error").value(check.last_reason())
            .key("latency").value(static_cast<double>(check.latency_us()) / 1000.0)
            .key("weight").value(static_cast<std::int64_t>(check.weight()))
            .key("runs").value(static_cast<std::uint64_t>(check.runs()))
            .end_object();
    }
    json.end_array().end_object();
    std::printf("%s\n", json.text().c_str());
}

void print_table(const proto::ChecksReply& reply) {
    const long long now = unix_time_ms();
    const bool colour = colour_on_stdout();
    Table table({"CHECK", "TYPE", "TARGET", "STATE", "SINCE", "FAILURES", "LATENCY", "LAST REASON"});
    for (const proto::CheckDetail& check : reply.checks()) {
        const long long since = static_cast<long long>(check.since_unix_ms());
        char latency[32];
        std::snprintf(latency, sizeof latency, "%.1fms", static_cast<double>(check.latency_us()) / 1000.0);
        table.add_row({check.name(), check.type(), check.target(), paint_state(check.state(), colour),
                       since > 0 && now >= since ? duration_text(static_cast<std::uint64_t>(now - since)) + " ago" : "-",
                       std::to_string(check.consecutive_failures()), check.runs() ? latency : "-",
                       check.last_reason().empty() ? "-" : check.last_reason()});
    }
    std::fputs(table.render().c_str(), stdout);
    if (reply.worker_restarts() > 0)
        std::printf("checkd restarted a crashed worker %u time(s)\n", reply.worker_restarts());
}

int state_rank(const std::string& state) {
    if (state == "DOWN") return 0;
    if (state == "UP") return 2;
    return 1;  // UNKNOWN
}

}  // namespace

void order_checks(proto::ChecksReply& reply) {
    std::vector<proto::CheckDetail> checks(std::make_move_iterator(reply.mutable_checks()->begin()),
                                           std::make_move_iterator(reply.mutable_checks()->end()));
    std::stable_sort(checks.begin(), checks.end(), [](const proto::CheckDetail& a, const proto::CheckDetail& b) {
        return state_rank(a.state()) < state_rank(b.state());
    });
    reply.clear_checks();
    for (proto::CheckDetail& check : checks) *reply.add_checks() = std::move(check);
}

int command_checks(const Options& options) {
    if (!options.args.empty()) {
        std::fprintf(stderr, "hactl: checks takes no arguments\n");
        return 2;
    }
    std::vector<Link> links = connect_all(options.socket_dir, {"checkd"});
    confine();
    // Many checks come in pages, each under the datagram cap; they are joined
    // into one reply before printing.
    proto::ChecksReply whole;
    std::string problem;
    if (!ask_checks(links.front(), whole, problem)) {
        std::fprintf(stderr, "hactl: %s\n", problem.c_str());
        return 1;
    }
    order_checks(whole);
    if (options.json) print_json(whole);
    else print_table(whole);
    return 0;
}

}  // namespace hakeep::hactl
