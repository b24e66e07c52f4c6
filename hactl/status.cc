// hactl status: is each daemon there, since when, as whom, with what config,
// and its run-time counters.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "hactl/commands.h"
#include "hactl/json.h"
#include "hactl/query.h"
#include "hactl/table.h"

namespace hakeep::hactl {
namespace {

std::string peer_name(proto::Daemon daemon) {
    switch (daemon) {
    case proto::DAEMON_VRRPD: return "vrrpd";
    case proto::DAEMON_IPVSD: return "ipvsd";
    case proto::DAEMON_CHECKD: return "checkd";
    default: return "unknown";
    }
}

struct DaemonStatus {
    std::string name;
    Answer answer;
};

using StatusMap = google::protobuf::Map<std::string, std::string>;

// Protobuf maps have no order: sorted by key, the same every time.
std::map<std::string, std::string> sorted(const StatusMap& map) { return {map.begin(), map.end()}; }

void json_object(JsonWriter& json, const char* key, const StatusMap& map) {
    json.key(key).begin_object();
    for (const auto& [name, value] : sorted(map)) json.key(name).value(value);
    json.end_object();
}

// "instances=2 sync_groups=0"
std::string key_values(const StatusMap& map) {
    std::string text;
    for (const auto& [key, value] : sorted(map)) text += (text.empty() ? "" : " ") + key + "=" + value;
    return text;
}

void print_json(const std::vector<DaemonStatus>& statuses) {
    JsonWriter json;
    json.begin_object().key("daemons").begin_array();
    for (const DaemonStatus& status : statuses) {
        json.begin_object().key("name").value(status.name);
        json.key("reachable").value(status.answer.reply.has_value());
        if (!status.answer.reply) {
            json.key("error").value(status.answer.problem).end_object();
            continue;
        }
        const proto::StatusReply& reply = status.answer.reply->status_reply();
        json.key("pid").value(static_cast<std::uint64_t>(reply.pid()));
        json.key("version").value(reply.version());
        json.key("uptime").value(static_cast<double>(reply.uptime_ms()) / 1000.0);
        json.key("user").value(reply.user());
        json.key("config_file").value(reply.config_file());
        json_object(json, "config_summary", reply.config_summary());
        json_object(json, "counters", reply.counters());
        json.key("peers").begin_array();
        for (const proto::PeerStatus& peer : reply.peers())
            json.begin_object()
                .key("name").value(peer_name(peer.peer()))
                .key("connected").value(peer.connected())
                .end_object();
        json.end_array().end_object();
    }
    json.end_array().end_object();
    std::printf("%s\n", json.text().c_str());
}

void print_table(const std::vector<DaemonStatus>& statuses) {
    const bool colour = colour_on_stdout();
    Table table({"DAEMON", "STATE", "PID", "VERSION", "UPTIME", "USER", "CONFIGURATION", "COUNTERS"});
    std::vector<std::string> problems;
    for (const DaemonStatus& status : statuses) {
        if (!status.answer.reply) {
            table.add_row({status.name, paint_state("DOWN", colour), "-", "-", "-", "-", "-", "-"});
            problems.push_back(status.answer.problem);
            continue;
        }
        const proto::StatusReply& reply = status.answer.reply->status_reply();
        table.add_row({status.name, paint_state("UP", colour), std::to_string(reply.pid()), reply.version(),
                       duration_text(reply.uptime_ms()), reply.user(), key_values(reply.config_summary()),
                       key_values(reply.counters())});
    }
    std::fputs(table.render().c_str(), stdout);
    for (const std::string& problem : problems) std::fprintf(stderr, "hactl: %s\n", problem.c_str());
}

}  // namespace

int command_status(const Options& options) {
    if (!options.args.empty()) {
        std::fprintf(stderr, "hactl: status takes no arguments (options go before the command)\n");
        return 2;
    }
    proto::Envelope request;
    request.mutable_status_request();
    std::vector<Link> links = connect_all(options.socket_dir, {std::begin(daemon_names), std::end(daemon_names)});
    confine();
    std::vector<DaemonStatus> statuses;
    bool all_reachable = true;
    for (const Link& link : links) {
        const std::string& daemon = link.daemon;
        statuses.push_back(DaemonStatus{daemon, ask(link, request)});
        if (!statuses.back().answer.reply || !statuses.back().answer.reply->has_status_reply()) {
            all_reachable = false;
            if (statuses.back().answer.reply) {
                statuses.back().answer.problem = daemon + ": unexpected reply";
                statuses.back().answer.reply.reset();
            }
        }
    }
    if (options.json) print_json(statuses);
    else print_table(statuses);
    return all_reachable ? 0 : 1;
}

}  // namespace hakeep::hactl
