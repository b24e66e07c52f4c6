// An HTTP/1.x response, parsed incrementally from hostile bytes with hard
// caps: line length, header count, header bytes, body bytes. Pure (no I/O),
// so that every malformed, oversized or truncated input is unit-tested. The
// only place in checkd that reads HTTP.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/proto/hakeep.pb.h"

namespace hakeep::checkd {

struct HttpLimits {
    std::size_t max_line = 8 * 1024;             // status line, header line, chunk-size line
    std::size_t max_header_bytes = 64 * 1024;    // all header lines together
    std::size_t max_headers = 100;
    std::size_t max_body = 4 * 1024 * 1024;      // decoded body (only read for a digest)
};

class HttpResponseParser {
public:
    enum class Status { need_more, complete, failed };

    // What the body is read for: its MD5 (a digest), its first `keep` bytes
    // (a regex). With neither, the response is complete after its headers.
    struct BodyUse {
        bool digest = false;
        std::size_t keep = 0;
    };
    // With `want_body`, the body is read to its end and hashed (MD5).
    explicit HttpResponseParser(bool want_body, HttpLimits limits = {})
        : HttpResponseParser(BodyUse{want_body, 0}, limits) {}
    explicit HttpResponseParser(BodyUse use, HttpLimits limits = {});
    ~HttpResponseParser();
    HttpResponseParser(const HttpResponseParser&) = delete;
    HttpResponseParser& operator=(const HttpResponseParser&) = delete;

    Status feed(std::string_view bytes);
    // The peer closed: completes a body delimited by the close, fails anything else.
    Status finish();

    Status status() const { return status_; }
    int status_code() const { return status_code_; }
    // Why it failed: "http: header too large", "http: malformed status line", ...
    const std::string& error() const { return error_; }
    std::size_t header_count() const { return header_count_; }
    std::uint64_t body_bytes() const { return body_bytes_; }
    std::string body_md5_hex() const;  // after complete, with want_body
    const std::string& kept_body() const { return kept_; }  // the first BodyUse::keep bytes

private:
    enum class Phase { status_line, headers, body_length, body_until_close, chunk_size, chunk_data,
                       chunk_end, trailers, done };

    Status fail(std::string reason);
    Status on_line(std::string_view line);
    Status on_status_line(std::string_view line);
    Status on_header(std::string_view line);
    Status end_of_headers();
    Status on_chunk_size(std::string_view line);
    Status body(std::string_view bytes);

    bool want_body_;
    HttpLimits limits_;
    Status status_ = Status::need_more;
    Phase phase_ = Phase::status_line;
    std::string line_;  // the partial line
    std::string error_;
    int status_code_ = 0;
    std::size_t header_count_ = 0;
    std::size_t header_bytes_ = 0;
    bool chunked_ = false;
    bool have_length_ = false;
    std::uint64_t content_length_ = 0;
    std::uint64_t remaining_ = 0;  // of the body or of the current chunk
    std::uint64_t body_bytes_ = 0;
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> md5_;
    std::size_t keep_ = 0;
    std::string kept_;
};

// True if `code` lies in one of `ranges` (an empty list means 200-299).
bool status_allowed(int code, const google::protobuf::RepeatedPtrField<proto::StatusRange>& ranges);

// Empty if a complete response satisfies `url`, else the typed reason:
// "http: status 503", "http: digest mismatch".
std::string judge_http_response(const HttpResponseParser& response, const proto::HttpUrl& url);

// "GET /path HTTP/1.0\r\nHost: ...\r\n..." for `url` on `host_port`
// ("203.0.113.1:8080"): the virtualhost, else the target, names the Host.
std::string build_http_request(const proto::HttpUrl& url, const std::string& protocol,
                               const std::string& host_port);

}  // namespace hakeep::checkd
