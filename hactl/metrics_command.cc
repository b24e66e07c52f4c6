// hactl metrics [--openmetrics] [DAEMON...]: asks each daemon for its status
// and its view, prints them as metrics (hactl/metrics.cc) for node_exporter's
// textfile collector.
//
// Exit status: unlike the other commands, a daemon that does not answer is
// not a failure here. It is printed as hakeep_daemon_up 0, which is exactly
// what the collector must see: a cron job runs
// `hactl metrics > F.$$ && mv F.$$ F`, and an exit status of 1 would keep
// the previous file, which still says the daemon is up. 1 means the text
// could not be written whole (or hactl could not confine itself).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/clock.h"
#include "hactl/commands.h"
#include "hactl/metrics.h"
#include "hactl/pages.h"
#include "hactl/query.h"

namespace hakeep::hactl {
namespace {

// The daemon's view: vrrpd's instances, ipvsd's table, checkd's checks.
bool ask_view(const Link& link, DaemonMetrics& daemon, std::string& problem) {
    if (daemon.name == "ipvsd") return ask_ipvs(link, daemon.ipvs.emplace(), problem);
    if (daemon.name == "checkd") return ask_checks(link, daemon.checks.emplace(), problem);
    proto::Envelope request;
    request.mutable_vrrp_request();
    Answer answer = ask(link, request);
    if (!answer.reply || !answer.reply->has_vrrp_reply()) {
        problem = answer.reply ? "vrrpd: unexpected reply" : answer.problem;
        return false;
    }
    daemon.vrrp = std::move(*answer.reply->mutable_vrrp_reply());
    return true;
}

DaemonMetrics ask_daemon(const Link& link) {
    DaemonMetrics daemon{link.daemon, {}, {}, {}, {}};
    proto::Envelope request;
    request.mutable_status_request();
    Answer answer = ask(link, request);
    std::string problem;
    if (!answer.reply || !answer.reply->has_status_reply()) {
        problem = answer.reply ? link.daemon + ": unexpected reply" : answer.problem;
    } else if (ask_view(link, daemon, problem)) {
        daemon.status = std::move(*answer.reply->mutable_status_reply());
        return daemon;
    }
    std::fprintf(stderr, "hactl: %s\n", problem.c_str());
    return DaemonMetrics{link.daemon, {}, {}, {}, {}};  // down: nothing but hakeep_daemon_up 0
}

}  // namespace

int command_metrics(const Options& options) {
    if (options.json) {
        std::fprintf(stderr, "hactl: metrics prints OpenMetrics text; --json does not apply\n");
        return 2;
    }
    MetricsFlavour flavour = MetricsFlavour::prometheus;
    std::vector<std::string> wanted;
    for (const std::string& arg : options.args) {
        if (arg == "--openmetrics") {
            flavour = MetricsFlavour::openmetrics;
        } else if (std::find(std::begin(daemon_names), std::end(daemon_names), arg) != std::end(daemon_names)) {
            wanted.push_back(arg);
        } else {
            std::fprintf(stderr, "hactl: usage: hactl metrics [--openmetrics] [vrrpd|ipvsd|checkd ...]\n");
            return 2;
        }
    }
    // Always in the same order, each once, whatever the order of the arguments.
    std::vector<std::string> daemons;
    for (const char* name : daemon_names)
        if (wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end()) daemons.emplace_back(name);
    std::vector<Link> links = connect_all(options.socket_dir, daemons);
    confine();
    MetricsInput input;
    for (const Link& link : links) input.daemons.push_back(ask_daemon(link));
    input.now_unix_ms = unix_time_ms();
    const std::string text = format_metrics(input, flavour);
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
        std::fprintf(stderr, "hactl: metrics: cannot write the output: %s\n", std::strerror(errno));
        return 1;
    }
    return 0;
}

}  // namespace hakeep::hactl
