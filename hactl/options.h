// hactl's command line: hactl [--socket-dir DIR] [--json] COMMAND [ARGS]
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

// A command's number (set-priority's VALUE): decimal digits only, no sign,
// blank or suffix, at most 2^32 - 1. The daemon judges the range.
std::optional<std::uint32_t> parse_count(std::string_view text);

}  // namespace hakeep::hactl
