// vrrpd.conf: keepalived's vrrp_instance and vrrp_sync_group blocks, so that an
// operator can paste them. Parsing is pure: text in, VrrpdConfig or ConfigError.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/global_defs.h"

namespace hakeep::vrrpd {

enum class InitialState { backup, master };

struct VrrpInstanceConfig {
    std::string name;
    config::SourceLocation where;
    InitialState state = InitialState::backup;
    std::string interface;
    int virtual_router_id = 0;     // 1..255
    int priority = 100;            // 1..255 (255: address owner)
    int advert_int_centis = 100;   // v2 whole seconds, v3 0.01..40.95
    int version = 2;               // keepalived's default; global_defs vrrp_version
    bool preempt = true;
    std::vector<std::string> virtual_ipaddress;
    std::vector<std::string> track_script;
};

struct VrrpSyncGroupConfig {
    std::string name;
    std::vector<std::string> members;
};

struct VrrpdConfig {
    GlobalDefs global;
    std::vector<VrrpInstanceConfig> instances;
    std::vector<VrrpSyncGroupConfig> sync_groups;
};

const config::Schema& vrrpd_schema();
VrrpdConfig parse_vrrpd_config(const config::ParsedConfig& parsed);  // throws ConfigError
VrrpdConfig load_vrrpd_config(const std::string& path, config::FileSource& files);

}  // namespace hakeep::vrrpd
