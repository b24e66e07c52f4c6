#include "common/command_line.h"

#include <string>
#include <vector>

namespace hakeep {
namespace {

std::string usage(std::string_view daemon) {
    const std::string name(daemon);
    return "usage: " + name +
           " [-t] [-s] [-v] [-f FILE] [--socket-dir DIR] [--user ACCOUNT] [--seccomp-log]\n"
           "       " + name + " --version\n"
           "  -f, --config-file FILE  configuration (default /etc/hakeep/" + name + ".conf)\n"
           "  --socket-dir DIR        control sockets (default /run/hakeep)\n"
           "  --user ACCOUNT          account to run as (see " + name + "(8))\n"
           "  -t, --test              check the configuration and exit (0 good, 2 bad)\n"
           "  -s, --syslog            log to syslog instead of stderr\n"
           "  -v, --verbose           log debug messages too\n"
           "  --seccomp-log           log forbidden syscalls instead of killing (diagnosis)\n";
}

}  // namespace

// Hand-rolled rather than getopt_long: pure, re-entrant and testable.
std::variant<DaemonOptions, CommandLineExit> parse_daemon_command_line(std::string_view daemon,
                                                                       int argc, char** argv) {
    DaemonOptions options;
    options.config_file = "/etc/hakeep/" + std::string(daemon) + ".conf";
    const std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    auto bad = [&](const std::string& message) {
        return CommandLineExit{2, std::string(daemon) + ": " + message + "\n" + usage(daemon)};
    };
    for (std::size_t index = 0; index < args.size(); ++index) {
        std::string_view arg = args[index];
        std::optional<std::string> inline_value;
        if (arg.starts_with("--") && arg.find('=') != std::string_view::npos) {
            inline_value = std::string(arg.substr(arg.find('=') + 1));
            arg = arg.substr(0, arg.find('='));
        }
        auto value = [&](std::string& into) -> bool {
            if (inline_value) {
                into = *inline_value;
                return true;
            }
            if (index + 1 >= args.size()) return false;
            into = std::string(args[++index]);
            return true;
        };
        auto flag_takes_no_value = [&] { return !inline_value.has_value(); };
        if (arg == "-f" || arg == "--config-file") {
            if (!value(options.config_file)) return bad(std::string(arg) + " needs a file");
        } else if (arg == "--socket-dir") {
            if (!value(options.socket_dir)) return bad("--socket-dir needs a directory");
        } else if (arg == "--user") {
            std::string user;
            if (!value(user) || user.empty()) return bad("--user needs an account");
            options.user = user;
        } else if ((arg == "-t" || arg == "--test") && flag_takes_no_value()) {
            options.check_only = true;
        } else if ((arg == "-s" || arg == "--syslog") && flag_takes_no_value()) {
            options.use_syslog = true;
        } else if ((arg == "-v" || arg == "--verbose") && flag_takes_no_value()) {
            options.verbose = true;
        } else if (arg == "--seccomp-log" && flag_takes_no_value()) {
            options.seccomp_log = true;
        } else if (arg == "--version" && flag_takes_no_value()) {
            return CommandLineExit{0, std::string(daemon) + " (hakeep) " HAKEEP_VERSION "\n"};
        } else if ((arg == "-h" || arg == "--help") && flag_takes_no_value()) {
            return CommandLineExit{0, usage(daemon)};
        } else {
            return bad("unknown option '" + std::string(args[index]) + "'");
        }
    }
    return options;
}

}  // namespace hakeep
