// hactl's command line: hactl [--socket-dir DIR] [--json] COMMAND [ARGS]
#pragma once

#include <string>
#include <variant>
#include <vector>

namespace hakeep::hactl {

struct Options {
    std::string socket_dir = "/run/hakeep";
    bool json = false;
    std::string command;
    std::vector<std::string> args;
};

struct UsageExit {
    int status;  // 0 for --help/--version, 2 for a usage error
    std::string output;
};

std::variant<Options, UsageExit> parse_options(int argc, char** argv);

}  // namespace hakeep::hactl
