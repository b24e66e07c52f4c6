// The command line every daemon shares (DESIGN.md §4):
//   -f FILE  --socket-dir DIR  --user ACCOUNT  -t  -s  -v  --version  --seccomp-log
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace hakeep {

struct DaemonOptions {
    std::string config_file;               // default /etc/hakeep/NAME.conf
    std::string socket_dir = "/run/hakeep";
    std::optional<std::string> user;       // default: the daemon's own account
    bool check_only = false;               // -t
    bool use_syslog = false;               // -s
    bool verbose = false;                  // -v
    bool seccomp_log = false;              // --seccomp-log
};

struct CommandLineExit {
    int status;          // 0 for --help/--version, 2 for a usage error
    std::string output;  // what to print (stdout for 0, stderr for 2)
};

// Pure: argv in, options or what to print and the exit status out.
std::variant<DaemonOptions, CommandLineExit> parse_daemon_command_line(std::string_view daemon,
                                                                       int argc, char** argv);

}  // namespace hakeep
