// checkd.conf: named checks (DESIGN.md §3) holding keepalived's checkers, and
// keepalived-compatible vrrp_script blocks. Pure parsing: every checker comes
// out as a proto::CheckerSpec with its defaults applied, the form in which
// the supervisor hands it to a worker.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/global_defs.h"
#include "common/proto/hakeep.pb.h"

namespace hakeep::checkd {

struct CheckerConfig {
    std::string type;  // TCP_CHECK, HTTP_GET, ..., or vrrp_script
    config::SourceLocation where;
    proto::CheckerSpec spec;
    std::optional<int> warmup_ms;  // unset: first run spread over delay_loop
    bool alpha = false;             // starts DOWN (keepalived's alpha), else UNKNOWN
    bool log_all_failures = false;  // every failed run logged, not only the fall to DOWN
    bool fast_recovery = false;     // HTTP_GET/SSL_GET: accepted; every run checks all urls
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
    std::string script;    // vrrp_script
    int script_weight = 0; // vrrp_script weight (reverse: negated), for vrrpd's information
    bool init_fail = false;  // vrrp_script: DOWN until it has passed `rise` times
    bool alpha = false;      // check-wide alpha: its checkers' default
    bool log_all_failures = false;  // check-wide log_all_failures: its checkers' default
    config::SourceLocation where;
};

struct CheckdConfig {
    GlobalDefs global;
    std::string script_user;   // global_defs script_user; empty: checkd's account
    std::string script_group;
    int network_workers = 0;   // 0: one per CPU
    // global_defs vrrpd_config: where checkd reads the notify scripts (checkd/notify.h).
    std::string vrrpd_config = "/etc/hakeep/vrrpd.conf";
    bool log_all_failures = false;  // global_defs checker_log_all_failures: every check's default
    std::vector<CheckConfig> checks;
};

const config::Schema& checkd_schema();
CheckdConfig parse_checkd_config(const config::ParsedConfig& parsed);  // throws ConfigError
CheckdConfig load_checkd_config(const std::string& path, config::FileSource& files);

// Checker blocks (checkd/config_checkers.cc).
const config::Schema& checker_schema(const std::string& type);  // nullptr-safe: throws if unknown
const std::vector<std::string>& checker_types();
CheckerConfig read_checker(const config::ConfigNode& block, const CheckConfig& check);
// keepalived's <BOOL> of alpha, log_all_failures, fast_recovery: no word is true.
bool optional_bool(const config::ConfigNode& node);

// An IPv4 or IPv6 address word, checked.
std::string read_address(const config::ConfigNode& node);
// Words of a command: one quoted word is split as keepalived splits it
// (blanks separate, "..." and '...' group); several words are taken as they are.
std::vector<std::string> split_command(const std::vector<std::string>& words);
// "Ab12f 3" -> bytes; X/x nibbles set `mask` to ignore them (keepalived's HEX_STR).
bool parse_hex_string(const std::string& text, std::string& bytes, std::string* mask);

}  // namespace hakeep::checkd
