// Lexer, parser and value helpers of common/config: every syntax form, every
// error with its exact "FILE:LINE:COL: message", includes through a fake
// FileSource, and DiskFileSource against real files.
#include <criterion/criterion.h>
#include <fnmatch.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "tests/unit/fake_files.h"
#include "common/config_lexer.h"

using namespace hakeep::config;

// Criterion evaluates its arguments more than once, so temporaries are pinned first.
#define EXPECT_STR(actual, expected)                                \
    do {                                                            \
        const std::string actual_text_ = (actual);                  \
        const std::string expected_text_ = (expected);              \
        cr_assert_str_eq(actual_text_.c_str(), expected_text_.c_str()); \
    } while (0)
#define EXPECT_WORDS(actual, ...) \
    cr_assert(texts(actual) == std::vector<std::string>(__VA_ARGS__), "got [%s]", \
              joined(texts(actual)).c_str())

namespace {

// Files in memory; expand() matches like glob(3), in sorted order because
// std::map is.

template <typename Action>
std::string error_of(Action&& action) {
    try {
        action();
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "(no error)";
}

std::vector<Token> tokenize(std::string_view text) {
    Lexer lexer("t.conf", text);
    std::vector<Token> tokens;
    while (lexer.peek()) tokens.push_back(lexer.next());
    return tokens;
}

std::string lex_error(std::string_view text) {
    return error_of([&] { tokenize(text); });
}

std::vector<std::string> texts(const std::vector<Token>& tokens) {
    std::vector<std::string> result;
    for (const Token& token : tokens) result.push_back(token.word.text);
    return result;
}

std::vector<std::string> texts(const std::vector<Word>& words) {
    std::vector<std::string> result;
    for (const Word& word : words) result.push_back(word.text);
    return result;
}

std::vector<std::string> texts(const std::vector<ConfigNode>& nodes) {
    std::vector<std::string> result;
    for (const ConfigNode& node : nodes) result.push_back(node.keyword.text);
    return result;
}

std::string joined(const std::vector<std::string>& words) {
    std::string result;
    for (const std::string& word : words) result += (result.empty() ? "" : "|") + word;
    return result;
}

// ---- Schemas. The syntax schema exercises every arity; the daemon ones
// ---- resemble checkd, ipvsd and vrrpd for the DESIGN.md §3 examples.

constexpr KeywordSpec one{.min_args = 1, .max_args = 1};
constexpr KeywordSpec none{};

const Schema& syntax_inner() {
    static const Schema schema{{
        {"one", one},
        {"flag", none},
        {"once", {.min_args = 1, .max_args = 1, .repeatable = false}},
    }};
    return schema;
}

const Schema& loose_schema() {
    static const Schema schema{{{"one", one}, {"flag", none}}, true};
    return schema;
}

const Schema& syntax_schema() {
    static const Schema schema{{
        {"one", one},
        {"flag", none},
        {"pair", {.min_args = 1, .max_args = 2}},
        {"two", {.min_args = 2, .max_args = 2}},
        {"three_plus", {.min_args = 3, .max_args = unbounded}},
        {"words", {.min_args = 0, .max_args = unbounded}},
        {"once", {.min_args = 1, .max_args = 1, .repeatable = false}},
        {"blk", {.max_args = 1, .block = BlockKind::required, .children = &syntax_inner()}},
        {"maybe", {.max_args = 1, .block = BlockKind::optional, .children = &syntax_inner()}},
        {"list", {.block = BlockKind::required}},
        {"loose",
         {.max_args = unbounded, .block = BlockKind::required, .children = &loose_schema()}},
    }};
    return schema;
}

const Schema& url_schema() {
    static const Schema schema{{{"path", one}, {"status_code", one}}};
    return schema;
}

const Schema& http_get_schema() {
    static const Schema schema{{
        {"url", {.block = BlockKind::required, .children = &url_schema()}},
        {"connect_timeout", one},
    }};
    return schema;
}

const Schema& check_schema() {
    static const Schema schema{{
        {"address", {.min_args = 1, .max_args = 2, .repeatable = false}},
        {"delay_loop", one},
        {"rise", one},
        {"fall", one},
        {"HTTP_GET", {.block = BlockKind::required, .children = &http_get_schema()}},
    }};
    return schema;
}

const Schema& vrrp_script_schema() {
    static const Schema schema{{
        {"script", one},
        {"interval", one},
        {"timeout", one},
        {"rise", one},
        {"fall", one},
        {"user", {.min_args = 1, .max_args = 2}},
    }};
    return schema;
}

const Schema& real_server_schema() {
    static const Schema schema{{{"weight", one}, {"track_check", one}}};
    return schema;
}

const Schema& virtual_server_schema() {
    static const Schema schema{{
        {"lb_algo", one},
        {"lb_kind", one},
        {"protocol", one},
        {"persistence_timeout", one},
        {"quorum", one},
        {"real_server",
         {.min_args = 2, .max_args = 2, .block = BlockKind::optional,
          .children = &real_server_schema()}},
    }};
    return schema;
}

const Schema& vrrp_instance_schema() {
    static const Schema schema{{
        {"state", one},
        {"interface", one},
        {"virtual_router_id", one},
        {"priority", {.min_args = 1, .max_args = 1, .repeatable = false}},
        {"advert_int", one},
        {"nopreempt", none},
        {"notify_master", {.min_args = 1, .max_args = unbounded}},
        {"virtual_ipaddress", {.block = BlockKind::required}},
        {"track_script", {.block = BlockKind::required}},
    }};
    return schema;
}

const Schema& daemon_schema() {
    static const Schema schema{{
        {"check", {.min_args = 1, .max_args = 1, .block = BlockKind::required,
                   .children = &check_schema()}},
        {"vrrp_script", {.min_args = 1, .max_args = 1, .block = BlockKind::required,
                         .children = &vrrp_script_schema()}},
        {"virtual_server", {.min_args = 2, .max_args = 2, .block = BlockKind::required,
                            .children = &virtual_server_schema()}},
        {"vrrp_instance", {.min_args = 1, .max_args = 1, .block = BlockKind::required,
                           .children = &vrrp_instance_schema()}},
    }};
    return schema;
}

ParsedConfig parse(std::string_view text, const Schema& schema = syntax_schema()) {
    FakeFiles files;
    return parse_text("t.conf", text, schema, files);
}

std::string parse_error(std::string_view text, const Schema& schema = syntax_schema()) {
    return error_of([&] { parse(text, schema); });
}

std::string parse_error(FakeFiles& files, const std::string& path,
                        const Schema& schema = syntax_schema()) {
    return error_of([&] { parse_file(path, schema, files); });
}

// A node made by hand, for the value helpers.
ConfigNode node_with(const std::string& keyword, const std::vector<std::string>& args) {
    ConfigNode node;
    node.keyword = Word{keyword, SourceLocation{"v.conf", 3, 5}};
    int column = 5 + static_cast<int>(keyword.size()) + 1;
    for (const std::string& arg : args) {
        node.args.push_back(Word{arg, SourceLocation{"v.conf", 3, column}});
        column += static_cast<int>(arg.size()) + 1;
    }
    return node;
}

std::string value_error(const std::function<void()>& action) { return error_of(action); }

}  // namespace

// ===================================================================== lexer

Test(config_lexer, words_carry_file_line_column_and_line_starts) {
    const auto tokens = tokenize("alpha beta\n  gamma\n\n delta");
    EXPECT_WORDS(tokens, {"alpha", "beta", "gamma", "delta"});
    EXPECT_STR(tokens[0].word.where.to_string(), "t.conf:1:1");
    EXPECT_STR(tokens[1].word.where.to_string(), "t.conf:1:7");
    EXPECT_STR(tokens[2].word.where.to_string(), "t.conf:2:3");
    EXPECT_STR(tokens[3].word.where.to_string(), "t.conf:4:2");
    cr_assert(tokens[0].starts_line);
    cr_assert(!tokens[1].starts_line);
    cr_assert(tokens[2].starts_line);
    cr_assert(tokens[3].starts_line);
    cr_assert(!tokens[0].word.quoted);
}

Test(config_lexer, tab_is_one_column) {
    const auto tokens = tokenize("\tkey\t\tvalue");
    EXPECT_STR(tokens[0].word.where.to_string(), "t.conf:1:2");
    EXPECT_STR(tokens[1].word.where.to_string(), "t.conf:1:7");
}

Test(config_lexer, crlf_line_ends_are_tolerated) {
    const auto tokens = tokenize("one 1\r\ntwo \"x\"\r\n");
    EXPECT_WORDS(tokens, {"one", "1", "two", "x"});
    EXPECT_STR(tokens[2].word.where.to_string(), "t.conf:2:1");
    cr_assert(tokens[2].starts_line);
}

Test(config_lexer, lone_carriage_return_is_blank) {
    EXPECT_WORDS(tokenize("a\rb"), {"a", "b"});
}

Test(config_lexer, braces_are_tokens_even_when_glued) {
    const auto tokens = tokenize("blk{one 1}}{");
    EXPECT_WORDS(tokens, {"blk", "{", "one", "1", "}", "}", "{"});
    cr_assert_eq(tokens[1].kind, TokenKind::open_brace);
    cr_assert_eq(tokens[4].kind, TokenKind::close_brace);
    cr_assert_eq(tokens[2].kind, TokenKind::word);
    EXPECT_STR(tokens[1].word.where.to_string(), "t.conf:1:4");
    EXPECT_STR(tokens[5].word.where.to_string(), "t.conf:1:11");
}

Test(config_lexer, comments_start_only_at_the_start_of_a_token) {
    const auto tokens = tokenize("# whole line\n"
                                 "! also whole line\n"
                                 "a # rest\n"
                                 "b ! rest\n"
                                 "c#not!comment\n"
                                 "{# after a brace\n"
                                 "  # indented\n"
                                 "\"#quoted\"");
    EXPECT_WORDS(tokens, {"a", "b", "c#not!comment", "{", "#quoted"});
    EXPECT_STR(tokens[0].word.where.to_string(), "t.conf:3:1");
}

Test(config_lexer, quoted_strings_keep_blanks_braces_and_escapes) {
    const auto tokens =
        tokenize(R"(script "/bin/check a b" "{ # }" "say \"hi\"" "c:\\dir" "\d+" "")");
    EXPECT_WORDS(tokens,
                 {"script", "/bin/check a b", "{ # }", "say \"hi\"", "c:\\dir", "\\d+", ""});
    cr_assert(tokens[1].word.quoted);
    cr_assert(tokens[6].word.quoted);
    cr_assert_eq(tokens[2].kind, TokenKind::word);
    EXPECT_STR(tokens[1].word.where.to_string(), "t.conf:1:8");
}

Test(config_lexer, a_quote_inside_a_word_is_an_ordinary_character) {
    EXPECT_WORDS(tokenize("a\"b c"), {"a\"b", "c"});
}

Test(config_lexer, a_word_after_a_closing_quote_is_a_new_token) {
    const auto tokens = tokenize("\"a\"b");
    EXPECT_WORDS(tokens, {"a", "b"});
    cr_assert(!tokens[1].starts_line);
}

Test(config_lexer, empty_input_has_no_tokens) {
    cr_assert(tokenize("").empty());
    cr_assert(tokenize("\n\n  # only a comment\n").empty());
}

Test(config_lexer, unterminated_quote_is_reported_at_the_opening_quote) {
    EXPECT_STR(lex_error("ok\n  script \"/bin/x\n\"next\""),
               "t.conf:2:10: unterminated quoted string");
}

Test(config_lexer, escaped_final_quote_leaves_the_string_unterminated) {
    EXPECT_STR(lex_error("x \"abc\\\""), "t.conf:1:3: unterminated quoted string");
}

Test(config_lexer, line_of_4096_bytes_is_accepted) {
    const std::string line(max_line_bytes, 'x');
    cr_assert_eq(tokenize(line + "\r\n").size(), 1u);
}

Test(config_lexer, line_longer_than_4096_bytes_is_refused) {
    const std::string line(max_line_bytes + 1, 'x');
    EXPECT_STR(lex_error("a\n" + line), "t.conf:2:4097: line too long");
}

Test(config_lexer, nul_byte_is_refused) {
    EXPECT_STR(lex_error(std::string_view("a\nbc\0d", 6)), "t.conf:2:3: unexpected NUL byte");
}

// ============================================================ parser: syntax

Test(config_parser, statements_with_args_and_locations) {
    const auto config = parse("one 1\npair a b\nflag\n");
    EXPECT_WORDS(config.statements, {"one", "pair", "flag"});
    EXPECT_WORDS(config.statements[1].args, {"a", "b"});
    EXPECT_STR(config.statements[1].where().to_string(), "t.conf:2:1");
    EXPECT_STR(config.statements[1].args[1].where.to_string(), "t.conf:2:8");
    cr_assert(!config.statements[0].has_block);
    cr_assert(config.statements[2].args.empty());
}

Test(config_parser, bounded_statements_share_a_line) {
    const auto config = parse("one 1  flag  pair a b  two x y  one 2");
    EXPECT_WORDS(config.statements, {"one", "flag", "pair", "two", "one"});
    EXPECT_WORDS(config.statements[2].args, {"a", "b"});
    EXPECT_WORDS(config.statements[3].args, {"x", "y"});
}

Test(config_parser, optional_args_stop_at_a_keyword) {
    const auto config = parse("pair a one 1");
    EXPECT_WORDS(config.statements, {"pair", "one"});
    EXPECT_WORDS(config.statements[0].args, {"a"});
}

Test(config_parser, required_args_are_taken_even_when_they_are_keywords) {
    const auto config = parse("one flag\ntwo pair one");
    EXPECT_WORDS(config.statements, {"one", "two"});
    EXPECT_WORDS(config.statements[0].args, {"flag"});
    EXPECT_WORDS(config.statements[1].args, {"pair", "one"});
}

Test(config_parser, unbounded_args_stop_at_end_of_line) {
    const auto config = parse("words a b c\nwords\nthree_plus 1 2 3 4 5\none 1");
    EXPECT_WORDS(config.statements, {"words", "words", "three_plus", "one"});
    EXPECT_WORDS(config.statements[0].args, {"a", "b", "c"});
    cr_assert(config.statements[1].args.empty());
    EXPECT_WORDS(config.statements[2].args, {"1", "2", "3", "4", "5"});
}

Test(config_parser, include_is_a_keyword_of_every_block) {
    FakeFiles files({{"/e/x.conf", "flag"}});
    const auto config = parse_text("/e/t.conf", "words a b include x.conf", syntax_schema(), files);
    EXPECT_WORDS(config.statements, {"words", "flag"});
    EXPECT_WORDS(config.statements[0].args, {"a", "b"});
}

Test(config_parser, unbounded_args_stop_at_a_keyword) {
    const auto config = parse("words a \"one\" b one 1  flag");
    EXPECT_WORDS(config.statements, {"words", "one", "flag"});
    EXPECT_WORDS(config.statements[0].args, {"a", "one", "b"});
    cr_assert(config.statements[0].args[1].quoted);
}

Test(config_parser, unbounded_args_stop_at_a_brace) {
    const auto config = parse("loose a b { c d\n}\n");
    EXPECT_WORDS(config.statements[0].args, {"a", "b"});
    cr_assert(config.statements[0].has_block);
    EXPECT_WORDS(config.statements[0].children, {"c"});
    EXPECT_WORDS(config.statements[0].children[0].args, {"d"});
}

Test(config_parser, blocks_nest_and_close_on_the_same_line) {
    const auto config = parse("blk x { one 1  flag }  one 2\nmaybe\nmaybe { }\n");
    EXPECT_WORDS(config.statements, {"blk", "one", "maybe", "maybe"});
    const ConfigNode& blk = config.statements[0];
    cr_assert(blk.has_block);
    EXPECT_WORDS(blk.args, {"x"});
    EXPECT_WORDS(blk.children, {"one", "flag"});
    cr_assert(!config.statements[2].has_block);
    cr_assert(config.statements[3].has_block);
    cr_assert(config.statements[3].children.empty());
}

Test(config_parser, opening_brace_may_be_on_the_next_line) {
    const auto config = parse("blk x\n{\n    one 1\n}\n");
    cr_assert(config.statements[0].has_block);
    EXPECT_WORDS(config.statements[0].children, {"one"});
}

Test(config_parser, list_block_takes_each_line_as_one_entry) {
    const auto config = parse("list {\n"
                              "    192.0.2.100/24 dev eth0 label eth0:1\n"
                              "    one flag   # keywords mean nothing in a list\n"
                              "    192.0.2.101/24\n"
                              "}\n");
    const ConfigNode& list = config.statements[0];
    cr_assert(list.has_block);
    EXPECT_WORDS(list.children, {"192.0.2.100/24", "one", "192.0.2.101/24"});
    EXPECT_WORDS(list.children[0].args, {"dev", "eth0", "label", "eth0:1"});
    EXPECT_WORDS(list.children[1].args, {"flag"});
    EXPECT_STR(list.children[2].where().to_string(), "t.conf:4:5");
}

Test(config_parser, one_line_list_block) {
    const auto config = parse("list { chk_haproxy weight -20 }  one 1");
    EXPECT_WORDS(config.statements, {"list", "one"});
    EXPECT_WORDS(config.statements[0].children, {"chk_haproxy"});
    EXPECT_WORDS(config.statements[0].children[0].args, {"weight", "-20"});
}

Test(config_parser, list_entries_may_start_on_the_brace_line) {
    const auto config = parse("list { a b\n c\n d }");
    EXPECT_WORDS(config.statements[0].children, {"a", "c", "d"});
    EXPECT_WORDS(config.statements[0].children[0].args, {"b"});
}

Test(config_parser, comments_and_quoted_words_in_statements) {
    const auto config = parse("! keepalived style\n"
                              "one \"a b # c\"   # trailing\n"
                              "words \"x\\\"y\" z  ! trailing too\n");
    EXPECT_WORDS(config.statements, {"one", "words"});
    EXPECT_STR(config.statements[0].string_arg(), "a b # c");
    cr_assert(config.statements[0].args[0].quoted);
    EXPECT_WORDS(config.statements[1].args, {"x\"y", "z"});
}

Test(config_parser, crlf_file_parses_like_lf) {
    const auto config = parse("blk x {\r\n  one 1\r\n}\r\n");
    EXPECT_WORDS(config.statements[0].children, {"one"});
    EXPECT_WORDS(config.statements[0].children[0].args, {"1"});
}

Test(config_parser, unknown_keywords_are_kept_where_allowed) {
    const auto config = parse("loose {\n"
                              "    smtp_alert\n"
                              "    notify_fifo /run/fifo root\n"
                              "    one 1  flag\n"
                              "    sync { a b { c } \n d }\n"
                              "}\n");
    const ConfigNode& loose = config.statements[0];
    EXPECT_WORDS(loose.children, {"smtp_alert", "notify_fifo", "one", "flag", "sync"});
    EXPECT_WORDS(loose.children[1].args, {"/run/fifo", "root"});
    const ConfigNode& sync = loose.children[4];
    cr_assert(sync.has_block);
    EXPECT_WORDS(sync.children, {"a", "d"});
    EXPECT_WORDS(sync.children[0].args, {"b"});
    cr_assert(sync.children[0].has_block);
    EXPECT_WORDS(sync.children[0].children, {"c"});
}

Test(config_parser, unknown_keyword_eats_keywords_to_end_of_line) {
    const auto config = parse("loose {\n  foo bar one 1\n}");
    EXPECT_WORDS(config.statements[0].children, {"foo"});
    EXPECT_WORDS(config.statements[0].children[0].args, {"bar", "one", "1"});
}

Test(config_parser, repeatable_keywords_repeat_and_find_returns_the_last) {
    const auto config = parse("blk x { one 1\n one 2\n flag }");
    const ConfigNode& blk = config.statements[0];
    cr_assert_eq(blk.find_all("one").size(), 2u);
    EXPECT_STR(blk.find_all("one")[0]->string_arg(), "1");
    EXPECT_STR(blk.find("one")->string_arg(), "2");
    cr_assert_not_null(blk.find("flag"));
    cr_assert_null(blk.find("once"));
    cr_assert(blk.find_all("once").empty());
}

Test(config_parser, once_per_block_not_once_per_file) {
    const auto config = parse("once 1\nblk a { once 2 }\nblk b { once 3 }");
    cr_assert_eq(config.statements.size(), 3u);
}

Test(config_parser, parse_text_lists_its_name_as_the_first_file) {
    const auto config = parse("one 1");
    cr_assert_eq(config.files.size(), 1u);
    EXPECT_STR(config.files[0], "t.conf");
}

// ================================================== parser: DESIGN.md §3

Test(config_design, checkd_example) {
    const auto config = parse(R"(# checkd.conf
check web1 {
    address 203.0.113.11 8080        # default target of its checkers
    delay_loop 2                     # seconds between checks
    rise 2                           # successes needed to go UP (default 1)
    fall 3                           # failures needed to go DOWN (default 1)
    HTTP_GET {
        url { path /health  status_code 200 }
        connect_timeout 1
    }
}
vrrp_script chk_haproxy {             # keepalived-compatible script tracker
    script "/usr/local/bin/check-haproxy"
    interval 2  timeout 1  rise 2  fall 2  user hakeep-check
}
)",
                              daemon_schema());
    EXPECT_WORDS(config.statements, {"check", "vrrp_script"});
    const ConfigNode& check = config.statements[0];
    EXPECT_STR(check.string_arg(), "web1");
    EXPECT_WORDS(check.children, {"address", "delay_loop", "rise", "fall", "HTTP_GET"});
    EXPECT_WORDS(check.find("address")->args, {"203.0.113.11", "8080"});
    cr_assert_eq(check.find("fall")->int_arg(0, 1, 100), 3);
    const ConfigNode* http = check.find("HTTP_GET");
    EXPECT_WORDS(http->children, {"url", "connect_timeout"});
    const ConfigNode* url = http->find("url");
    EXPECT_WORDS(url->children, {"path", "status_code"});
    EXPECT_STR(url->find("path")->string_arg(), "/health");
    cr_assert_eq(url->find("status_code")->int_arg(0, 100, 599), 200);
    EXPECT_STR(url->find("status_code")->where().to_string(), "t.conf:8:29");

    const ConfigNode& script = config.statements[1];
    EXPECT_STR(script.string_arg(), "chk_haproxy");
    EXPECT_WORDS(script.children, {"script", "interval", "timeout", "rise", "fall", "user"});
    EXPECT_STR(script.find("script")->string_arg(), "/usr/local/bin/check-haproxy");
    EXPECT_WORDS(script.find("user")->args, {"hakeep-check"});
    EXPECT_STR(script.find("timeout")->where().to_string(), "t.conf:14:17");
}

Test(config_design, ipvsd_example) {
    const auto config = parse(R"(# ipvsd.conf
virtual_server 192.0.2.100 80 {
    lb_algo wrr                      # also lvs_sched; every kernel scheduler
    lb_kind NAT                      # also lvs_method; NAT | DR | TUN
    protocol TCP
    persistence_timeout 0
    quorum 1
    real_server 203.0.113.11 8080 { weight 3  track_check web1 }
    real_server 203.0.113.12 8080 { weight 1  track_check web2 }
}
)",
                              daemon_schema());
    const ConfigNode& vs = config.statements[0];
    EXPECT_WORDS(vs.args, {"192.0.2.100", "80"});
    EXPECT_WORDS(vs.children, {"lb_algo", "lb_kind", "protocol", "persistence_timeout",
                               "quorum", "real_server", "real_server"});
    EXPECT_STR(vs.find("lb_kind")->choice_arg(0, {"NAT", "DR", "TUN"}), "NAT");
    const auto servers = vs.find_all("real_server");
    cr_assert_eq(servers.size(), 2u);
    EXPECT_WORDS(servers[0]->args, {"203.0.113.11", "8080"});
    EXPECT_WORDS(servers[0]->children, {"weight", "track_check"});
    cr_assert_eq(servers[0]->find("weight")->int_arg(0, 0, 65535), 3);
    EXPECT_STR(servers[1]->find("track_check")->string_arg(), "web2");
    EXPECT_STR(servers[1]->find("track_check")->where().to_string(), "t.conf:9:47");
}

Test(config_design, vrrpd_example) {
    const auto config = parse(R"(# vrrpd.conf
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 110
    advert_int 1                     # v3: 0.01 .. 40.95
    nopreempt
    virtual_ipaddress { 192.0.2.100/24 }
    track_script { chk_haproxy weight -20 }   # any checkd check or vrrp_script by name
}
)",
                              daemon_schema());
    const ConfigNode& vi = config.statements[0];
    EXPECT_STR(vi.string_arg(), "VI_1");
    EXPECT_WORDS(vi.children, {"state", "interface", "virtual_router_id", "priority",
                               "advert_int", "nopreempt", "virtual_ipaddress", "track_script"});
    cr_assert_eq(vi.find("priority")->int_arg(0, 1, 254), 110);
    cr_assert_eq(vi.find("advert_int")->fixed_arg(0, 2, 1, 4095), 100);
    cr_assert(vi.find("nopreempt")->args.empty());
    EXPECT_WORDS(vi.find("virtual_ipaddress")->children, {"192.0.2.100/24"});
    const ConfigNode* track = vi.find("track_script");
    EXPECT_WORDS(track->children, {"chk_haproxy"});
    EXPECT_WORDS(track->children[0].args, {"weight", "-20"});
}

Test(config_design, notify_takes_words_to_end_of_line_but_stops_at_a_keyword) {
    const auto config = parse("vrrp_instance VI_1 {\n"
                              "    notify_master /bin/up --verbose  priority 100\n"
                              "    notify_master \"/bin/up now\" virtual_ipaddress\n"
                              "    { 192.0.2.1 }\n"
                              "}\n",
                              daemon_schema());
    const ConfigNode& vi = config.statements[0];
    EXPECT_WORDS(vi.children, {"notify_master", "priority", "notify_master", "virtual_ipaddress"});
    EXPECT_WORDS(vi.children[0].args, {"/bin/up", "--verbose"});
    EXPECT_WORDS(vi.children[2].args, {"/bin/up now"});
}

// ================================================================= includes

Test(config_include, included_statements_belong_to_the_including_block) {
    FakeFiles files({
        {"/etc/hakeep/vrrpd.conf", "vrrp_instance VI_1 {\n"
                                   "    state BACKUP\n"
                                   "    include vi1/*.conf\n"
                                   "    nopreempt\n"
                                   "}\n"},
        {"/etc/hakeep/vi1/b.conf", "priority 110\n"},
        {"/etc/hakeep/vi1/a.conf", "interface eth0\n"},
        {"/etc/hakeep/vi1/skip.txt", "garbage here\n"},
    });
    const auto config = parse_file("/etc/hakeep/vrrpd.conf", daemon_schema(), files);
    const ConfigNode& vi = config.statements[0];
    EXPECT_WORDS(vi.children, {"state", "interface", "priority", "nopreempt"});
    EXPECT_STR(vi.find("priority")->where().to_string(), "/etc/hakeep/vi1/b.conf:1:1");
    cr_assert(files.patterns == std::vector<std::string>{"/etc/hakeep/vi1/*.conf"});
    cr_assert(config.files == (std::vector<std::string>{"/etc/hakeep/vrrpd.conf",
                                                         "/etc/hakeep/vi1/a.conf",
                                                         "/etc/hakeep/vi1/b.conf"}));
}

Test(config_include, top_level_include_and_nested_relative_paths) {
    FakeFiles files({
        {"/etc/hakeep/main.conf", "one 1\ninclude sub/first.conf\none 4\n"},
        {"/etc/hakeep/sub/first.conf", "one 2\ninclude deeper/second.conf\n"},
        {"/etc/hakeep/sub/deeper/second.conf", "one 3\n"},
    });
    const auto config = parse_file("/etc/hakeep/main.conf", syntax_schema(), files);
    std::vector<std::string> values;
    for (const ConfigNode& node : config.statements) values.push_back(node.string_arg());
    cr_assert(values == (std::vector<std::string>{"1", "2", "3", "4"}));
    EXPECT_STR(config.statements[2].where().to_string(), "/etc/hakeep/sub/deeper/second.conf:1:1");
}

Test(config_include, absolute_and_quoted_patterns) {
    FakeFiles files({
        {"/a/main.conf", "include /b/x.conf\ninclude \"/c/with space.conf\"\n"},
        {"/b/x.conf", "one 1\n"},
        {"/c/with space.conf", "one 2\n"},
    });
    const auto config = parse_file("/a/main.conf", syntax_schema(), files);
    cr_assert_eq(config.statements.size(), 2u);
}

Test(config_include, relative_to_a_name_without_a_folder) {
    FakeFiles files({{"other.conf", "flag\n"}});
    const auto config = parse_text("t.conf", "include other.conf", syntax_schema(), files);
    EXPECT_WORDS(config.statements, {"flag"});
}

Test(config_include, inside_a_list_block) {
    FakeFiles files({{"/e/vips.conf", "192.0.2.2/24 dev eth1\n192.0.2.3/24\n"}});
    const auto config =
        parse_text("/e/t.conf", "list {\n 192.0.2.1/24\n include vips.conf\n}", syntax_schema(),
                   files);
    EXPECT_WORDS(config.statements[0].children, {"192.0.2.1/24", "192.0.2.2/24", "192.0.2.3/24"});
}

Test(config_include, wildcard_matching_nothing_is_fine) {
    FakeFiles files({{"/e/main.conf", "include conf.d/*.conf\none 1\n"}});
    const auto config = parse_file("/e/main.conf", syntax_schema(), files);
    EXPECT_WORDS(config.statements, {"one"});
    cr_assert(files.patterns == std::vector<std::string>{"/e/conf.d/*.conf"});
}

Test(config_include, glob_characters_question_mark_and_class) {
    FakeFiles files({
        {"/e/main.conf", "include n?.conf\ninclude [xy].conf\n"},
        {"/e/n1.conf", "one 1\n"},
        {"/e/y.conf", "one 2\n"},
    });
    cr_assert_eq(parse_file("/e/main.conf", syntax_schema(), files).statements.size(), 2u);
}

Test(config_include, depth_of_16_is_allowed) {
    FakeFiles files;
    for (int i = 0; i < 16; ++i)
        files.add("/d/" + std::to_string(i) + ".conf",
                  "include " + std::to_string(i + 1) + ".conf");
    files.add("/d/16.conf", "flag\n");
    cr_assert_eq(parse_file("/d/0.conf", syntax_schema(), files).statements.size(), 1u);
}

Test(config_include, depth_of_17_is_refused) {
    FakeFiles files;
    for (int i = 0; i < 17; ++i)
        files.add("/d/" + std::to_string(i) + ".conf",
                  "include " + std::to_string(i + 1) + ".conf");
    files.add("/d/17.conf", "flag\n");
    EXPECT_STR(parse_error(files, "/d/0.conf"),
               "/d/16.conf:1:1: include nested too deeply (loop?)");
}

Test(config_include, loop_is_an_error_not_a_hang) {
    FakeFiles files({{"/l/a.conf", "one 1\n  include b.conf\n"}, {"/l/b.conf", "include a.conf"}});
    EXPECT_STR(parse_error(files, "/l/a.conf"),
               "/l/a.conf:2:3: include nested too deeply (loop?)");
}

Test(config_include, missing_literal_file_is_an_error) {
    FakeFiles files({{"/e/main.conf", "one 1\n\tinclude missing.conf\n"}});
    EXPECT_STR(parse_error(files, "/e/main.conf"),
               "/e/main.conf:2:2: cannot open include file '/e/missing.conf': "
               "No such file or directory");
}

Test(config_include, unreadable_match_of_a_wildcard_is_an_error) {
    // A fake whose expand() names a file that read() cannot find: a race on disk.
    class RacyFiles final : public FileSource {
    public:
        std::optional<std::string> read(const std::string& path) override {
            if (path == "/r/main.conf") return std::string("include *.conf");
            return std::nullopt;
        }
        std::vector<std::string> expand(const std::string&) override { return {"/r/gone.conf"}; }
        std::string last_error() const override { return "Permission denied"; }
    };
    RacyFiles files;
    EXPECT_STR(error_of([&] { parse_file("/r/main.conf", syntax_schema(), files); }),
               "/r/main.conf:1:1: cannot open include file '/r/gone.conf': Permission denied");
}

Test(config_include, needs_a_pattern) {
    EXPECT_STR(parse_error("one 1\ninclude\none 2"), "t.conf:2:1: 'include' needs a value");
    EXPECT_STR(parse_error("blk x { include }"), "t.conf:1:9: 'include' needs a value");
}

Test(config_include, takes_exactly_one_pattern) {
    EXPECT_STR(parse_error("include a.conf b.conf"),
               "t.conf:1:16: 'include' takes one pattern (quote it if it contains spaces)");
}

Test(config_include, does_not_take_a_block) {
    EXPECT_STR(parse_error("include a.conf {"), "t.conf:1:16: 'include' does not take a block");
}

Test(config_include, may_end_a_one_line_block) {
    FakeFiles files({{"/e/in.conf", "one 7"}});
    const auto config =
        parse_text("/e/t.conf", "blk x { include in.conf }", syntax_schema(), files);
    EXPECT_STR(config.statements[0].find("one")->string_arg(), "7");
}

Test(config_include, given_twice_across_files) {
    FakeFiles files({
        {"/e/main.conf", "blk x {\n  once 1\n  include more.conf\n}\n"},
        {"/e/more.conf", "\n  once 2\n"},
    });
    EXPECT_STR(parse_error(files, "/e/main.conf"),
               "/e/more.conf:2:3: 'once' given twice (first at /e/main.conf:2:3)");
}

Test(config_include, an_included_file_cannot_close_the_block) {
    FakeFiles files({{"/e/main.conf", "blk x {\n  include more.conf\n}\n"},
                     {"/e/more.conf", "one 1\n}\n"}});
    EXPECT_STR(parse_error(files, "/e/main.conf"), "/e/more.conf:2:1: unexpected '}'");
}

Test(config_include, an_included_file_must_close_its_own_blocks) {
    FakeFiles files({{"/e/main.conf", "include more.conf\none 1\n"},
                     {"/e/more.conf", "blk x {\n  one 1\n"}});
    EXPECT_STR(parse_error(files, "/e/main.conf"), "/e/more.conf:1:7: unclosed '{' of 'blk'");
}

Test(config_include, errors_in_included_files_name_that_file) {
    FakeFiles files({{"/e/main.conf", "include more.conf\n"},
                     {"/e/more.conf", "one 1\nbogus\n"}});
    EXPECT_STR(parse_error(files, "/e/main.conf"), "/e/more.conf:2:1: unknown keyword 'bogus'");
}

// ============================================================ parser errors

Test(config_errors, unknown_keyword_at_top_level) {
    EXPECT_STR(parse_error("one 1\n  foo bar\n"), "t.conf:2:3: unknown keyword 'foo'");
}

Test(config_errors, unknown_keyword_in_a_block) {
    EXPECT_STR(parse_error("vrrp_instance VI_1 {\n    prority 100\n}", daemon_schema()),
               "t.conf:2:5: unknown keyword 'prority' in 'vrrp_instance'");
}

Test(config_errors, unknown_word_after_a_complete_statement_says_its_arity) {
    EXPECT_STR(parse_error("one 1 2"), "t.conf:1:7: unknown keyword '2' ('one' takes 1 value)");
    EXPECT_STR(parse_error("flag x"), "t.conf:1:6: unknown keyword 'x' ('flag' takes no value)");
    EXPECT_STR(parse_error("pair a b c"),
               "t.conf:1:10: unknown keyword 'c' ('pair' takes at most 2 values)");
    EXPECT_STR(parse_error("two a b c"),
               "t.conf:1:9: unknown keyword 'c' ('two' takes 2 values)");
    EXPECT_STR(parse_error("virtual_server 192.0.2.1 80 {\n"
                           "    real_server 203.0.113.11 8080 { weight 3  trak_check web1 }\n"
                           "}\n",
                           daemon_schema()),
               "t.conf:2:47: unknown keyword 'trak_check' in 'real_server' "
               "('weight' takes 1 value)");
}

Test(config_errors, unknown_word_after_a_statement_even_where_unknown_is_allowed) {
    EXPECT_STR(parse_error("loose {\n  one 1 2\n}"),
               "t.conf:2:9: unknown keyword '2' in 'loose' ('one' takes 1 value)");
}

Test(config_errors, missing_value) {
    EXPECT_STR(parse_error("flag\none\n"), "t.conf:2:1: 'one' needs a value");
    EXPECT_STR(parse_error("one\n1\n"), "t.conf:1:1: 'one' needs a value");
    EXPECT_STR(parse_error("blk x { one }"), "t.conf:1:9: 'one' needs a value");
    EXPECT_STR(parse_error("vrrp_instance {\n}", daemon_schema()),
               "t.conf:1:1: 'vrrp_instance' needs a value");
}

Test(config_errors, too_few_values) {
    EXPECT_STR(parse_error("three_plus a b\n"), "t.conf:1:1: 'three_plus' needs at least 3 values");
    EXPECT_STR(parse_error("two a"), "t.conf:1:1: 'two' needs 2 values");
}

Test(config_errors, required_block_missing) {
    EXPECT_STR(parse_error("one 1\nblk x\none 2\n"), "t.conf:2:1: 'blk' needs a { block }");
    EXPECT_STR(parse_error("list"), "t.conf:1:1: 'list' needs a { block }");
}

Test(config_errors, block_not_allowed) {
    EXPECT_STR(parse_error("one 1 {\n}"), "t.conf:1:7: 'one' does not take a block");
    EXPECT_STR(parse_error("vrrp_instance VI_1 {\n    priority 100\n    {\n}\n}",
                           daemon_schema()),
               "t.conf:3:5: 'priority' does not take a block");
}

Test(config_errors, unexpected_closing_brace) {
    EXPECT_STR(parse_error("one 1\n}\n"), "t.conf:2:1: unexpected '}'");
    EXPECT_STR(parse_error("blk x { one 1 } }"), "t.conf:1:17: unexpected '}'");
}

Test(config_errors, unexpected_opening_brace) {
    EXPECT_STR(parse_error("{ one 1 }"), "t.conf:1:1: unexpected '{'");
    EXPECT_STR(parse_error("blk x { } {"), "t.conf:1:11: unexpected '{'");
}

Test(config_errors, unclosed_brace_is_reported_where_it_opened) {
    EXPECT_STR(parse_error("blk x {\n  one 1\n  flag\n"),
               "t.conf:1:7: unclosed '{' of 'blk'");
    EXPECT_STR(parse_error("list { a\n"), "t.conf:1:6: unclosed '{' of 'list'");
    EXPECT_STR(parse_error("loose { foo {"), "t.conf:1:13: unclosed '{' of 'foo'");
}

Test(config_errors, list_entries_cannot_have_blocks) {
    EXPECT_STR(parse_error("list {\n  192.0.2.1/24 {\n  }\n}"),
               "t.conf:2:16: 'list' is a list: its entries cannot have a block");
    EXPECT_STR(parse_error("list {\n  a\n  { b }\n}"),
               "t.conf:3:3: 'list' is a list: its entries cannot have a block");
}

Test(config_errors, non_repeatable_given_twice) {
    EXPECT_STR(parse_error("vrrp_instance VI_1 {\n    priority 100\n    priority 110\n}",
                           daemon_schema()),
               "t.conf:3:5: 'priority' given twice (first at t.conf:2:5)");
    EXPECT_STR(parse_error("once 1 once 2"),
               "t.conf:1:8: 'once' given twice (first at t.conf:1:1)");
}

Test(config_errors, lexer_errors_surface_from_the_parser) {
    EXPECT_STR(parse_error("one \"x\n"), "t.conf:1:5: unterminated quoted string");
    EXPECT_STR(parse_error(std::string_view("one\0", 4)), "t.conf:1:4: unexpected NUL byte");
    EXPECT_STR(parse_error("one 1\n" + std::string(5000, 'a')), "t.conf:2:4097: line too long");
}

Test(config_errors, errors_come_in_file_order) {
    // The parse error on line 1 wins over the lexer error further down.
    EXPECT_STR(parse_error("bogus\n\"unterminated\n"), "t.conf:1:1: unknown keyword 'bogus'");
}

Test(config_errors, top_level_file_cannot_be_read) {
    FakeFiles files;
    EXPECT_STR(parse_error(files, "/etc/hakeep/vrrpd.conf"),
               "/etc/hakeep/vrrpd.conf:1:1: cannot open: No such file or directory");
}

Test(config_errors, more_than_64_mib_of_text_is_refused) {
    const std::string huge((std::size_t{64} << 20) + 1, '\n');
    EXPECT_STR(parse_error(huge), "t.conf:1:1: configuration larger than 64 MiB");
}

Test(config_errors, more_than_64_mib_across_includes_is_refused) {
    const std::string half((std::size_t{32} << 20), '\n');
    FakeFiles files({{"/e/main.conf", "include a.conf\n  include b.conf\n"},
                     {"/e/a.conf", half},
                     {"/e/b.conf", half + "\n"}});
    EXPECT_STR(parse_error(files, "/e/main.conf"),
               "/e/main.conf:2:3: configuration larger than 64 MiB");
}

Test(config_errors, exactly_64_mib_is_accepted) {
    const std::string text((std::size_t{64} << 20), '\n');
    cr_assert(parse(text).statements.empty());
}

// ============================================================ value helpers

Test(config_value, location_and_error_format) {
    EXPECT_STR((SourceLocation{"a.conf", 12, 7}).to_string(), "a.conf:12:7");
    const ConfigError error(SourceLocation{"a.conf", 12, 7}, "bad thing");
    EXPECT_STR(error.what(), "a.conf:12:7: bad thing");
    EXPECT_STR(error.message(), "bad thing");
    cr_assert_eq(error.where().line, 12);
}

Test(config_value, arg_and_string_arg) {
    const ConfigNode node = node_with("script", {"/bin/x", "y"});
    EXPECT_STR(node.arg(1).text, "y");
    EXPECT_STR(node.string_arg(), "/bin/x");
    EXPECT_STR(node.string_arg(1), "y");
    EXPECT_STR(value_error([&] { node.arg(2); }), "v.conf:3:5: missing value for 'script'");
    EXPECT_STR(value_error([&] { node.string_arg(5); }), "v.conf:3:5: missing value for 'script'");
}

Test(config_value, int_arg_accepts_integers_in_range) {
    cr_assert_eq(node_with("priority", {"1"}).int_arg(0, 1, 254), 1);
    cr_assert_eq(node_with("priority", {"254"}).int_arg(0, 1, 254), 254);
    cr_assert_eq(node_with("weight", {"-20"}).int_arg(0, -254, 254), -20);
    cr_assert_eq(node_with("x", {"9223372036854775807"})
                     .int_arg(0, 0, std::numeric_limits<std::int64_t>::max()),
                 std::numeric_limits<std::int64_t>::max());
}

Test(config_value, int_arg_errors_point_at_the_value) {
    const auto error = [](const std::string& text) {
        return value_error([&] { node_with("priority", {text}).int_arg(0, 1, 254); });
    };
    EXPECT_STR(error("abc"), "v.conf:3:14: 'priority' must be an integer in 1..254, got 'abc'");
    EXPECT_STR(error("0"), "v.conf:3:14: 'priority' must be an integer in 1..254, got '0'");
    EXPECT_STR(error("255"), "v.conf:3:14: 'priority' must be an integer in 1..254, got '255'");
    EXPECT_STR(error("12x"), "v.conf:3:14: 'priority' must be an integer in 1..254, got '12x'");
    EXPECT_STR(error("+5"), "v.conf:3:14: 'priority' must be an integer in 1..254, got '+5'");
    EXPECT_STR(error(""), "v.conf:3:14: 'priority' must be an integer in 1..254, got ''");
    EXPECT_STR(error("99999999999999999999"),
               "v.conf:3:14: 'priority' must be an integer in 1..254, "
               "got '99999999999999999999'");
    EXPECT_STR(value_error([] { node_with("priority", {}).int_arg(0, 1, 254); }),
               "v.conf:3:5: missing value for 'priority'");
}

Test(config_value, fixed_arg_scales_without_float_rounding) {
    const auto value = [](const std::string& text) {
        return node_with("advert_int", {text}).fixed_arg(0, 2, 1, 4095);
    };
    cr_assert_eq(value("0.01"), 1);
    cr_assert_eq(value("40.95"), 4095);
    cr_assert_eq(value("1"), 100);
    cr_assert_eq(value("1.5"), 150);
    cr_assert_eq(value("0.1"), 10);
    cr_assert_eq(value("03.07"), 307);
    cr_assert_eq(node_with("x", {"-0.5"}).fixed_arg(0, 2, -100, 100), -50);
    cr_assert_eq(node_with("x", {"-3"}).fixed_arg(0, 1, -100, 100), -30);
    cr_assert_eq(node_with("x", {"7"}).fixed_arg(0, 0, 0, 10), 7);
    cr_assert_eq(node_with("x", {"92233720368547758.07"})
                     .fixed_arg(0, 2, 0, std::numeric_limits<std::int64_t>::max()),
                 std::numeric_limits<std::int64_t>::max());
}

Test(config_value, fixed_arg_errors) {
    const auto error = [](const std::string& text) {
        return value_error([&] { node_with("advert_int", {text}).fixed_arg(0, 2, 1, 4095); });
    };
    const std::string prefix = "v.conf:3:16: 'advert_int' must be a number in 0.01..40.95 "
                               "with at most 2 decimals, got ";
    EXPECT_STR(error("1.234"), prefix + "'1.234'");
    EXPECT_STR(error("0"), prefix + "'0'");
    EXPECT_STR(error("0.001"), prefix + "'0.001'");
    EXPECT_STR(error("40.96"), prefix + "'40.96'");
    EXPECT_STR(error("-1"), prefix + "'-1'");
    EXPECT_STR(error("1."), prefix + "'1.'");
    EXPECT_STR(error(".5"), prefix + "'.5'");
    EXPECT_STR(error("1,5"), prefix + "'1,5'");
    EXPECT_STR(error("1.-5"), prefix + "'1.-5'");
    EXPECT_STR(error("-"), prefix + "'-'");
    EXPECT_STR(error("abc"), prefix + "'abc'");
    EXPECT_STR(error("92233720368547758.08"), prefix + "'92233720368547758.08'");
    EXPECT_STR(value_error([] { node_with("x", {"2.25"}).fixed_arg(0, 1, -15, 150); }),
               "v.conf:3:7: 'x' must be a number in -1.5..15 with at most 1 decimal, "
               "got '2.25'");
    EXPECT_STR(value_error([] { node_with("x", {"0.5"}).fixed_arg(0, 0, 0, 10); }),
               "v.conf:3:7: 'x' must be an integer in 0..10, got '0.5'");
    EXPECT_STR(value_error([] { node_with("advert_int", {}).fixed_arg(0, 2, 1, 4095); }),
               "v.conf:3:5: missing value for 'advert_int'");
}

Test(config_value, bool_arg_forms) {
    for (const char* yes : {"on", "true", "yes", "1"})
        cr_assert(node_with("flag", {yes}).bool_arg(0), "%s", yes);
    for (const char* no : {"off", "false", "no", "0"})
        cr_assert(!node_with("flag", {no}).bool_arg(0), "%s", no);
    EXPECT_STR(value_error([] { node_with("use_vmac", {"maybe"}).bool_arg(0); }),
               "v.conf:3:14: 'use_vmac' must be on/off, true/false, yes/no or 1/0, got 'maybe'");
    EXPECT_STR(value_error([] { node_with("use_vmac", {}).bool_arg(0); }),
               "v.conf:3:5: missing value for 'use_vmac'");
}

Test(config_value, choice_arg) {
    const std::vector<std::string> kinds{"NAT", "DR", "TUN"};
    EXPECT_STR(node_with("lb_kind", {"DR"}).choice_arg(0, kinds), "DR");
    EXPECT_STR(value_error([&] { node_with("lb_kind", {"nat"}).choice_arg(0, kinds); }),
               "v.conf:3:13: 'lb_kind' must be one of NAT, DR, TUN, got 'nat'");
    EXPECT_STR(value_error([&] { node_with("lb_kind", {}).choice_arg(0, kinds); }),
               "v.conf:3:5: missing value for 'lb_kind'");
}

Test(config_value, helpers_point_at_parsed_words) {
    const auto config = parse("blk x {\n\tone  abc\n}");
    EXPECT_STR(value_error([&] { config.statements[0].find("one")->int_arg(0, 0, 9); }),
               "t.conf:2:7: 'one' must be an integer in 0..9, got 'abc'");
}

// ============================================================ DiskFileSource

namespace {

// A scratch folder under /tmp, removed with everything in it.
class TempDir {
public:
    TempDir() {
        char name[] = "/tmp/hakeep-config-test-XXXXXX";
        cr_assert_not_null(::mkdtemp(name));
        path_ = name;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    const std::string& path() const { return path_; }
    std::string write(const std::string& relative, const std::string& contents) const {
        const std::filesystem::path file = std::filesystem::path(path_) / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << contents;
        return file.string();
    }

private:
    std::string path_;
};

}  // namespace

Test(config_disk, parse_file_with_glob_include) {
    std::string root;
    {
        TempDir dir;
        root = dir.path();
        const std::string main = dir.write("vrrpd.conf", "vrrp_instance VI_1 {\r\n"
                                                         "    include vi1.d/*.conf\r\n"
                                                         "    include extra.conf\r\n"
                                                         "}\r\n");
        dir.write("vi1.d/20-priority.conf", "priority 110\n");
        dir.write("vi1.d/10-state.conf", "state BACKUP\n");
        dir.write("vi1.d/ignored.txt", "bogus\n");
        std::filesystem::create_directories(dir.path() + "/vi1.d/30-dir.conf");
        dir.write("extra.conf", "nopreempt");

        DiskFileSource files;
        const auto config = parse_file(main, daemon_schema(), files);
        EXPECT_WORDS(config.statements[0].children, {"state", "priority", "nopreempt"});
        EXPECT_STR(config.statements[0].children[1].where().to_string(),
                   dir.path() + "/vi1.d/20-priority.conf:1:1");
        cr_assert(config.files == (std::vector<std::string>{main,
                                                            dir.path() + "/vi1.d/10-state.conf",
                                                            dir.path() + "/vi1.d/20-priority.conf",
                                                            dir.path() + "/extra.conf"}));
    }
    cr_assert(!std::filesystem::exists(root));
}

Test(config_disk, expand_sorts_skips_folders_and_may_match_nothing) {
    TempDir dir;
    dir.write("b.conf", "");
    dir.write("a.conf", "");
    dir.write("C.conf", "");
    std::filesystem::create_directories(dir.path() + "/d.conf");
    DiskFileSource files;
    cr_assert(files.expand(dir.path() + "/*.conf") ==
              (std::vector<std::string>{dir.path() + "/C.conf", dir.path() + "/a.conf",
                                        dir.path() + "/b.conf"}));
    cr_assert(files.expand(dir.path() + "/none/*.conf").empty());
}

Test(config_disk, read_returns_contents_or_the_reason) {
    TempDir dir;
    const std::string path = dir.write("x.conf", std::string("a\0b", 3));
    DiskFileSource files;
    const auto contents = files.read(path);
    cr_assert(contents.has_value());
    cr_assert(*contents == std::string("a\0b", 3));
    cr_assert(!files.read(dir.path() + "/missing.conf").has_value());
    EXPECT_STR(files.last_error(), "No such file or directory");
    cr_assert(!files.read(dir.path()).has_value());
    EXPECT_STR(files.last_error(), "Is a directory");
}

Test(config_disk, missing_files_are_reported) {
    TempDir dir;
    const std::string main = dir.write("main.conf", "one 1\ninclude nothere.conf\n");
    DiskFileSource files;
    EXPECT_STR(error_of([&] { parse_file(dir.path() + "/absent.conf", syntax_schema(), files); }),
               dir.path() + "/absent.conf:1:1: cannot open: No such file or directory");
    EXPECT_STR(error_of([&] { parse_file(main, syntax_schema(), files); }),
               main + ":2:1: cannot open include file '" + dir.path() +
                   "/nothere.conf': No such file or directory");
}

Test(config_disk, read_stops_soon_after_the_size_bound) {
    DiskFileSource files;
    const auto contents = files.read("/dev/zero");
    cr_assert(contents.has_value());
    cr_assert_gt(contents->size(), std::size_t{64} << 20);
    cr_assert_leq(contents->size(), (std::size_t{64} << 20) + 64 * 1024);
    EXPECT_STR(error_of([&] { parse_text("/e/t.conf", "include /dev/zero", syntax_schema(),
                                         files); }),
               "/e/t.conf:1:1: configuration larger than 64 MiB");
}

// ================================================================= reuse

namespace {

// Skips the statements whose (line, text) it was told to know; records every
// offer as "LINE:COL text".
struct RecordingReuse final : StatementReuse {
    std::vector<std::string> offers;
    std::vector<std::string> known;  // texts to skip
    std::map<int, std::size_t> lengths;  // line -> what known_length() says
    std::size_t known_length(const SourceLocation& where) override {
        const auto found = lengths.find(where.line);
        return found == lengths.end() ? 0 : found->second;
    }
    bool reuse(const SourceLocation& where, std::string_view text) override {
        offers.push_back(std::to_string(where.line) + ":" + std::to_string(where.column) + " " +
                         std::string(text));
        return std::find(known.begin(), known.end(), text) != known.end();
    }
};

std::vector<std::string> sunk_keywords(FakeFiles& files, RecordingReuse& reuse,
                                       std::vector<std::string>* places = nullptr) {
    std::vector<std::string> seen;
    parse_file("/r/main.conf", syntax_schema(), files,
               [&](ConfigNode&& node) {
                   seen.push_back(node.keyword.text);
                   if (places) places->push_back(node.where().to_string());
               },
               &reuse);
    return seen;
}

}  // namespace

Test(config_reuse, offers_top_level_blocks_with_their_whole_text) {
    FakeFiles files({{"/r/main.conf", "one 1\n"
                                      "blk a { one \"}\" # }\n"
                                      "  flag ! {\n"
                                      "} pair 1\n"
                                      "maybe\n"
                                      "{ one 2 }\n"}});
    RecordingReuse reuse;
    const auto seen = sunk_keywords(files, reuse);
    cr_assert(seen == (std::vector<std::string>{"one", "blk", "pair", "maybe"}));
    // A quoted or commented brace does not count; a block may open on a later line.
    cr_assert(reuse.offers == (std::vector<std::string>{"2:1 blk a { one \"}\" # }\n  flag ! {\n}",
                                                        "5:1 maybe\n{ one 2 }"}));
}

Test(config_reuse, a_known_statement_is_skipped_and_later_places_stay_exact) {
    FakeFiles files({{"/r/main.conf", "blk a {\n one 1\n}\nblk b {\n one 2\n}\n  nope\n"}});
    RecordingReuse reuse;
    reuse.known = {"blk a {\n one 1\n}"};
    std::vector<std::string> places;
    EXPECT_STR(error_of([&] { sunk_keywords(files, reuse, &places); }),
               "/r/main.conf:7:3: unknown keyword 'nope'");
    cr_assert(places == std::vector<std::string>{"/r/main.conf:4:1"});
    // A statement sharing the line of a skipped block's brace is still read.
    files.add("/r/main.conf", "blk a {\n one 1\n} one 3\n");
    places.clear();
    cr_assert(sunk_keywords(files, reuse, &places) == std::vector<std::string>{"one"});
    cr_assert(places == std::vector<std::string>{"/r/main.conf:3:3"});
}

Test(config_reuse, only_plain_repeatable_blocks_at_top_level_are_offered) {
    FakeFiles files({{"/r/main.conf", "blk a { include /r/x.conf }\n"   // names an include
                                      "blk b { one 1\n"                 // never closed
                                      "  \"open\n}\n"},
                     {"/r/x.conf", "one 1\n"}});
    RecordingReuse reuse;
    EXPECT_STR(error_of([&] { sunk_keywords(files, reuse); }),
               "/r/main.conf:3:3: unterminated quoted string");
    cr_assert(reuse.offers.empty());
    // A NUL or an overlong line in it, even after its closing brace: the
    // parser reads it and says so.
    reuse.known = {"blk a { }"};
    files.add("/r/main.conf", std::string("blk a { } one \0\n", 16));
    EXPECT_STR(error_of([&] { sunk_keywords(files, reuse); }), "/r/main.conf:1:15: unexpected NUL byte");
    files.add("/r/main.conf", "blk a {\n" + std::string(5000, 'x') + "\n}\n");
    EXPECT_STR(error_of([&] { sunk_keywords(files, reuse); }), "/r/main.conf:2:4097: line too long");
    cr_assert(reuse.offers.empty());
    // Not offered: a keyword given once, a statement without a block, a
    // nested block, a statement not starting its line.
    files.add("/r/main.conf", "once 1\none 1 blk c { }\nloose { inner { } }\n");
    const auto seen = sunk_keywords(files, reuse);
    cr_assert(seen == (std::vector<std::string>{"once", "one", "blk", "loose"}));
    cr_assert(reuse.offers == std::vector<std::string>{"3:1 loose { inner { } }"});
}

Test(config_reuse, statements_of_included_files_are_offered_in_their_file) {
    FakeFiles files({{"/r/main.conf", "include /r/x.conf\n"},
                     {"/r/x.conf", "one 1\nblk x { }\n"}});
    RecordingReuse reuse;
    std::vector<std::string> seen;
    parse_file("/r/main.conf", syntax_schema(), files, [&](ConfigNode&& node) {
        seen.push_back(node.where().to_string());
    }, &reuse);
    cr_assert(seen == (std::vector<std::string>{"/r/x.conf:1:1", "/r/x.conf:2:1"}));
    cr_assert(reuse.offers == std::vector<std::string>{"2:1 blk x { }"});
}

Test(config_reuse, a_known_length_is_offered_first_then_the_real_text) {
    const std::string block = "blk a {\n one 1\n}";
    FakeFiles files({{"/r/main.conf", block + "\nblk b { one 2 }\n"}});
    RecordingReuse reuse;
    reuse.known = {block};
    reuse.lengths = {{1, block.size()}, {4, 5}};  // line 4: "blk b" is no block's end
    std::vector<std::string> places;
    cr_assert(sunk_keywords(files, reuse, &places) == std::vector<std::string>{"blk"});
    cr_assert(places == std::vector<std::string>{"/r/main.conf:4:1"});
    cr_assert(reuse.offers == (std::vector<std::string>{"1:1 " + block, "4:1 blk b { one 2 }"}));
    // The block grew: the old length is offered if it ends in a brace, and
    // refused; then the whole text.
    const std::string grown = "blk a {\n one 1\n one 3\n}";
    files.add("/r/main.conf", grown + "\n");
    reuse.offers.clear();
    reuse.lengths = {{1, block.size()}};
    cr_assert(sunk_keywords(files, reuse) == std::vector<std::string>{"blk"});
    cr_assert(reuse.offers == std::vector<std::string>{"1:1 " + grown});
    files.add("/r/main.conf", "loose {\n x { }\n}\n");
    reuse.offers.clear();
    reuse.lengths = {{1, std::string("loose {\n x { }").size()}};
    cr_assert(sunk_keywords(files, reuse) == std::vector<std::string>{"loose"});
    cr_assert(reuse.offers ==
              (std::vector<std::string>{"1:1 loose {\n x { }", "1:1 loose {\n x { }\n}"}));
    // What follows the brace on its line is checked as the lexer would.
    files.add("/r/main.conf", block + " " + std::string(5000, 'x') + "\n");
    reuse.offers.clear();
    reuse.lengths = {{1, block.size()}};
    EXPECT_STR(error_of([&] { sunk_keywords(files, reuse); }), "/r/main.conf:3:4097: line too long");
    cr_assert(reuse.offers.empty());
}
