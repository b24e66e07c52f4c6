// ipvsd.conf: keepalived's virtual_server blocks, with checkers replaced by
// `track_check NAME` (the checks live in checkd.conf). Pure parsing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/global_defs.h"

namespace hakeep::ipvsd {

struct RealServerConfig {
    std::string address;
    int port = 0;
    int weight = 1;
    std::string track_check;  // empty: always up
    config::SourceLocation where;
};

struct VirtualServerConfig {
    std::string address;            // or empty with fwmark
    int port = 0;
    std::optional<std::uint32_t> fwmark;
    std::string group;              // virtual_server group NAME
    std::string scheduler = "wlc";  // lb_algo / lvs_sched (keepalived's default)
    std::string forwarding = "NAT"; // lb_kind / lvs_method
    std::string protocol = "TCP";
    int persistence_timeout = 0;
    int quorum = 1;
    std::vector<RealServerConfig> real_servers;
    config::SourceLocation where;
    std::string label() const;      // "192.0.2.100:80", "fwmark 7", "group web"
};

struct IpvsdConfig {
    GlobalDefs global;
    std::vector<VirtualServerConfig> virtual_servers;
    std::vector<std::string> virtual_server_groups;
};

const config::Schema& ipvsd_schema();
IpvsdConfig parse_ipvsd_config(const config::ParsedConfig& parsed);  // throws ConfigError
IpvsdConfig load_ipvsd_config(const std::string& path, config::FileSource& files);

}  // namespace hakeep::ipvsd
