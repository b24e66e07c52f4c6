#include "checkd/config.h"

#include <set>

namespace hakeep::checkd {
namespace {

using config::BlockKind;
using config::ConfigError;
using config::ConfigNode;
using config::KeywordSpec;
using config::Schema;
using config::unbounded;

KeywordSpec single() { return KeywordSpec{1, 1, BlockKind::none, nullptr, false}; }

// Options every checker takes (keepalived's "common" checker keywords).
Schema checker_schema(std::initializer_list<std::pair<const std::string, KeywordSpec>> extra) {
    Schema schema{{
        {"connect_ip", single()},
        {"connect_port", single()},
        {"bindto", single()},
        {"bind_port", single()},
        {"connect_timeout", single()},
        {"retry", single()},
        {"nb_get_retry", single()},
        {"delay_before_retry", single()},
        {"warmup", single()},
    }};
    schema.keywords.insert(extra);
    return schema;
}

const Schema& url_schema() {
    static const Schema schema{{
        {"path", single()},
        {"status_code", KeywordSpec{1, unbounded}},
        {"digest", single()},
        {"virtualhost", single()},
    }};
    return schema;
}

const Schema& http_schema() {
    static const Schema schema = checker_schema({
        {"url", KeywordSpec{0, 0, BlockKind::required, &url_schema()}},
        {"virtualhost", single()},
        {"http_protocol", single()},
        {"enable_sni", KeywordSpec{0, 0}},
        {"verify_cert", KeywordSpec{0, 0}},
    });
    return schema;
}

const Schema& tcp_schema() {
    static const Schema schema = checker_schema({});
    return schema;
}

const Schema& smtp_schema() {
    static const Schema schema = checker_schema({{"helo_name", single()}});
    return schema;
}

const Schema& dns_schema() {
    static const Schema schema = checker_schema({{"type", single()}, {"name", single()}});
    return schema;
}

const Schema& misc_schema() {
    static const Schema schema = checker_schema({
        {"misc_path", KeywordSpec{1, unbounded, BlockKind::none, nullptr, false}},
        {"misc_timeout", single()},
        {"misc_dynamic", KeywordSpec{0, 0}},
        {"user", KeywordSpec{1, 2, BlockKind::none, nullptr, false}},
    });
    return schema;
}

const Schema& udp_schema() {
    static const Schema schema =
        checker_schema({{"payload", single()}, {"require_reply", KeywordSpec{0, 1}}});
    return schema;
}

const Schema& ping_schema() {
    static const Schema schema = checker_schema({});
    return schema;
}

const Schema& file_schema() {
    static const Schema schema = checker_schema({{"track_file", single()}, {"weight", single()}});
    return schema;
}

const std::vector<std::pair<std::string, const Schema*>>& checker_types() {
    static const std::vector<std::pair<std::string, const Schema*>> types = {
        {"TCP_CHECK", &tcp_schema()},   {"HTTP_GET", &http_schema()},  {"SSL_GET", &http_schema()},
        {"SMTP_CHECK", &smtp_schema()}, {"DNS_CHECK", &dns_schema()},  {"MISC_CHECK", &misc_schema()},
        {"UDP_CHECK", &udp_schema()},   {"PING_CHECK", &ping_schema()}, {"FILE_CHECK", &file_schema()},
    };
    return types;
}

const Schema& check_schema() {
    static const Schema schema = [] {
        Schema built{{
            {"address", KeywordSpec{1, 2, BlockKind::none, nullptr, false}},
            {"delay_loop", single()},
            {"rise", single()},
            {"fall", single()},
        }};
        for (const auto& [type, checker] : checker_types())
            built.keywords[type] = KeywordSpec{0, 0, BlockKind::required, checker};
        return built;
    }();
    return schema;
}

const Schema& vrrp_script_schema() {
    static const Schema schema{{
        {"script", KeywordSpec{1, unbounded, BlockKind::none, nullptr, false}},
        {"interval", single()},
        {"timeout", single()},
        {"weight", KeywordSpec{1, 2, BlockKind::none, nullptr, false}},
        {"rise", single()},
        {"fall", single()},
        {"user", KeywordSpec{1, 2, BlockKind::none, nullptr, false}},
        {"init_fail", KeywordSpec{0, 0, BlockKind::none, nullptr, false}},
    }};
    return schema;
}

int seconds_to_ms(const ConfigNode& node, std::int64_t max_seconds) {
    return static_cast<int>(node.fixed_arg(0, 3, 1, max_seconds * 1000));
}

CheckConfig read_check(const ConfigNode& block) {
    CheckConfig check;
    check.name = block.string_arg(0);
    check.where = block.where();
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "address") {
            check.address = node.string_arg(0);
            if (node.args.size() > 1) check.port = static_cast<int>(node.int_arg(1, 1, 65535));
        } else if (key == "delay_loop") check.delay_loop_ms = seconds_to_ms(node, 86400);
        else if (key == "rise") check.rise = static_cast<int>(node.int_arg(0, 1, 1000));
        else if (key == "fall") check.fall = static_cast<int>(node.int_arg(0, 1, 1000));
        else if (node.has_block) check.checkers.push_back(CheckerConfig{key, node.where()});
    }
    if (check.checkers.empty())
        throw ConfigError(block.where(), "check '" + check.name + "' has no checker (TCP_CHECK, "
                                         "HTTP_GET, SSL_GET, SMTP_CHECK, DNS_CHECK, MISC_CHECK, "
                                         "UDP_CHECK, PING_CHECK or FILE_CHECK)");
    return check;
}

CheckConfig read_vrrp_script(const ConfigNode& block) {
    CheckConfig check;
    check.name = block.string_arg(0);
    check.where = block.where();
    check.is_vrrp_script = true;
    check.delay_loop_ms = 1000;  // keepalived's default interval
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "script") check.script = node.string_arg(0);
        else if (key == "interval") check.delay_loop_ms = seconds_to_ms(node, 86400);
        else if (key == "rise") check.rise = static_cast<int>(node.int_arg(0, 1, 1000));
        else if (key == "fall") check.fall = static_cast<int>(node.int_arg(0, 1, 1000));
        else if (key == "timeout") seconds_to_ms(node, 86400);
        else if (key == "weight") node.int_arg(0, -253, 253);
    }
    if (check.script.empty())
        throw ConfigError(block.where(), "vrrp_script '" + check.name + "' needs 'script'");
    return check;
}

}  // namespace

const config::Schema& checkd_schema() {
    static const Schema schema{{
        {"global_defs", KeywordSpec{0, 0, BlockKind::required, &global_defs_schema()}},
        {"check", KeywordSpec{1, 1, BlockKind::required, &check_schema()}},
        {"vrrp_script", KeywordSpec{1, 1, BlockKind::required, &vrrp_script_schema()}},
    }};
    return schema;
}

CheckdConfig parse_checkd_config(const config::ParsedConfig& parsed) {
    CheckdConfig result;
    result.global = read_global_defs(parsed.statements);
    std::set<std::string> names;
    for (const ConfigNode& node : parsed.statements) {
        const std::string& key = node.keyword.text;
        if (key != "check" && key != "vrrp_script") continue;
        CheckConfig check = key == "check" ? read_check(node) : read_vrrp_script(node);
        // One namespace: vrrpd's track_script and ipvsd's track_check name any of them.
        if (!names.insert(check.name).second)
            throw ConfigError(node.arg(0).where, "check '" + check.name + "' defined twice");
        result.checks.push_back(std::move(check));
    }
    return result;
}

CheckdConfig load_checkd_config(const std::string& path, config::FileSource& files) {
    return parse_checkd_config(config::parse_file(path, checkd_schema(), files));
}

}  // namespace hakeep::checkd
