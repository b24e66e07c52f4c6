// hactl status: is each daemon there, since when, as whom, with what config.
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

std::string uptime_text(std::uint64_t milliseconds) {
    std::uint64_t seconds = milliseconds / 1000;
    char text[64];
    if (seconds >= 86400)
        std::snprintf(text, sizeof text, "%llud%02lluh", static_cast<unsigned long long>(seconds / 86400),
                      static_cast<unsigned long long>(seconds % 86400 / 3600));
    else if (seconds >= 3600)
        std::snprintf(text, sizeof text, "%lluh%02llum", static_cast<unsigned long long>(seconds / 3600),
                      static_cast<unsigned long long>(seconds % 3600 / 60));
    else
        std::snprintf(text, sizeof text, "%llum%02llus", static_cast<unsigned long long>(seconds / 60),
                      static_cast<unsigned long long>(seconds % 60));
    return text;
}

struct DaemonStatus {
    std::string name;
    Answer answer;
};

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
        json.key("config_summary").begin_object();
        const std::map<std::string, std::string> sorted(reply.config_summary().begin(),
                                                        reply.config_summary().end());
        for (const auto& [key, value] : sorted) json.key(key).value(value);
        json.end_object();
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
    Table table({"DAEMON", "STATE", "PID", "VERSION", "UPTIME", "USER", "CONFIGURATION"});
    std::vector<std::string> problems;
    for (const DaemonStatus& status : statuses) {
        if (!status.answer.reply) {
            table.add_row({status.name, "DOWN", "-", "-", "-", "-", "-"});
            problems.push_back(status.answer.problem);
            continue;
        }
        const proto::StatusReply& reply = status.answer.reply->status_reply();
        const std::map<std::string, std::string> sorted(reply.config_summary().begin(),
                                                        reply.config_summary().end());
        std::string summary;
        for (const auto& [key, value] : sorted) summary += (summary.empty() ? "" : " ") + key + "=" + value;
        table.add_row({status.name, "UP", std::to_string(reply.pid()), reply.version(),
                       uptime_text(reply.uptime_ms()), reply.user(), summary});
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

int command_reload(const Options& options) {
    std::vector<std::string> targets(options.args.begin(), options.args.end());
    if (targets.empty()) targets.assign(std::begin(daemon_names), std::end(daemon_names));
    proto::Envelope request;
    request.mutable_reload();
    for (const std::string& daemon : targets)
        if (std::find(std::begin(daemon_names), std::end(daemon_names), daemon) == std::end(daemon_names)) {
            std::fprintf(stderr, "hactl: reload: unknown daemon '%s' (vrrpd, ipvsd or checkd)\n", daemon.c_str());
            return 2;
        }
    std::vector<Link> links = connect_all(options.socket_dir, targets);
    confine();
    int status = 0;
    JsonWriter json;
    json.begin_object().key("reload").begin_array();
    for (const Link& link : links) {
        const std::string& daemon = link.daemon;
        Answer answer = ask(link, request);
        const bool ok = answer.reply && answer.reply->has_command_reply() &&
                        answer.reply->command_reply().ok();
        const std::string message = !answer.reply ? answer.problem
                                    : answer.reply->has_command_reply()
                                        ? answer.reply->command_reply().message()
                                        : daemon + ": unexpected reply";
        if (!ok) status = 1;
        json.begin_object().key("name").value(daemon).key("ok").value(ok).key("message").value(message).end_object();
        if (!options.json) std::fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "hactl: ", message.c_str());
    }
    json.end_array().end_object();
    if (options.json) std::printf("%s\n", json.text().c_str());
    return status;
}

}  // namespace hakeep::hactl
