// hactl: the operator's tool. Parses the command line, sandboxes itself (no
// capabilities, no exec), asks the daemons, prints. See hactl(8).
#include <cstdio>
#include <map>
#include <string>

#include "common/log.h"
#include "hactl/commands.h"

int main(int argc, char** argv) {
    using namespace hakeep::hactl;
    auto parsed = parse_options(argc, argv);
    if (auto* exit = std::get_if<UsageExit>(&parsed)) {
        std::fputs(exit->output.c_str(), exit->status == 0 ? stdout : stderr);
        return exit->status;
    }
    const Options& options = std::get<Options>(parsed);
    static const std::map<std::string, int (*)(const Options&)> commands = {
        {"status", command_status},
        {"reload", command_reload},
        {"ipvs", command_ipvs},
        {"drain", command_drain},
        {"undrain", command_undrain},
        {"checks", command_checks},
        {"vrrp", command_vrrp},
        {"resign", command_resign},
        {"set-priority", command_set_priority},
        {"import-keepalived", command_import_keepalived},
        {"metrics", command_metrics},
        {"explain", command_explain},
    };
    auto command = commands.find(options.command);
    if (command == commands.end()) {
        std::fprintf(stderr, "hactl: unknown command '%s' (hactl --help lists them)\n",
                     options.command.c_str());
        return 2;
    }
    hakeep::log::init("hactl", false, false);
    return command->second(options);
}
