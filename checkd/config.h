// checkd.conf: named checks (DESIGN.md §3) holding keepalived's checkers, and
// keepalived-compatible vrrp_script blocks. Pure parsing.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"
#include "common/global_defs.h"

namespace hakeep::checkd {

struct CheckerConfig {
    std::string type;  // TCP_CHECK, HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK, MISC_CHECK, ...
    config::SourceLocation where;
};

struct CheckConfig {
    std::string name;
    bool is_vrrp_script = false;
    std::string address;  // default target of its checkers
    int port = 0;
    int delay_loop_ms = 60000;  // keepalived's default delay_loop (vrrp_script: 1 s)
    int rise = 1;
    int fall = 1;
    std::vector<CheckerConfig> checkers;
    std::string script;  // vrrp_script
    config::SourceLocation where;
};

struct CheckdConfig {
    GlobalDefs global;
    std::vector<CheckConfig> checks;
};

const config::Schema& checkd_schema();
CheckdConfig parse_checkd_config(const config::ParsedConfig& parsed);  // throws ConfigError
CheckdConfig load_checkd_config(const std::string& path, config::FileSource& files);

}  // namespace hakeep::checkd
