#include "hactl/options.h"

#include <charconv>
#include <string_view>

namespace hakeep::hactl {
namespace {

const char* const usage_text =
    "usage: hactl [--socket-dir DIR] [--json] COMMAND [ARGS]\n"
    "commands:\n"
    "  status            each daemon: reachable, pid, version, uptime, configuration\n"
    "  reload [DAEMON]   reload vrrpd, ipvsd, checkd (default: all three)\n"
    "  ipvs              virtual and real servers: weights, health, quorum, counters\n"
    "  drain VS RS       weight 0 for real server RS of virtual server VS\n"
    "  undrain VS RS     its weight back\n"
    "  checks            every check: state, since, failures, last reason, latency\n"
    "  vrrp              VRRP instances: state, priorities, master, VIPs, counters, drops\n"
    "  resign INSTANCE   a MASTER instance sends priority 0 and becomes BACKUP\n"
    "  set-priority INSTANCE VALUE\n"
    "                    its priority (1..254) until vrrpd restarts; trackers still apply\n"
    "  import-keepalived FILE --out DIR   vrrpd.conf, ipvsd.conf, checkd.conf from keepalived.conf\n"
    "  metrics [--openmetrics] [DAEMON]\n"
    "                    metrics for node_exporter's textfile collector (hactl(8) METRICS)\n"
    "  explain INSTANCE  why a VRRP instance is in its state: priorities, trackers, master\n"
    "options:\n"
    "  --socket-dir DIR  the daemons' sockets (default /run/hakeep)\n"
    "  --json            one JSON object instead of a table\n"
    "exit status: 0 ok, 1 a daemon unreachable or refused, 2 usage error\n";

}  // namespace

std::variant<Options, UsageExit> parse_options(int argc, char** argv) {
    Options options;
    auto bad = [](const std::string& message) {
        return UsageExit{2, "hactl: " + message + "\n" + usage_text};
    };
    for (int index = 1; index < argc; ++index) {
        const std::string_view arg = argv[index];
        if (!options.command.empty()) {
            options.args.emplace_back(arg);
        } else if (arg == "--json") {
            options.json = true;
        } else if (arg == "--socket-dir") {
            if (index + 1 >= argc) return bad("--socket-dir needs a directory");
            options.socket_dir = argv[++index];
        } else if (arg.starts_with("--socket-dir=")) {
            options.socket_dir = std::string(arg.substr(13));
        } else if (arg == "-h" || arg == "--help") {
            return UsageExit{0, usage_text};
        } else if (arg == "--version") {
            return UsageExit{0, "hactl (hakeep) " HAKEEP_VERSION "\n"};
        } else if (arg.starts_with("-")) {
            return bad("unknown option '" + std::string(arg) + "'");
        } else {
            options.command = std::string(arg);
        }
    }
    if (options.command.empty()) return bad("no command");
    return options;
}

std::optional<std::uint32_t> parse_count(std::string_view text) {
    std::uint32_t value = 0;
    const char* end = text.data() + text.size();
    if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;  // no sign, no blank
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || stop != end) return std::nullopt;
    return value;
}

}  // namespace hakeep::hactl
