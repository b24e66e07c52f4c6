// checkd.conf: every checker's keywords read into a CheckerSpec with
// keepalived's defaults, and each error at its FILE:LINE:COL.
#include <criterion/criterion.h>

#include <map>
#include <string>

#include "checkd/config.h"
#include "tests/unit/expect_text.h"

using namespace hakeep;

namespace {

class Files final : public config::FileSource {
public:
    explicit Files(std::string text) : text_(std::move(text)) {}
    std::optional<std::string> read(const std::string& path) override {
        if (path != "/c.conf") return std::nullopt;
        return text_;
    }
    std::vector<std::string> expand(const std::string&) override { return {}; }

private:
    std::string text_;
};

checkd::CheckdConfig load(const std::string& text) {
    Files files(text);
    return checkd::load_checkd_config("/c.conf", files);
}

std::string error_of(const std::string& text) {
    try {
        load(text);
    } catch (const config::ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

const proto::CheckerSpec& only_spec(const checkd::CheckdConfig& config) {
    cr_assert_eq(config.checks.size(), 1u);
    cr_assert_eq(config.checks[0].checkers.size(), 1u);
    return config.checks[0].checkers[0].spec;
}

}  // namespace

Test(checkd_config, tcp_defaults_follow_keepalived) {
    const auto config = load("check t {\n address 203.0.113.1 8080\n TCP_CHECK { }\n}\n");
    const proto::CheckerSpec& spec = only_spec(config);
    EXPECT_TEXT(spec.type(), "TCP_CHECK");
    EXPECT_TEXT(spec.address(), "203.0.113.1");
    cr_expect_eq(spec.port(), 8080u);
    cr_expect_eq(spec.connect_timeout_ms(), 5000u);
    cr_expect_eq(spec.retry(), 1u);
    cr_expect_eq(spec.delay_before_retry_ms(), 1000u);
    cr_expect_eq(config.checks[0].delay_loop_ms, 60000);
    cr_expect_not(config.checks[0].checkers[0].warmup_ms.has_value());
}

Test(checkd_config, checker_options_override_the_check) {
    const auto config = load(
        "check t {\n address 203.0.113.1 8080\n delay_loop 0.5\n"
        " TCP_CHECK {\n  connect_ip 2001:db8::5\n  connect_port 9000\n  bindto 198.51.100.1\n"
        "  bind_port 4000\n  connect_timeout 1.5\n  nb_get_retry 4\n  delay_before_retry 0.25\n"
        "  warmup 0\n }\n}\n");
    const proto::CheckerSpec& spec = only_spec(config);
    EXPECT_TEXT(spec.address(), "2001:db8::5");
    cr_expect_eq(spec.port(), 9000u);
    EXPECT_TEXT(spec.bind_address(), "198.51.100.1");
    cr_expect_eq(spec.bind_port(), 4000u);
    cr_expect_eq(spec.connect_timeout_ms(), 1500u);
    cr_expect_eq(spec.retry(), 4u);
    cr_expect_eq(spec.delay_before_retry_ms(), 250u);
    cr_expect_eq(config.checks[0].delay_loop_ms, 500);
    cr_expect_eq(config.checks[0].checkers[0].warmup_ms.value_or(-1), 0);
}

Test(checkd_config, http_urls_status_ranges_digest_virtualhost) {
    const auto config = load(
        "check w {\n address 203.0.113.1\n HTTP_GET {\n  virtualhost www.example.org\n"
        "  url { path /health  status_code 200 300-399 503 }\n"
        "  url {\n   path /x\n   digest 9B3A0C85A887A256D6939DA88AABD8CD\n   virtualhost other\n  }\n"
        "  http_protocol 1.1\n }\n}\n");
    const proto::CheckerSpec& spec = only_spec(config);
    cr_expect_eq(spec.port(), 80u, "HTTP_GET's default port");
    cr_expect_eq(spec.delay_before_retry_ms(), 3000u, "HTTP_GET's default delay_before_retry");
    EXPECT_TEXT(spec.http_protocol(), "1.1");
    cr_expect_not(spec.tls());
    cr_assert_eq(spec.urls_size(), 2);
    const proto::HttpUrl& first = spec.urls(0);
    cr_assert_eq(first.status_size(), 3);
    cr_expect_eq(first.status(1).low(), 300u);
    cr_expect_eq(first.status(1).high(), 399u);
    cr_expect_eq(first.status(2).low(), 503u);
    cr_expect_eq(first.status(2).high(), 503u);
    EXPECT_TEXT(first.virtualhost(), "www.example.org");
    const proto::HttpUrl& second = spec.urls(1);
    cr_assert_eq(second.status_size(), 1, "default 200-299");
    cr_expect_eq(second.status(0).low(), 200u);
    cr_expect_eq(second.status(0).high(), 299u);
    EXPECT_TEXT(second.digest(), "9b3a0c85a887a256d6939da88aabd8cd");
    EXPECT_TEXT(second.virtualhost(), "other");
}

Test(checkd_config, ssl_get_sni_and_verification) {
    const auto config = load(
        "check s {\n address 203.0.113.1\n SSL_GET {\n  url { path /  virtualhost web.test }\n"
        "  enable_sni\n  verify_cert\n  ca_file /etc/hakeep/ca.pem\n }\n}\n");
    const proto::CheckerSpec& spec = only_spec(config);
    cr_expect(spec.tls());
    cr_expect_eq(spec.port(), 443u);
    EXPECT_TEXT(spec.sni_name(), "web.test");
    cr_expect(spec.verify_cert());
    EXPECT_TEXT(spec.ca_file(), "/etc/hakeep/ca.pem");
    EXPECT_TEXT(error_of("check s {\n address 203.0.113.1\n HTTP_GET {\n  url { path / }\n  verify_cert\n }\n}\n"),
                "/c.conf:5:3: 'verify_cert' is an SSL_GET option");
}

Test(checkd_config, dns_smtp_udp_ping_file) {
    auto config = load("check d {\n address 2001:db8::53\n DNS_CHECK { type AAAA  name example.org }\n}\n");
    cr_expect_eq(only_spec(config).dns_type(), 28u);
    EXPECT_TEXT(only_spec(config).dns_name(), "example.org");
    cr_expect_eq(only_spec(config).port(), 53u);
    cr_expect_eq(only_spec(config).retry(), 3u, "DNS_CHECK's default retry");
    config = load("check d {\n address 203.0.113.1\n DNS_CHECK { }\n}\n");
    cr_expect_eq(only_spec(config).dns_type(), 6u, "SOA by default");
    EXPECT_TEXT(only_spec(config).dns_name(), ".");
    config = load("check m {\n address 203.0.113.1\n SMTP_CHECK { helo_name mx.test }\n}\n");
    EXPECT_TEXT(only_spec(config).helo_name(), "mx.test");
    cr_expect_eq(only_spec(config).port(), 25u);
    config = load("check u {\n address 203.0.113.1 7\n UDP_CHECK {\n  payload Ab12f 3\n"
                  "  require_reply AbX2\n  min_reply_length 2\n }\n}\n");
    cr_expect(only_spec(config).payload() == std::string("\xab\x12\x0f\x03", 4));
    cr_expect(only_spec(config).reply_pattern() == std::string("\xab\x02", 2));
    cr_expect(only_spec(config).reply_mask() == std::string("\xff\x0f", 2));
    cr_expect_eq(only_spec(config).max_reply_length(), 255u);
    config = load("check p {\n address 2001:db8::1\n PING_CHECK { }\n}\n");
    cr_expect_eq(only_spec(config).port(), 0u);
    config = load("check f {\n FILE_CHECK {\n  track_file /run/drain\n  weight 10 reverse\n  dynamic\n }\n}\n");
    EXPECT_TEXT(only_spec(config).file_path(), "/run/drain");
    cr_expect_eq(only_spec(config).file_weight(), -10);
    cr_expect(only_spec(config).file_dynamic());
}

Test(checkd_config, misc_check_and_vrrp_script) {
    auto config = load("global_defs {\n script_user daemon\n enable_script_security\n}\n"
                       "check m {\n delay_loop 3\n MISC_CHECK {\n  misc_path \"/usr/bin/check 'a b' c\"\n"
                       "  misc_dynamic\n  user nobody nogroup\n }\n}\n");
    const proto::CheckerSpec& spec = only_spec(config);
    cr_assert_eq(spec.command_size(), 3);
    EXPECT_TEXT(spec.command(1), "a b");
    cr_expect(spec.misc_dynamic());
    EXPECT_TEXT(spec.user(), "nobody:nogroup");
    cr_expect_eq(spec.script_timeout_ms(), 3000u, "misc_timeout defaults to delay_loop");
    cr_expect_eq(spec.retry(), 0u);
    EXPECT_TEXT(config.script_user, "daemon");
    config = load("vrrp_script s {\n script /bin/true\n interval 2\n timeout 1\n weight 10 reverse\n"
                  " init_fail\n}\n");
    const proto::CheckerSpec& script = only_spec(config);
    EXPECT_TEXT(script.type(), "vrrp_script");
    cr_expect_eq(script.script_timeout_ms(), 1000u);
    cr_expect_eq(config.checks[0].script_weight, -10);
    cr_expect(config.checks[0].init_fail);
    cr_expect_eq(config.checks[0].delay_loop_ms, 2000);
}

Test(checkd_config, several_checkers_in_one_check) {
    const auto config = load("check both {\n address 203.0.113.1 80\n TCP_CHECK { }\n"
                             " HTTP_GET { url { path / } }\n}\nnetwork_workers 3\n");
    cr_assert_eq(config.checks[0].checkers.size(), 2u);
    EXPECT_TEXT(config.checks[0].checkers[1].type, "HTTP_GET");
    cr_expect_eq(config.network_workers, 3);
}

Test(checkd_config, alpha_log_all_failures_fast_recovery) {
    const auto config = load(
        "global_defs {\n checker_log_all_failures\n}\n"
        "check a {\n address 203.0.113.1 80\n alpha\n"
        " HTTP_GET {\n  url { path / }\n  fast_recovery\n  log_all_failures no\n }\n"
        " TCP_CHECK {\n  alpha false\n }\n"
        " MISC_CHECK {\n  misc_path /bin/true\n  alpha\n }\n}\n"
        "check b {\n address 203.0.113.2 80\n log_all_failures off\n TCP_CHECK {\n  log_all_failures\n }\n"
        " SMTP_CHECK { }\n}\n");
    cr_assert_eq(config.checks.size(), 2u);
    const auto& a = config.checks[0].checkers;
    cr_assert_eq(a.size(), 3u);
    cr_expect(a[0].alpha, "the check's alpha");
    cr_expect(a[0].fast_recovery);
    cr_expect_not(a[0].log_all_failures, "its own 'no' over global_defs");
    cr_expect_not(a[1].alpha, "alpha false in the checker");
    cr_expect(a[1].log_all_failures, "global_defs checker_log_all_failures");
    cr_expect_not(a[1].fast_recovery);
    cr_expect(a[2].alpha);
    const auto& b = config.checks[1].checkers;
    cr_expect(b[0].log_all_failures);
    cr_expect_not(b[1].log_all_failures, "the check's 'off' over global_defs");
    EXPECT_TEXT(error_of("check a {\n address 203.0.113.1 80\n TCP_CHECK {\n  fast_recovery\n }\n}\n"),
                "/c.conf:4:3: unknown keyword 'fast_recovery' in 'TCP_CHECK'");
    EXPECT_TEXT(error_of("check a {\n address 203.0.113.1 80\n alpha maybe\n TCP_CHECK { }\n}\n"),
                "/c.conf:3:8: 'alpha' must be on/off, true/false, yes/no or 1/0, got 'maybe'");
}

Test(checkd_config, bind_if) {
    const auto config = load(
        "check a {\n address 2001:db8::1 80\n TCP_CHECK {\n  bind_if eth0\n  bindto fe80::1\n }\n}\n");
    EXPECT_TEXT(only_spec(config).bind_if(), "eth0");
    EXPECT_TEXT(only_spec(config).bind_address(), "fe80::1");
    EXPECT_TEXT(error_of("check a {\n address 2001:db8::1 80\n TCP_CHECK {\n  bindto fe80::1\n }\n}\n"),
                "/c.conf:4:10: 'bindto' fe80::1 is link-local: name its interface with 'bind_if'");
    EXPECT_TEXT(error_of("check a {\n address 203.0.113.1 80\n TCP_CHECK {\n  bind_if ../etc\n }\n}\n"),
                "/c.conf:4:11: 'bind_if' must be an interface name (1 to 15 characters, no blank, '/' or ':')");
    EXPECT_TEXT(error_of("check a {\n address 203.0.113.1 80\n TCP_CHECK {\n  bind_if abcdefghijklmnop\n }\n}\n"),
                "/c.conf:4:11: 'bind_if' must be an interface name (1 to 15 characters, no blank, '/' or ':')");
    EXPECT_TEXT(error_of("check a {\n MISC_CHECK {\n  misc_path /bin/true\n  bind_if eth0\n }\n}\n"),
                "/c.conf:4:3: unknown keyword 'bind_if' in 'MISC_CHECK'");
}

Test(checkd_config, fwmark_refused_with_the_reason) {
    EXPECT_TEXT(error_of("check a {\n address 203.0.113.1 80\n TCP_CHECK {\n  fwmark 7\n }\n}\n"),
                "/c.conf:4:3: 'fwmark' is refused: marking a socket (SO_MARK) needs CAP_NET_ADMIN, and checkd "
                "runs without any capability; mark checkd's packets with a firewall rule instead, e.g. nft: "
                "meta skuid <checkd's account> meta mark set 7");
}

Test(checkd_config, tls_compliant_on_ssl_get_only) {
    const auto config = load("check a {\n address 203.0.113.1\n SSL_GET {\n  url { path / }\n  tls_compliant\n }\n}\n");
    cr_expect(only_spec(config).tls_compliant());
    cr_expect_not(only_spec(load("check a {\n address 203.0.113.1\n SSL_GET {\n  url { path / }\n }\n}\n"))
                      .tls_compliant());
    EXPECT_TEXT(error_of("check a {\n address 203.0.113.1\n HTTP_GET {\n  url { path / }\n  tls_compliant\n }\n}\n"),
                "/c.conf:5:3: 'tls_compliant' is an SSL_GET option");
}

Test(checkd_config, ssl_block_applies_to_every_ssl_get) {
    const auto config = load(
        "check a {\n address 203.0.113.1\n SSL_GET {\n  url { path / }\n }\n HTTP_GET {\n  url { path / }\n }\n}\n"
        "check b {\n address 203.0.113.2\n SSL_GET {\n  url { path / }\n  verify_cert\n  ca_file /own.pem\n }\n}\n"
        "SSL {\n password s3cret\n ca /ca.pem\n certificate /client.pem\n key /client.key\n}\n");
    const proto::CheckerSpec& a = config.checks[0].checkers[0].spec;
    EXPECT_TEXT(a.client_cert(), "/client.pem");
    EXPECT_TEXT(a.client_key(), "/client.key");
    EXPECT_TEXT(a.key_password(), "s3cret");
    EXPECT_TEXT(a.ca_file(), "/ca.pem");
    EXPECT_TEXT(config.checks[0].checkers[1].spec.client_cert(), "");  // HTTP_GET presents nothing
    EXPECT_TEXT(config.checks[1].checkers[0].spec.ca_file(), "/own.pem");  // its own ca_file wins
    EXPECT_TEXT(config.checks[1].checkers[0].spec.client_cert(), "/client.pem");
    EXPECT_TEXT(error_of("SSL {\n key /k.pem\n}\n"), "/c.conf:1:1: SSL: 'key' and 'password' need a 'certificate'");
    EXPECT_TEXT(error_of("SSL {\n certificate client.pem\n}\n"), "/c.conf:2:14: 'certificate' must be an absolute path");
}

Test(checkd_config, errors_name_the_place) {
    EXPECT_TEXT(error_of("check t {\n TCP_CHECK { }\n}\n"),
                "/c.conf:2:2: TCP_CHECK needs a target: 'address' in the check, or 'connect_ip'");
    EXPECT_TEXT(error_of("check t {\n address 203.0.113.1\n TCP_CHECK { }\n}\n"),
                "/c.conf:3:2: TCP_CHECK needs a port: 'address ADDRESS PORT' in the check, or 'connect_port'");
    EXPECT_TEXT(error_of("check t {\n address 203.0.113.999 80\n TCP_CHECK { }\n}\n"),
                "/c.conf:2:10: '203.0.113.999' is not an IPv4 or IPv6 address");
    EXPECT_TEXT(error_of("check w {\n address 192.0.2.1\n HTTP_GET { url { path /  status_code 200-99 } }\n}\n"),
                "/c.conf:3:39: 'status_code' takes codes 100..599 or ranges such as 200-299, got '200-99'");
    EXPECT_TEXT(error_of("check w {\n address 192.0.2.1\n HTTP_GET { url { path /  digest abc } }\n}\n"),
                "/c.conf:3:34: 'digest' must be an MD5 sum: 32 hex digits");
    EXPECT_TEXT(error_of("check w {\n address 192.0.2.1\n HTTP_GET { connect_timeout 1 }\n}\n"),
                "/c.conf:3:2: HTTP_GET needs at least one 'url { path ... }'");
    EXPECT_TEXT(error_of("check w {\n address 192.0.2.1\n HTTP_GET { url { path health } }\n}\n"),
                "/c.conf:3:24: 'path' must start with '/' and hold no blank or control character");
    EXPECT_TEXT(error_of("check d {\n address 192.0.2.1\n DNS_CHECK { type PTR }\n}\n"),
                "/c.conf:3:19: 'type' must be one of A, NS, CNAME, SOA, MX, TXT, AAAA, got 'PTR'");
    EXPECT_TEXT(error_of("check m {\n MISC_CHECK { misc_path check.sh }\n}\n"),
                "/c.conf:2:25: 'misc_path' must start with an absolute path");
    EXPECT_TEXT(error_of("check u {\n address 192.0.2.1 7\n UDP_CHECK { payload 0g }\n}\n"),
                "/c.conf:3:22: 'payload' must be hex digits");
    EXPECT_TEXT(error_of("check t {\n address 192.0.2.1 1\n TCP_CHECK { misc_dynamic }\n}\n"),
                "/c.conf:3:14: unknown keyword 'misc_dynamic' in 'TCP_CHECK'");
    EXPECT_TEXT(error_of("check t {\n address 192.0.2.1 1\n delay_loop 0\n TCP_CHECK { }\n}\n"),
                "/c.conf:3:13: 'delay_loop' must be a number in 0.01..86400 with at most 3 decimals, got '0'");
}

Test(checkd_config, split_command_like_keepalived) {
    const auto split = checkd::split_command({"/bin/x  -a \"b c\" 'd'"});
    cr_assert_eq(split.size(), 4u);
    EXPECT_TEXT(split[2], "b c");
    EXPECT_TEXT(split[3], "d");
    cr_expect_eq(checkd::split_command({"/bin/x", "a b"}).size(), 2u, "unquoted words stay as they are");
}
