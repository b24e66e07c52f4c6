#include "ipvsd/config.h"

#include <arpa/inet.h>

#include <set>

namespace hakeep::ipvsd {
namespace {

using config::BlockKind;
using config::ConfigError;
using config::ConfigNode;
using config::KeywordSpec;

KeywordSpec single() { return KeywordSpec{1, 1, BlockKind::none, nullptr, false}; }
KeywordSpec flag() { return KeywordSpec{0, 0, BlockKind::none, nullptr, false}; }

const config::Schema& real_server_schema() {
    static const config::Schema schema{{
        {"weight", single()},
        {"track_check", KeywordSpec{1, 1}},
        {"inhibit_on_failure", flag()},
        {"uthreshold", single()},
        {"lthreshold", single()},
        {"lvs_method", single()},
        {"lb_kind", single()},
    }};
    return schema;
}

const config::Schema& virtual_server_schema() {
    static const config::Schema schema{{
        {"lb_algo", single()},
        {"lvs_sched", single()},
        {"lb_kind", single()},
        {"lvs_method", single()},
        {"protocol", single()},
        {"persistence_timeout", single()},
        {"persistence_granularity", single()},
        {"quorum", single()},
        {"hysteresis", single()},
        {"alpha", flag()},
        {"ha_suspend", flag()},
        {"inhibit_on_failure", flag()},
        {"sorry_server", KeywordSpec{2, 2, BlockKind::none, nullptr, false}},
        {"delay_loop", single()},
        {"real_server", KeywordSpec{2, 2, BlockKind::optional, &real_server_schema()}},
    }};
    return schema;
}

void check_address(const ConfigNode& node, std::size_t index) {
    const std::string text = node.string_arg(index);
    unsigned char buffer[16];
    if (inet_pton(AF_INET, text.c_str(), buffer) != 1 &&
        inet_pton(AF_INET6, text.c_str(), buffer) != 1)
        throw ConfigError(node.arg(index).where, "'" + text + "' is not an IPv4 or IPv6 address");
}

const std::vector<std::string> schedulers = {"rr",  "wrr", "lc", "wlc", "lblc", "lblcr", "dh",
                                             "sh",  "sed", "nq", "fo",  "ovf",  "mh"};

VirtualServerConfig read_virtual_server(const ConfigNode& block) {
    VirtualServerConfig server;
    server.where = block.where();
    if (block.args.size() == 2 && block.args[0].text == "fwmark") {
        server.fwmark = static_cast<std::uint32_t>(block.int_arg(1, 1, 0xffffffffLL));
    } else if (block.args.size() == 2 && block.args[0].text == "group") {
        server.group = block.string_arg(1);
    } else {
        check_address(block, 0);
        server.address = block.string_arg(0);
        server.port = static_cast<int>(block.int_arg(1, 0, 65535));
    }
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "lb_algo" || key == "lvs_sched") server.scheduler = node.choice_arg(0, schedulers);
        else if (key == "lb_kind" || key == "lvs_method")
            server.forwarding = node.choice_arg(0, {"NAT", "DR", "TUN"});
        else if (key == "protocol") server.protocol = node.choice_arg(0, {"TCP", "UDP", "SCTP"});
        else if (key == "persistence_timeout")
            server.persistence_timeout = static_cast<int>(node.int_arg(0, 0, 2678400));
        else if (key == "quorum") server.quorum = static_cast<int>(node.int_arg(0, 0, 65535));
        else if (key == "real_server") {
            RealServerConfig real;
            real.where = node.where();
            check_address(node, 0);
            real.address = node.string_arg(0);
            real.port = static_cast<int>(node.int_arg(1, 0, 65535));
            for (const ConfigNode& option : node.children) {
                if (option.keyword.text == "weight")
                    real.weight = static_cast<int>(option.int_arg(0, 0, 65535));
                else if (option.keyword.text == "track_check")
                    real.track_check = option.string_arg();
            }
            server.real_servers.push_back(std::move(real));
        }
    }
    return server;
}

}  // namespace

std::string VirtualServerConfig::label() const {
    if (fwmark) return "fwmark " + std::to_string(*fwmark);
    if (!group.empty()) return "group " + group;
    return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
           std::to_string(port);
}

const config::Schema& ipvsd_schema() {
    static const config::Schema schema{{
        {"global_defs", KeywordSpec{0, 0, BlockKind::required, &global_defs_schema()}},
        {"virtual_server", KeywordSpec{2, 2, BlockKind::required, &virtual_server_schema()}},
        // Entries "ADDR PORT" or "fwmark N", one per line.
        {"virtual_server_group", KeywordSpec{1, 1, BlockKind::required}},
    }};
    return schema;
}

IpvsdConfig parse_ipvsd_config(const config::ParsedConfig& parsed) {
    IpvsdConfig result;
    result.global = read_global_defs(parsed.statements);
    std::set<std::string> labels;
    for (const ConfigNode& node : parsed.statements) {
        if (node.keyword.text == "virtual_server_group") {
            result.virtual_server_groups.push_back(node.string_arg(0));
        } else if (node.keyword.text == "virtual_server") {
            VirtualServerConfig server = read_virtual_server(node);
            if (!labels.insert(server.label() + "/" + server.protocol).second)
                throw ConfigError(node.where(),
                                  "virtual_server " + server.label() + " defined twice");
            result.virtual_servers.push_back(std::move(server));
        }
    }
    return result;
}

IpvsdConfig load_ipvsd_config(const std::string& path, config::FileSource& files) {
    return parse_ipvsd_config(config::parse_file(path, ipvsd_schema(), files));
}

}  // namespace hakeep::ipvsd
