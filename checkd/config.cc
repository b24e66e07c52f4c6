#include "checkd/config.h"

#include <arpa/inet.h>

#include <set>

namespace hakeep::checkd {
namespace {

using config::BlockKind;
using config::ConfigError;
using config::ConfigNode;
using config::KeywordSpec;
using config::once_flag;
using config::once_with_args;
using config::once_with_value;
using config::Schema;
using config::unbounded;


std::string checker_list() {
    std::string text;
    const auto& types = checker_types();
    for (std::size_t i = 0; i < types.size(); ++i)
        text += (i == 0 ? "" : i + 1 == types.size() ? " or " : ", ") + types[i];
    return text;
}

const Schema& check_schema() {
    static const Schema schema = [] {
        Schema built{{
            {"address", once_with_args(1, 2)},
            {"delay_loop", once_with_value()},
            {"rise", once_with_value()},
            {"fall", once_with_value()},
            {"alpha", once_with_args(0, 1)},
            {"log_all_failures", once_with_args(0, 1)},
        }};
        for (const std::string& type : checker_types())
            built.keywords[type] = KeywordSpec{0, 0, BlockKind::required, &checker_schema(type)};
        return built;
    }();
    return schema;
}

const Schema& vrrp_script_schema() {
    static const Schema schema{{
        {"script", once_with_args(1, unbounded)},
        {"interval", once_with_value()},
        {"timeout", once_with_value()},
        {"weight", once_with_args(1, 2)},
        {"rise", once_with_value()},
        {"fall", once_with_value()},
        {"user", once_with_args(1, 2)},
        {"init_fail", once_with_args(0, 0)},
    }};
    return schema;
}

// keepalived's top-level SSL block: what every SSL_GET presents and trusts.
const Schema& ssl_schema() {
    static const Schema schema{{
        {"password", once_with_value()},
        {"ca", once_with_value()},
        {"certificate", once_with_value()},
        {"key", once_with_value()},
    }};
    return schema;
}

void apply_ssl_block(const ConfigNode& block, std::vector<CheckConfig>& checks) {
    std::string paths[3];  // ca, certificate, key
    const char* names[3] = {"ca", "certificate", "key"};
    for (int i = 0; i < 3; ++i) {
        const ConfigNode* node = block.find(names[i]);
        if (!node) continue;
        paths[i] = node->string_arg(0);
        if (paths[i].empty() || paths[i][0] != '/')
            throw ConfigError(node->arg(0).where, std::string("'") + names[i] + "' must be an absolute path");
    }
    const ConfigNode* password = block.find("password");
    if ((!paths[2].empty() || password) && paths[1].empty())
        throw ConfigError(block.where(), "SSL: 'key' and 'password' need a 'certificate'");
    for (CheckConfig& check : checks)
        for (CheckerConfig& checker : check.checkers) {
            if (checker.type != "SSL_GET") continue;
            proto::CheckerSpec& spec = checker.spec;
            if (spec.ca_file().empty()) spec.set_ca_file(paths[0]);
            spec.set_client_cert(paths[1]);
            spec.set_client_key(paths[2]);
            if (password) spec.set_key_password(password->string_arg(0));
        }
}

const Schema& checkd_global_defs_schema() {
    static const Schema schema = [] {
        Schema built = global_defs_schema();
        built.keywords["script_user"] = once_with_args(1, 2);
        // keepalived's switch; checkd always checks scripts this way (checkd.conf(5)).
        built.keywords["enable_script_security"] = KeywordSpec{0, 0};
        built.keywords["vrrpd_config"] = once_with_args(1, 1);
        built.keywords["checker_log_all_failures"] = once_with_args(0, 1);
        return built;
    }();
    return schema;
}

int seconds_to_ms(const ConfigNode& node, std::int64_t min_ms, std::int64_t max_seconds) {
    return static_cast<int>(node.fixed_arg(0, 3, min_ms, max_seconds * 1000));
}


CheckConfig read_check(const ConfigNode& block, bool log_all_failures) {
    CheckConfig check;
    check.log_all_failures = log_all_failures;
    check.name = block.string_arg(0);
    check.where = block.where();
    // Check-wide settings first: a checker's defaults depend on them, wherever they stand.
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "address") {
            check.address = read_address(node);
            if (node.args.size() > 1) check.port = static_cast<int>(node.int_arg(1, 1, 65535));
        } else if (key == "delay_loop") check.delay_loop_ms = seconds_to_ms(node, 10, 86400);
        else if (key == "rise") check.rise = static_cast<int>(node.int_arg(0, 1, 1000));
        else if (key == "fall") check.fall = static_cast<int>(node.int_arg(0, 1, 1000));
        else if (key == "alpha") check.alpha = optional_bool(node);
        else if (key == "log_all_failures") check.log_all_failures = optional_bool(node);
    }
    for (const ConfigNode& node : block.children)
        if (node.has_block) check.checkers.push_back(read_checker(node, check));
    if (check.checkers.empty())
        throw ConfigError(block.where(), "check '" + check.name + "' has no checker (" +
                                             checker_list() + ")");
    return check;
}

CheckConfig read_vrrp_script(const ConfigNode& block) {
    CheckConfig check;
    check.name = block.string_arg(0);
    check.where = block.where();
    check.is_vrrp_script = true;
    check.delay_loop_ms = 1000;  // keepalived's default interval
    CheckerConfig script;
    script.type = "vrrp_script";
    script.where = block.where();
    proto::CheckerSpec& spec = script.spec;
    spec.set_type(script.type);
    spec.set_retry(0);
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "script") {
            std::vector<std::string> words;
            for (const config::Word& word : node.args) words.push_back(word.text);
            for (const std::string& word : split_command(words)) spec.add_command(word);
            if (spec.command().empty() || spec.command(0).empty() || spec.command(0)[0] != '/')
                throw ConfigError(node.arg(0).where, "'script' must start with an absolute path");
            check.script = spec.command(0);
        } else if (key == "interval") check.delay_loop_ms = seconds_to_ms(node, 10, 86400);
        else if (key == "rise") check.rise = static_cast<int>(node.int_arg(0, 1, 1000));
        else if (key == "fall") check.fall = static_cast<int>(node.int_arg(0, 1, 1000));
        else if (key == "timeout") spec.set_script_timeout_ms(static_cast<std::uint32_t>(seconds_to_ms(node, 1, 86400)));
        else if (key == "weight") {
            check.script_weight = static_cast<int>(node.int_arg(0, -253, 253));
            if (node.args.size() > 1) {
                node.choice_arg(1, {"reverse"});
                check.script_weight = -check.script_weight;
            }
        } else if (key == "user") {
            spec.set_user(node.string_arg(0) + (node.args.size() > 1 ? ":" + node.string_arg(1) : ""));
        } else if (key == "init_fail") check.init_fail = true;
    }
    if (spec.command().empty())
        throw ConfigError(block.where(), "vrrp_script '" + check.name + "' needs 'script'");
    // keepalived: a script that has not finished by its next run has failed.
    if (spec.script_timeout_ms() == 0) spec.set_script_timeout_ms(static_cast<std::uint32_t>(check.delay_loop_ms));
    check.checkers.push_back(std::move(script));
    return check;
}

}  // namespace

bool optional_bool(const ConfigNode& node) { return node.args.empty() || node.bool_arg(0); }

std::string read_address(const ConfigNode& node) {
    const std::string text = node.string_arg(0);
    unsigned char buffer[16];
    if (inet_pton(AF_INET, text.c_str(), buffer) != 1 && inet_pton(AF_INET6, text.c_str(), buffer) != 1)
        throw ConfigError(node.arg(0).where, "'" + text + "' is not an IPv4 or IPv6 address");
    return text;
}

const config::Schema& checkd_schema() {
    static const Schema schema{{
        {"global_defs", KeywordSpec{0, 0, BlockKind::required, &checkd_global_defs_schema()}},
        {"check", KeywordSpec{1, 1, BlockKind::required, &check_schema()}},
        {"vrrp_script", KeywordSpec{1, 1, BlockKind::required, &vrrp_script_schema()}},
        {"network_workers", once_with_value()},
        {"SSL", KeywordSpec{0, 0, BlockKind::required, &ssl_schema(), false}},
    }};
    return schema;
}

CheckdConfig parse_checkd_config(const config::ParsedConfig& parsed) {
    CheckdConfig result;
    result.global = read_global_defs(parsed.statements);
    std::set<std::string> names;
    for (const ConfigNode& node : parsed.statements) {
        const std::string& key = node.keyword.text;
        if (key == "global_defs") {
            if (const ConfigNode* user = node.find("script_user")) {
                result.script_user = user->string_arg(0);
                result.script_group = user->args.size() > 1 ? user->string_arg(1) : "";
            }
            if (const ConfigNode* vrrpd = node.find("vrrpd_config")) {
                result.vrrpd_config = vrrpd->string_arg(0);
                if (result.vrrpd_config.empty() || result.vrrpd_config[0] != '/')
                    throw ConfigError(vrrpd->arg(0).where, "'vrrpd_config' must be an absolute path");
            }
            if (const ConfigNode* log = node.find("checker_log_all_failures"))
                result.log_all_failures = optional_bool(*log);
            continue;
        }
        if (key == "network_workers") {
            result.network_workers = static_cast<int>(node.int_arg(0, 0, 256));
            continue;
        }
        if (key != "check" && key != "vrrp_script") continue;
        CheckConfig check = key == "check" ? read_check(node, result.log_all_failures) : read_vrrp_script(node);
        // One namespace: vrrpd's track_script and ipvsd's track_check name any of them.
        if (!names.insert(check.name).second)
            throw ConfigError(node.arg(0).where, "check '" + check.name + "' defined twice");
        result.checks.push_back(std::move(check));
    }
    // Wherever it stands in the file, the SSL block applies to every SSL_GET.
    for (const ConfigNode& node : parsed.statements)
        if (node.keyword.text == "SSL") apply_ssl_block(node, result.checks);
    return result;
}

CheckdConfig load_checkd_config(const std::string& path, config::FileSource& files) {
    return parse_checkd_config(config::parse_file(path, checkd_schema(), files));
}

}  // namespace hakeep::checkd
