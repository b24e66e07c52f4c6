// The checker blocks of checkd.conf (keepalived's keywords, keepalived's
// defaults), each read into a proto::CheckerSpec with every default applied.
#include <arpa/inet.h>
#include <net/if.h>

#include <cctype>

#include "checkd/config.h"
#include "checkd/dns_message.h"
#include "checkd/http_regex.h"

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


// Options every network checker takes (keepalived's "common" checker keywords).
Schema network_schema(std::initializer_list<std::pair<const std::string, KeywordSpec>> extra) {
    Schema schema{{
        {"connect_ip", once_with_value()},
        {"connect_port", once_with_value()},
        {"bindto", once_with_value()},
        {"bind_if", once_with_value()},
        {"bind_port", once_with_value()},
        {"fwmark", once_with_value()},
        {"connect_timeout", once_with_value()},
        {"retry", once_with_value()},
        {"nb_get_retry", once_with_value()},
        {"delay_before_retry", once_with_value()},
        {"warmup", once_with_value()},
        {"alpha", once_with_args(0, 1)},
        {"log_all_failures", once_with_args(0, 1)},
    }};
    schema.keywords.insert(extra);
    return schema;
}

const Schema& url_schema() {
    static const Schema schema{{
        {"path", once_with_value()},
        {"status_code", KeywordSpec{1, unbounded}},
        {"digest", once_with_value()},
        {"virtualhost", once_with_value()},
        {"regex", once_with_value()},
        {"regex_no_match", once_flag()},
        {"regex_options", once_with_args(1, unbounded)},
        {"regex_stack", once_with_args(2, 2)},
        {"regex_min_offset", once_with_value()},
        {"regex_max_offset", once_with_value()},
    }};
    return schema;
}

const Schema& http_schema() {
    static const Schema schema = network_schema({
        {"url", KeywordSpec{0, 0, BlockKind::required, &url_schema()}},
        {"virtualhost", once_with_value()},
        {"http_protocol", once_with_value()},
        {"enable_sni", once_flag()},
        {"sni_name", once_with_value()},
        {"verify_cert", once_flag()},
        {"ca_file", once_with_value()},
        {"fast_recovery", once_with_args(0, 1)},
        {"tls_compliant", once_with_args(0, 1)},
    });
    return schema;
}

const Schema& tcp_schema() {
    static const Schema schema = network_schema({});
    return schema;
}

const Schema& smtp_schema() {
    static const Schema schema = network_schema({{"helo_name", once_with_value()}});
    return schema;
}

const Schema& dns_schema() {
    static const Schema schema = network_schema({{"type", once_with_value()}, {"name", once_with_value()}});
    return schema;
}

const Schema& udp_schema() {
    static const Schema schema = network_schema({
        {"payload", once_with_args(1, unbounded)},
        {"require_reply", once_with_args(0, unbounded)},
        {"min_reply_length", once_with_value()},
        {"max_reply_length", once_with_value()},
    });
    return schema;
}

const Schema& ping_schema() {
    static const Schema schema = network_schema({});
    return schema;
}

// MISC_CHECK and FILE_CHECK run locally: no connection options.
const Schema& misc_schema() {
    static const Schema schema{{
        {"misc_path", once_with_args(1, unbounded)},
        {"misc_timeout", once_with_value()},
        {"misc_dynamic", once_flag()},
        {"user", once_with_args(1, 2)},
        {"warmup", once_with_value()},
        {"alpha", once_with_args(0, 1)},
        {"log_all_failures", once_with_args(0, 1)},
    }};
    return schema;
}

const Schema& file_schema() {
    static const Schema schema{{
        {"track_file", once_with_value()},
        {"weight", once_with_args(1, 2)},
        {"dynamic", once_flag()},
    }};
    return schema;
}

const std::vector<std::pair<std::string, const Schema*>>& schemas() {
    static const std::vector<std::pair<std::string, const Schema*>> types = {
        {"TCP_CHECK", &tcp_schema()},   {"HTTP_GET", &http_schema()},  {"SSL_GET", &http_schema()},
        {"SMTP_CHECK", &smtp_schema()}, {"DNS_CHECK", &dns_schema()},  {"MISC_CHECK", &misc_schema()},
        {"UDP_CHECK", &udp_schema()},   {"PING_CHECK", &ping_schema()}, {"FILE_CHECK", &file_schema()},
    };
    return types;
}


std::uint32_t ms_arg(const ConfigNode& node, std::int64_t min_ms, std::int64_t max_seconds) {
    return static_cast<std::uint32_t>(node.fixed_arg(0, 3, min_ms, max_seconds * 1000));
}

// "200", "200-299": every code must lie in 100..599 and a range be ordered.
proto::StatusRange status_range(const ConfigNode& node, const config::Word& word) {
    const auto fail = [&] {
        return ConfigError(word.where, "'status_code' takes codes 100..599 or ranges such as "
                                       "200-299, got '" + word.text + "'");
    };
    const auto number = [&](const std::string& text) {
        if (text.size() != 3 || !std::all_of(text.begin(), text.end(), ::isdigit)) throw fail();
        const int value = std::stoi(text);
        if (value < 100 || value > 599) throw fail();
        return static_cast<std::uint32_t>(value);
    };
    (void)node;
    const std::size_t dash = word.text.find('-');
    proto::StatusRange range;
    range.set_low(number(word.text.substr(0, dash)));
    range.set_high(dash == std::string::npos ? range.low() : number(word.text.substr(dash + 1)));
    if (range.high() < range.low()) throw fail();
    return range;
}

void read_url(const ConfigNode& block, proto::HttpUrl& url) {
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "path") {
            url.set_path(node.string_arg(0));
            const bool printable = std::all_of(url.path().begin(), url.path().end(),
                                               [](unsigned char c) { return c > 0x20 && c < 0x7f; });
            if (url.path().empty() || url.path()[0] != '/' || !printable)
                throw ConfigError(node.arg(0).where,
                                  "'path' must start with '/' and hold no blank or control character");
        } else if (key == "status_code") {
            for (const config::Word& word : node.args) *url.add_status() = status_range(node, word);
        } else if (key == "digest") {
            std::string digest = node.string_arg(0);
            for (char& c : digest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (digest.size() != 32 || !std::all_of(digest.begin(), digest.end(), ::isxdigit))
                throw ConfigError(node.arg(0).where, "'digest' must be an MD5 sum: 32 hex digits");
            url.set_digest(digest);
        } else if (key == "virtualhost") {
            url.set_virtualhost(node.string_arg(0));
        } else if (key == "regex") {
            url.set_regex(node.string_arg(0));
            if (url.regex().empty()) throw ConfigError(node.arg(0).where, "'regex' is empty");
        } else if (key == "regex_no_match") {
            url.set_regex_no_match(true);
        } else if (key == "regex_options") {
            std::vector<std::string> words;
            for (const config::Word& word : node.args) words.push_back(word.text);
            std::string unknown;
            std::optional<std::uint32_t> options = regex_options_of(words, unknown);
            if (!options) {
                std::string names;
                for (const std::string& name : regex_option_names()) names += (names.empty() ? "" : " ") + name;
                throw ConfigError(node.where(), "unknown regex option '" + unknown + "' (" + names + ")");
            }
            url.set_regex_options(url.regex_options() | *options);
        } else if (key == "regex_stack") {
            // keepalived's JIT stack sizes: checkd matches without JIT, under
            // a match limit, so they are checked and have no further use.
            node.int_arg(1, node.int_arg(0, 1, 1 << 30), 1 << 30);
        } else if (key == "regex_min_offset") {
            url.set_regex_min_offset(static_cast<std::uint32_t>(node.int_arg(0, 0, regex_body_bytes)));
        } else if (key == "regex_max_offset") {
            url.set_regex_max_offset(static_cast<std::uint32_t>(node.int_arg(0, 0, regex_body_bytes)));
        }
    }
    if (url.path().empty())
        throw ConfigError(block.where(), "'url' needs a 'path'");
    const bool regex_words = block.find("regex_no_match") || block.find("regex_options") ||
                             block.find("regex_stack") || block.find("regex_min_offset") ||
                             block.find("regex_max_offset");
    if (url.regex().empty() && regex_words)
        throw ConfigError(block.where(),
                          "regex_no_match, regex_options, regex_stack and the regex offsets need a 'regex'");
    if (!url.regex().empty()) {
        if (std::string error = regex_compile_error(url.regex(), url.regex_options()); !error.empty())
            throw ConfigError(block.find("regex")->arg(0).where, "'regex' does not compile: " + error);
        if (url.has_regex_max_offset() && url.regex_max_offset() < url.regex_min_offset())
            throw ConfigError(block.find("regex_max_offset")->arg(0).where,
                              "'regex_max_offset' is below 'regex_min_offset'");
    }
}

std::string join_words(const ConfigNode& node) {
    std::string text;
    for (const config::Word& word : node.args) text += (text.empty() ? "" : " ") + word.text;
    return text;
}

void read_network_option(const ConfigNode& node, CheckerConfig& checker) {
    proto::CheckerSpec& spec = checker.spec;
    const std::string& key = node.keyword.text;
    if (key == "connect_ip") spec.set_address(read_address(node));
    else if (key == "connect_port") spec.set_port(static_cast<std::uint32_t>(node.int_arg(0, 1, 65535)));
    else if (key == "bindto") spec.set_bind_address(read_address(node));
    else if (key == "bind_if") {
        spec.set_bind_if(node.string_arg(0));
        const std::string& name = spec.bind_if();
        const bool valid = !name.empty() && name.size() < IFNAMSIZ && name != "." && name != ".." &&
                           std::none_of(name.begin(), name.end(), [](unsigned char c) {
                               return c <= 0x20 || c >= 0x7f || c == '/' || c == ':';
                           });
        if (!valid)
            throw ConfigError(node.arg(0).where, "'bind_if' must be an interface name (1 to 15 characters, "
                                                 "no blank, '/' or ':')");
    } else if (key == "fwmark") {
        // SO_MARK needs CAP_NET_ADMIN (CAP_NET_RAW since Linux 5.17); checkd
        // holds no capability at all, by design (DESIGN.md §1).
        throw ConfigError(node.where(),
                          "'fwmark' is refused: marking a socket (SO_MARK) needs CAP_NET_ADMIN, and checkd runs "
                          "without any capability; mark checkd's packets with a firewall rule instead, e.g. "
                          "nft: meta skuid <checkd's account> meta mark set " + node.string_arg(0));
    } else if (key == "bind_port") spec.set_bind_port(static_cast<std::uint32_t>(node.int_arg(0, 1, 65535)));
    else if (key == "connect_timeout") spec.set_connect_timeout_ms(ms_arg(node, 1, 3600));
    else if (key == "retry" || key == "nb_get_retry")
        spec.set_retry(static_cast<std::uint32_t>(node.int_arg(0, 0, 100)));
    else if (key == "delay_before_retry") spec.set_delay_before_retry_ms(ms_arg(node, 0, 3600));
}

void read_http_option(const ConfigNode& node, CheckerConfig& checker) {
    proto::CheckerSpec& spec = checker.spec;
    const std::string& key = node.keyword.text;
    const bool tls = checker.type == "SSL_GET";
    if (key == "url") read_url(node, *spec.add_urls());
    else if (key == "http_protocol") spec.set_http_protocol(node.choice_arg(0, {"1.0", "1.0C", "1.1"}));
    else if ((key == "enable_sni" || key == "sni_name" || key == "verify_cert" || key == "ca_file" ||
              key == "tls_compliant") &&
             !tls)
        throw ConfigError(node.where(), "'" + key + "' is an SSL_GET option");
    else if (key == "sni_name") spec.set_sni_name(node.string_arg(0));
    else if (key == "verify_cert") spec.set_verify_cert(true);
    else if (key == "tls_compliant") spec.set_tls_compliant(optional_bool(node));
    else if (key == "ca_file") {
        spec.set_ca_file(node.string_arg(0));
        if (spec.ca_file().empty() || spec.ca_file()[0] != '/')
            throw ConfigError(node.arg(0).where, "'ca_file' must be an absolute path");
    }
}

void read_udp_option(const ConfigNode& node, CheckerConfig& checker) {
    proto::CheckerSpec& spec = checker.spec;
    const std::string& key = node.keyword.text;
    std::string bytes, mask;
    if (key == "payload") {
        if (!parse_hex_string(join_words(node), bytes, nullptr) || bytes.empty())
            throw ConfigError(node.arg(0).where, "'payload' must be hex digits");
        spec.set_payload(bytes);
    } else if (key == "require_reply") {
        spec.set_require_reply(true);
        if (!node.args.empty()) {
            if (!parse_hex_string(join_words(node), bytes, &mask) || bytes.empty())
                throw ConfigError(node.arg(0).where, "'require_reply' must be hex digits (X: any)");
            spec.set_reply_pattern(bytes);
            spec.set_reply_mask(mask);
        }
    } else if (key == "min_reply_length") {
        spec.set_min_reply_length(static_cast<std::uint32_t>(node.int_arg(0, 0, 65535)));
    } else if (key == "max_reply_length") {
        spec.set_max_reply_length(static_cast<std::uint32_t>(node.int_arg(0, 0, 65535)));
    }
}

void read_misc_option(const ConfigNode& node, CheckerConfig& checker) {
    proto::CheckerSpec& spec = checker.spec;
    const std::string& key = node.keyword.text;
    if (key == "misc_path") {
        std::vector<std::string> words;
        for (const config::Word& word : node.args) words.push_back(word.text);
        for (const std::string& word : split_command(words)) spec.add_command(word);
        if (spec.command().empty() || spec.command(0).empty() || spec.command(0)[0] != '/')
            throw ConfigError(node.arg(0).where, "'misc_path' must start with an absolute path");
    } else if (key == "misc_timeout") {
        spec.set_script_timeout_ms(ms_arg(node, 1, 3600));
    } else if (key == "misc_dynamic") {
        spec.set_misc_dynamic(true);
    } else if (key == "user") {
        spec.set_user(node.string_arg(0) + (node.args.size() > 1 ? ":" + node.string_arg(1) : ""));
    }
}

void read_file_option(const ConfigNode& node, CheckerConfig& checker) {
    proto::CheckerSpec& spec = checker.spec;
    const std::string& key = node.keyword.text;
    if (key == "track_file") {
        spec.set_file_path(node.string_arg(0));
        if (spec.file_path().empty() || spec.file_path()[0] != '/')
            throw ConfigError(node.arg(0).where, "'track_file' must be an absolute path");
    } else if (key == "weight") {
        auto weight = static_cast<std::int32_t>(node.int_arg(0, -2147483647, 2147483647));
        if (node.args.size() > 1) {
            node.choice_arg(1, {"reverse"});
            weight = -weight;
        }
        spec.set_file_weight(weight);
    } else if (key == "dynamic") {
        spec.set_file_dynamic(true);
    }
}

std::uint32_t default_port(const std::string& type) {
    if (type == "HTTP_GET") return 80;
    if (type == "SSL_GET") return 443;
    if (type == "SMTP_CHECK") return 25;
    if (type == "DNS_CHECK") return 53;
    return 0;
}

// keepalived's defaults, resolved once so that a worker sees plain values.
void apply_defaults(CheckerConfig& checker, const CheckConfig& check, const ConfigNode& block) {
    proto::CheckerSpec& spec = checker.spec;
    const std::string& type = checker.type;
    const bool local = type == "MISC_CHECK" || type == "FILE_CHECK";
    if (local) {
        if (type == "MISC_CHECK" && spec.command().empty())
            throw ConfigError(block.where(), "MISC_CHECK needs 'misc_path'");
        if (type == "FILE_CHECK" && spec.file_path().empty())
            throw ConfigError(block.where(), "FILE_CHECK needs 'track_file'");
        if (spec.script_timeout_ms() == 0)
            spec.set_script_timeout_ms(static_cast<std::uint32_t>(check.delay_loop_ms));
        return;
    }
    if (spec.address().empty()) spec.set_address(check.address);
    if (spec.address().empty())
        throw ConfigError(block.where(), type + " needs a target: 'address' in the check, or 'connect_ip'");
    in6_addr source{};
    if (spec.bind_if().empty() && inet_pton(AF_INET6, spec.bind_address().c_str(), &source) == 1 &&
        IN6_IS_ADDR_LINKLOCAL(&source))
        throw ConfigError(block.find("bindto")->arg(0).where,
                          "'bindto' " + spec.bind_address() + " is link-local: name its interface with 'bind_if'");
    if (spec.port() == 0) spec.set_port(static_cast<std::uint32_t>(check.port));
    if (spec.port() == 0) spec.set_port(default_port(type));
    if (spec.port() == 0 && type != "PING_CHECK")
        throw ConfigError(block.where(), type + " needs a port: 'address ADDRESS PORT' in the "
                                                "check, or 'connect_port'");
    if (!block.find("connect_timeout")) spec.set_connect_timeout_ms(5000);
    if (!block.find("retry") && !block.find("nb_get_retry")) spec.set_retry(type == "DNS_CHECK" ? 3 : 1);
    if (!block.find("delay_before_retry")) {
        if (type == "HTTP_GET" || type == "SSL_GET") spec.set_delay_before_retry_ms(3000);
        else if (type == "DNS_CHECK") spec.set_delay_before_retry_ms(static_cast<std::uint32_t>(check.delay_loop_ms));
        else spec.set_delay_before_retry_ms(1000);
    }
    if (type == "HTTP_GET" || type == "SSL_GET") {
        if (spec.urls().empty())
            throw ConfigError(block.where(), type + " needs at least one 'url { path ... }'");
        const ConfigNode* virtualhost = block.find("virtualhost");
        for (proto::HttpUrl& url : *spec.mutable_urls()) {
            if (url.status().empty()) {
                url.add_status()->set_low(200);
                url.mutable_status(0)->set_high(299);
            }
            if (url.virtualhost().empty() && virtualhost) url.set_virtualhost(virtualhost->string_arg(0));
        }
        if (spec.http_protocol().empty()) spec.set_http_protocol("1.0");
        spec.set_tls(type == "SSL_GET");
        // enable_sni without sni_name: the name is the virtualhost, as in keepalived.
        if (block.find("enable_sni") && spec.sni_name().empty()) spec.set_sni_name(spec.urls(0).virtualhost());
    }
    if (type == "SMTP_CHECK" && spec.helo_name().empty()) spec.set_helo_name("localhost");
    if (type == "DNS_CHECK") {
        const ConfigNode* type_node = block.find("type");
        const std::string name = type_node ? type_node->choice_arg(0, {"A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA"})
                                           : "SOA";
        spec.set_dns_type(dns_type_number(name));
        const ConfigNode* name_node = block.find("name");
        spec.set_dns_name(name_node ? name_node->string_arg(0) : ".");
        if (!dns_name_valid(spec.dns_name()))
            throw ConfigError(name_node->arg(0).where, "'name' is not a valid DNS name");
    }
    if (type == "UDP_CHECK") {
        if (!block.find("max_reply_length")) spec.set_max_reply_length(255);
        if (spec.min_reply_length() > spec.max_reply_length())
            throw ConfigError(block.where(), "'min_reply_length' is above 'max_reply_length'");
    }
}

}  // namespace

const std::vector<std::string>& checker_types() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> built;
        for (const auto& [type, schema] : schemas()) built.push_back(type);
        return built;
    }();
    return names;
}

const config::Schema& checker_schema(const std::string& type) {
    for (const auto& [name, schema] : schemas())
        if (name == type) return *schema;
    throw std::invalid_argument("unknown checker type " + type);
}

CheckerConfig read_checker(const ConfigNode& block, const CheckConfig& check) {
    CheckerConfig checker;
    checker.type = block.keyword.text;
    checker.where = block.where();
    checker.spec.set_type(checker.type);
    checker.alpha = check.alpha;
    checker.log_all_failures = check.log_all_failures;
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "warmup") {
            checker.warmup_ms = static_cast<int>(ms_arg(node, 0, 86400));
            continue;
        }
        if (key == "alpha" || key == "log_all_failures" || key == "fast_recovery") {
            (key == "alpha" ? checker.alpha : key == "log_all_failures" ? checker.log_all_failures
                                                                        : checker.fast_recovery) = optional_bool(node);
            continue;
        }
        if (checker.type == "MISC_CHECK") read_misc_option(node, checker);
        else if (checker.type == "FILE_CHECK") read_file_option(node, checker);
        else {
            read_network_option(node, checker);
            if (checker.type == "HTTP_GET" || checker.type == "SSL_GET") read_http_option(node, checker);
            else if (checker.type == "UDP_CHECK") read_udp_option(node, checker);
            else if (checker.type == "SMTP_CHECK" && node.keyword.text == "helo_name")
                checker.spec.set_helo_name(node.string_arg(0));
        }
    }
    apply_defaults(checker, check, block);
    return checker;
}

std::vector<std::string> split_command(const std::vector<std::string>& words) {
    if (words.size() != 1) return words;
    std::vector<std::string> split;
    const std::string& text = words[0];
    std::string current;
    bool in_word = false;
    char quote = 0;
    for (char c : text) {
        if (quote) {
            if (c == quote) quote = 0;
            else current += c;
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            in_word = true;
        } else if (c == ' ' || c == '\t') {
            if (in_word) split.push_back(current);
            current.clear();
            in_word = false;
        } else {
            current += c;
            in_word = true;
        }
    }
    if (in_word) split.push_back(current);
    return split;
}

bool parse_hex_string(const std::string& text, std::string& bytes, std::string* mask) {
    bytes.clear();
    if (mask) mask->clear();
    // Blank-separated groups; in each, digits pair up and an odd last digit
    // stands alone: "Ab12f 3" is AB 12 0F 03, as keepalived reads it.
    std::vector<std::string> groups(1);
    for (char c : text) {
        if (c == ' ' || c == '\t') {
            if (!groups.back().empty()) groups.emplace_back();
        } else {
            groups.back() += c;
        }
    }
    const auto nibble = [&](char c, int& value, int& care) {
        if (mask && (c == 'x' || c == 'X')) {
            value = 0;
            care = 0;
            return true;
        }
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
        value = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10);
        care = 0xf;
        return true;
    };
    for (const std::string& group : groups) {
        for (std::size_t i = 0; i < group.size(); i += 2) {
            int high = 0, high_care = 0xf, low = 0, low_care = 0xf;
            if (i + 1 < group.size()) {
                if (!nibble(group[i], high, high_care) || !nibble(group[i + 1], low, low_care)) return false;
            } else if (!nibble(group[i], low, low_care)) {
                return false;
            }
            bytes += static_cast<char>((high << 4) | low);
            if (mask) *mask += static_cast<char>((high_care << 4) | low_care);
        }
    }
    return true;
}

}  // namespace hakeep::checkd
