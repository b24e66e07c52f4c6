// The HTTP response parser against good, hostile and truncated replies, fed
// whole and byte by byte; status_code ranges; the request line.
#include <criterion/criterion.h>

#include <string>

#include "checkd/http_response.h"
#include "tests/unit/expect_text.h"

using namespace hakeep;
using checkd::HttpResponseParser;
using Status = HttpResponseParser::Status;

namespace {

// MD5("hello world\n")
constexpr const char* hello_md5 = "6f5902ac237024bdd0c176cb93063dc4";

struct Outcome {
    Status status;
    std::string error;
    int code;
    std::string md5;
};

Outcome parse(const std::string& reply, bool want_body, bool one_byte_at_a_time = false,
              bool closed = true, checkd::HttpLimits limits = {}) {
    HttpResponseParser parser(want_body, limits);
    Status status = Status::need_more;
    if (one_byte_at_a_time) {
        for (char c : reply)
            if ((status = parser.feed(std::string_view(&c, 1))) != Status::need_more) break;
    } else {
        status = parser.feed(reply);
    }
    if (status == Status::need_more && closed) status = parser.finish();
    return Outcome{status, parser.error(), parser.status_code(), parser.body_md5_hex()};
}

proto::HttpUrl url_with(std::initializer_list<std::pair<unsigned, unsigned>> ranges, std::string digest = "") {
    proto::HttpUrl url;
    url.set_path("/");
    for (const auto& [low, high] : ranges) {
        proto::StatusRange& range = *url.add_status();
        range.set_low(low);
        range.set_high(high);
    }
    url.set_digest(std::move(digest));
    return url;
}

}  // namespace

Test(checkd_http, content_length_body_hashed_whole_and_bytewise) {
    const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nServer: x\r\n\r\nhello world\n";
    for (bool bytewise : {false, true}) {
        const Outcome outcome = parse(reply, true, bytewise, false);
        cr_expect(outcome.status == Status::complete, "bytewise %d: %s", bytewise, outcome.error.c_str());
        cr_expect_eq(outcome.code, 200);
        EXPECT_TEXT(outcome.md5, hello_md5);
    }
}

Test(checkd_http, chunked_and_until_close_bodies) {
    const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "6;ext=1\r\nhello \r\n6\r\nworld\n\r\n0\r\nX-Trailer: y\r\n\r\n";
    for (bool bytewise : {false, true}) {
        const Outcome outcome = parse(chunked, true, bytewise, false);
        cr_expect(outcome.status == Status::complete, "%s", outcome.error.c_str());
        EXPECT_TEXT(outcome.md5, hello_md5);
    }
    // No length: the body ends when the server closes.
    const Outcome open = parse("HTTP/1.0 200 OK\r\n\r\nhello world\n", true, false, false);
    cr_expect(open.status == Status::need_more);
    const Outcome closed = parse("HTTP/1.0 200 OK\n\nhello world\n", true, true, true);
    cr_expect(closed.status == Status::complete, "bare LF lines are accepted");
    EXPECT_TEXT(closed.md5, hello_md5);
}

Test(checkd_http, status_only_completes_after_headers) {
    // Without a digest the body is never read: an endless body cannot hold the check.
    const Outcome outcome = parse("HTTP/1.1 503 Busy\r\nContent-Length: 999999999\r\n\r\nxxxx", false, false, false);
    cr_expect(outcome.status == Status::complete);
    cr_expect_eq(outcome.code, 503);
}

Test(checkd_http, hostile_replies_end_in_typed_failures) {
    const std::string ok = "HTTP/1.1 200 OK\r\n";
    struct Case {
        std::string reply;
        bool want_body;
        const char* error;
    } cases[] = {
        {"", false, "http: connection closed without a reply"},
        {"SSH-2.0-OpenSSH_9.2\r\n", false, "http: malformed status line"},
        {"HTTP/1.1 20 OK\r\n\r\n", false, "http: malformed status line"},
        {"HTTP/2 200\r\n\r\n", false, "http: malformed status line"},
        {"HTTP/1.1 099 x\r\n\r\n", false, "http: malformed status line"},
        {std::string(20000, 'A'), false, "http: line too long"},
        {ok + "X-Big: " + std::string(9000, 'b') + "\r\n\r\n", false, "http: line too long"},
        {ok + [] { std::string many; for (int i = 0; i < 101; ++i) many += "X-H: v\r\n"; return many; }() + "\r\n",
         false, "http: too many headers"},
        {ok + [] { std::string big; for (int i = 0; i < 90; ++i) big += "X: " + std::string(800, 'v') + "\r\n"; return big; }(),
         false, "http: header too large"},
        {ok + "no colon here\r\n\r\n", false, "http: malformed header"},
        {ok + " folded: x\r\n\r\n", false, "http: malformed header"},
        {ok + "Content-Length: 12x\r\n\r\n", true, "http: malformed Content-Length"},
        {ok + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", true, "http: conflicting Content-Length"},
        {ok + "Content-Length: 99999999999\r\n\r\n", true, "http: body too large"},
        {ok + "Transfer-Encoding: gzip\r\n\r\n", true, "http: unsupported Transfer-Encoding"},
        {ok + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", true, "http: malformed chunked body"},
        {ok + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", true, "http: body too large"},
        {ok + "Transfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", true, "http: malformed chunked body"},
        {ok + "Content-Length: 10\r\n\r\nshort", true, "http: truncated reply"},
        {ok + "Content-Length: 1", false, "http: truncated reply"},
    };
    for (const Case& c : cases) {
        for (bool bytewise : {false, true}) {
            const Outcome outcome = parse(c.reply, c.want_body, bytewise);
            cr_expect(outcome.status == Status::failed, "%s: not failed (bytewise %d)", c.error, bytewise);
            cr_expect_str_eq(outcome.error.c_str(), c.error, "bytewise %d", bytewise);
        }
    }
}

Test(checkd_http, endless_body_stops_at_the_cap) {
    checkd::HttpLimits limits;
    limits.max_body = 1000;
    HttpResponseParser parser(true, limits);
    cr_assert(parser.feed("HTTP/1.0 200 OK\r\n\r\n") == Status::need_more);
    const std::string block(300, 'z');
    Status status = Status::need_more;
    int blocks = 0;
    while (status == Status::need_more && blocks < 100) {
        status = parser.feed(block);
        ++blocks;
    }
    cr_expect(status == Status::failed);
    cr_expect_eq(blocks, 4, "failed as soon as the cap was passed");
    EXPECT_TEXT(parser.error(), "http: body too large");
}

Test(checkd_http, judge_status_ranges_and_digest) {
    HttpResponseParser parser(true);
    parser.feed("HTTP/1.1 503 Busy\r\nContent-Length: 12\r\n\r\nhello world\n");
    EXPECT_TEXT(checkd::judge_http_response(parser, url_with({})), "http: status 503");
    EXPECT_TEXT(checkd::judge_http_response(parser, url_with({{200, 200}, {500, 599}})), "");
    EXPECT_TEXT(checkd::judge_http_response(parser, url_with({{500, 599}}, hello_md5)), "");
    EXPECT_TEXT(checkd::judge_http_response(parser, url_with({{500, 599}}, "00000000000000000000000000000000")),
                "http: digest mismatch");
    google::protobuf::RepeatedPtrField<proto::StatusRange> none;
    cr_expect(checkd::status_allowed(204, none));
    cr_expect_not(checkd::status_allowed(301, none));
    cr_expect(checkd::status_allowed(301, url_with({{300, 399}}).status()));
    cr_expect_not(checkd::status_allowed(400, url_with({{300, 399}, {401, 401}}).status()));
}

Test(checkd_http, request_names_host_and_closes) {
    proto::HttpUrl url;
    url.set_path("/health");
    EXPECT_TEXT(checkd::build_http_request(url, "1.0", "203.0.113.1:8080"),
                "GET /health HTTP/1.0\r\nHost: 203.0.113.1:8080\r\nUser-Agent: hakeep-checkd\r\n\r\n");
    url.set_virtualhost("www.test");
    EXPECT_TEXT(checkd::build_http_request(url, "1.1", "203.0.113.1:8080"),
                "GET /health HTTP/1.1\r\nHost: www.test\r\nUser-Agent: hakeep-checkd\r\n"
                "Connection: close\r\n\r\n");
}
