// HTTP_GET regex (keepalived's, PCRE2): match, regex_no_match, options,
// offsets, the body cap, and a catastrophic pattern on a hostile body that
// ends at PCRE2's match limit instead of stalling; the url keywords read
// from checkd.conf and their errors at FILE:LINE:COL.
#include <criterion/criterion.h>

#include <string>

#include "checkd/config.h"
#include "checkd/http_regex.h"
#include "checkd/http_response.h"
#include "tests/unit/fake_files.h"
#include "tests/unit/expect_text.h"

using namespace hakeep;
using checkd::judge_http_regex;

namespace {

proto::HttpUrl url_with(const std::string& regex) {
    proto::HttpUrl url;
    url.set_path("/");
    url.set_regex(regex);
    return url;
}


config::FakeFiles files_with(const std::string& url_body) {
    return config::FakeFiles{
        {"/c.conf", "check w {\n address 203.0.113.1 80\n HTTP_GET {\n  url {\n   path /\n" + url_body + "  }\n }\n}\n"}};
}

std::string load_error(const std::string& url_body) {
    config::FakeFiles files = files_with(url_body);
    try {
        checkd::load_checkd_config("/c.conf", files);
    } catch (const config::ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

proto::HttpUrl load_url(const std::string& url_body) {
    config::FakeFiles files = files_with(url_body);
    return checkd::load_checkd_config("/c.conf", files).checks.at(0).checkers.at(0).spec.urls(0);
}

}  // namespace

Test(checkd_regex, match_and_no_match) {
    EXPECT_TEXT(judge_http_regex(url_with(""), "anything"), "");
    EXPECT_TEXT(judge_http_regex(url_with("status: (ok|ready)"), "<p>status: ready</p>"), "");
    EXPECT_TEXT(judge_http_regex(url_with("status: (ok|ready)"), "status: broken"), "http: regex not matched");
    proto::HttpUrl reverse = url_with("maintenance");
    reverse.set_regex_no_match(true);
    EXPECT_TEXT(judge_http_regex(reverse, "all good"), "");
    EXPECT_TEXT(judge_http_regex(reverse, "down for maintenance"), "http: regex matched");
}

Test(checkd_regex, options_and_offsets) {
    proto::HttpUrl url = url_with("^READY$");
    EXPECT_TEXT(judge_http_regex(url, "x\nready\n"), "http: regex not matched");
    std::string unknown;
    const auto options = checkd::regex_options_of({"caseless", "multiline"}, unknown);
    cr_assert(options.has_value());
    url.set_regex_options(*options);
    EXPECT_TEXT(judge_http_regex(url, "x\nready\n"), "");
    cr_expect_not(checkd::regex_options_of({"caseless", "bogus"}, unknown).has_value());
    EXPECT_TEXT(unknown, "bogus");

    proto::HttpUrl offsets = url_with("OK");
    offsets.set_regex_min_offset(4);
    EXPECT_TEXT(judge_http_regex(offsets, "OK.........."), "http: regex not matched");
    EXPECT_TEXT(judge_http_regex(offsets, "....OK......"), "");
    EXPECT_TEXT(judge_http_regex(offsets, "OK"), "http: regex not matched");
    offsets.set_regex_max_offset(6);
    EXPECT_TEXT(judge_http_regex(offsets, "......OK...."), "");
    EXPECT_TEXT(judge_http_regex(offsets, ".......OK..."), "http: regex not matched");
}

Test(checkd_regex, only_the_first_mebibyte_is_searched) {
    std::string body(checkd::regex_body_bytes, 'z');
    body += "NEEDLE";
    EXPECT_TEXT(judge_http_regex(url_with("NEEDLE"), body), "http: regex not matched");
    // The parser keeps no more than that either.
    checkd::HttpResponseParser parser(checkd::HttpResponseParser::BodyUse{false, checkd::regex_body_bytes});
    parser.feed("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    cr_expect(parser.feed(body) == checkd::HttpResponseParser::Status::complete);
    cr_expect_eq(parser.kept_body().size(), checkd::regex_body_bytes);
    cr_expect(parser.body_md5_hex().empty(), "no digest asked: no MD5");
}

Test(checkd_regex, catastrophic_backtracking_ends_at_the_match_limit) {
    // (a|a)+$ on 40 a's and a '!': 2^40 paths without a limit.
    const std::string body = std::string(40, 'a') + "!";
    EXPECT_TEXT(judge_http_regex(url_with("^(a|a)+$"), body), "http: regex match limit");
}

Test(checkd_regex, url_keywords_and_errors) {
    const proto::HttpUrl url = load_url(
        "   regex \"Status: [Oo][Kk]\"\n   regex_no_match\n   regex_options caseless dotall\n"
        "   regex_stack 32768 524288\n   regex_min_offset 2\n   regex_max_offset 100\n");
    EXPECT_TEXT(url.regex(), "Status: [Oo][Kk]");
    cr_expect(url.regex_no_match());
    cr_expect_neq(url.regex_options(), 0u);
    cr_expect_eq(url.regex_min_offset(), 2u);
    cr_expect(url.has_regex_max_offset());
    cr_expect_eq(url.regex_max_offset(), 100u);
    cr_expect_not(load_url("   regex x\n").has_regex_max_offset());
    EXPECT_TEXT(load_error("   regex \"a(b\"\n"),
                "/c.conf:6:10: 'regex' does not compile: missing closing parenthesis at offset 3");
    EXPECT_TEXT(load_error("   regex x\n   regex_options caseless shouty\n"),
                "/c.conf:7:4: unknown regex option 'shouty' (allow_empty_class alt_bsux auto_callout caseless "
                "dollar_endonly dotall dupnames extended firstline match_unset_backref multiline never_ucp "
                "never_utf no_auto_capture no_auto_possess no_dotstar_anchor no_start_optimize ucp ungreedy utf "
                "never_backslash_c alt_circumflex alt_verbnames use_offset_limit)");
    EXPECT_TEXT(load_error("   regex_no_match\n"),
                "/c.conf:4:3: regex_no_match, regex_options, regex_stack and the regex offsets need a 'regex'");
    EXPECT_TEXT(load_error("   regex x\n   regex_min_offset 10\n   regex_max_offset 5\n"),
                "/c.conf:8:21: 'regex_max_offset' is below 'regex_min_offset'");
}
