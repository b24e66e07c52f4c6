#include "checkd/http_response.h"

#include "checkd/http_regex.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace hakeep::checkd {
namespace {

bool is_token_char(unsigned char c) {
    return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                  std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

}  // namespace

HttpResponseParser::HttpResponseParser(BodyUse use, HttpLimits limits)
    : want_body_(use.digest || use.keep > 0), limits_(limits), md5_(nullptr, EVP_MD_CTX_free), keep_(use.keep) {
    if (!use.digest) return;
    md5_.reset(EVP_MD_CTX_new());
    if (!md5_ || EVP_DigestInit_ex(md5_.get(), EVP_md5(), nullptr) != 1) {
        md5_.reset();
        fail("http: no MD5 available");
    }
}

HttpResponseParser::~HttpResponseParser() = default;

HttpResponseParser::Status HttpResponseParser::fail(std::string reason) {
    if (status_ != Status::failed) error_ = std::move(reason);
    status_ = Status::failed;
    return status_;
}

HttpResponseParser::Status HttpResponseParser::feed(std::string_view bytes) {
    while (status_ == Status::need_more && !bytes.empty()) {
        if (phase_ == Phase::body_length || phase_ == Phase::body_until_close ||
            phase_ == Phase::chunk_data) {
            std::size_t take = bytes.size();
            if (phase_ != Phase::body_until_close)
                take = static_cast<std::size_t>(std::min<std::uint64_t>(take, remaining_));
            if (body(bytes.substr(0, take)) != Status::need_more) break;
            bytes.remove_prefix(take);
            if (phase_ == Phase::body_until_close) continue;
            remaining_ -= take;
            if (remaining_ > 0) continue;
            if (phase_ == Phase::body_length) {
                phase_ = Phase::done;
                status_ = Status::complete;
            } else {
                phase_ = Phase::chunk_end;
            }
            continue;
        }
        // Line-oriented phases: take up to the next LF, within the line cap.
        const std::size_t newline = bytes.find('\n');
        const std::size_t take = newline == std::string_view::npos ? bytes.size() : newline;
        if (line_.size() + take > limits_.max_line) return fail("http: line too long");
        line_.append(bytes.substr(0, take));
        if (newline == std::string_view::npos) break;
        bytes.remove_prefix(newline + 1);
        std::string_view line = line_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::string complete(line);
        line_.clear();
        on_line(complete);
    }
    return status_;
}

HttpResponseParser::Status HttpResponseParser::finish() {
    if (status_ != Status::need_more) return status_;
    if (phase_ == Phase::body_until_close) {
        phase_ = Phase::done;
        status_ = Status::complete;
        return status_;
    }
    if (phase_ == Phase::status_line && line_.empty() && header_count_ == 0)
        return fail("http: connection closed without a reply");
    return fail("http: truncated reply");
}

HttpResponseParser::Status HttpResponseParser::on_line(std::string_view line) {
    switch (phase_) {
    case Phase::status_line: return on_status_line(line);
    case Phase::headers: return on_header(line);
    case Phase::chunk_size: return on_chunk_size(line);
    case Phase::chunk_end:
        if (!line.empty()) return fail("http: malformed chunked body");
        phase_ = Phase::chunk_size;
        return status_;
    case Phase::trailers:
        if (line.empty()) {
            phase_ = Phase::done;
            status_ = Status::complete;
            return status_;
        }
        header_bytes_ += line.size();
        if (++header_count_ > limits_.max_headers) return fail("http: too many headers");
        if (header_bytes_ > limits_.max_header_bytes) return fail("http: header too large");
        return status_;
    default: return fail("http: internal parser error");
    }
}

HttpResponseParser::Status HttpResponseParser::on_status_line(std::string_view line) {
    // HTTP/1.x SP 3DIGIT [SP reason]
    if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !std::isdigit(static_cast<unsigned char>(line[7])) ||
        line[8] != ' ' || !std::isdigit(static_cast<unsigned char>(line[9])) ||
        !std::isdigit(static_cast<unsigned char>(line[10])) ||
        !std::isdigit(static_cast<unsigned char>(line[11])) || (line.size() > 12 && line[12] != ' '))
        return fail("http: malformed status line");
    status_code_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    if (status_code_ < 100) return fail("http: malformed status line");
    header_bytes_ = line.size();
    phase_ = Phase::headers;
    return status_;
}

HttpResponseParser::Status HttpResponseParser::on_header(std::string_view line) {
    if (line.empty()) return end_of_headers();
    header_bytes_ += line.size();
    if (++header_count_ > limits_.max_headers) return fail("http: too many headers");
    if (header_bytes_ > limits_.max_header_bytes) return fail("http: header too large");
    const std::size_t colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return fail("http: malformed header");
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); }))
        return fail("http: malformed header");
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
        std::uint64_t length = 0;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (value.empty() || error != std::errc() || end != value.data() + value.size())
            return fail("http: malformed Content-Length");
        if (have_length_ && length != content_length_) return fail("http: conflicting Content-Length");
        have_length_ = true;
        content_length_ = length;
    } else if (iequals(name, "Transfer-Encoding")) {
        // Only chunked is understood; it must be the last coding.
        const std::size_t comma = value.rfind(',');
        const std::string_view last = trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
        if (!iequals(last, "chunked") || comma != std::string_view::npos)
            return fail("http: unsupported Transfer-Encoding");
        chunked_ = true;
    }
    return status_;
}

HttpResponseParser::Status HttpResponseParser::end_of_headers() {
    const bool no_body = status_code_ == 204 || status_code_ == 304 || status_code_ < 200;
    if (!want_body_ || no_body) {
        phase_ = Phase::done;
        status_ = Status::complete;
        return status_;
    }
    if (chunked_) {
        phase_ = Phase::chunk_size;
    } else if (have_length_) {
        if (content_length_ > limits_.max_body) return fail("http: body too large");
        remaining_ = content_length_;
        phase_ = Phase::body_length;
        if (remaining_ == 0) {
            phase_ = Phase::done;
            status_ = Status::complete;
        }
    } else {
        phase_ = Phase::body_until_close;
    }
    return status_;
}

HttpResponseParser::Status HttpResponseParser::on_chunk_size(std::string_view line) {
    const std::size_t extension = line.find(';');
    const std::string_view digits = trim(line.substr(0, extension));
    std::uint64_t size = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
    if (digits.empty() || error == std::errc::result_out_of_range) return fail("http: body too large");
    if (error != std::errc() || end != digits.data() + digits.size())
        return fail("http: malformed chunked body");
    if (size == 0) {
        phase_ = Phase::trailers;
        return status_;
    }
    if (size > limits_.max_body - std::min<std::uint64_t>(body_bytes_, limits_.max_body))
        return fail("http: body too large");
    remaining_ = size;
    phase_ = Phase::chunk_data;
    return status_;
}

HttpResponseParser::Status HttpResponseParser::body(std::string_view bytes) {
    body_bytes_ += bytes.size();
    if (body_bytes_ > limits_.max_body) return fail("http: body too large");
    if (md5_ && !bytes.empty()) EVP_DigestUpdate(md5_.get(), bytes.data(), bytes.size());
    if (kept_.size() < keep_) kept_.append(bytes.substr(0, keep_ - kept_.size()));
    return status_;
}

std::string HttpResponseParser::body_md5_hex() const {
    if (!md5_ || status_ != Status::complete) return "";
    // Finalise a copy, so the parser itself stays const.
    std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> copy(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!copy || EVP_MD_CTX_copy_ex(copy.get(), md5_.get()) != 1 ||
        EVP_DigestFinal_ex(copy.get(), digest, &length) != 1)
        return "";
    static const char hex[] = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 0xf];
    }
    return text;
}

bool status_allowed(int code, const google::protobuf::RepeatedPtrField<proto::StatusRange>& ranges) {
    if (ranges.empty()) return code >= 200 && code <= 299;
    return std::any_of(ranges.begin(), ranges.end(), [code](const proto::StatusRange& range) {
        return code >= static_cast<int>(range.low()) && code <= static_cast<int>(range.high());
    });
}

std::string judge_http_response(const HttpResponseParser& response, const proto::HttpUrl& url) {
    if (response.status() == HttpResponseParser::Status::failed) return response.error();
    if (response.status() != HttpResponseParser::Status::complete) return "http: incomplete reply";
    if (!status_allowed(response.status_code(), url.status()))
        return "http: status " + std::to_string(response.status_code());
    if (!url.digest().empty() && response.body_md5_hex() != url.digest()) return "http: digest mismatch";
    return judge_http_regex(url, response.kept_body());
}

std::string build_http_request(const proto::HttpUrl& url, const std::string& protocol,
                               const std::string& host_port) {
    const std::string version = protocol == "1.1" ? "1.1" : "1.0";
    std::string request = "GET " + url.path() + " HTTP/" + version + "\r\n";
    request += "Host: " + (url.virtualhost().empty() ? host_port : url.virtualhost()) + "\r\n";
    request += "User-Agent: hakeep-checkd\r\n";
    // Every request is the last on its connection: 1.1 and 1.0C say so, as keepalived does.
    if (protocol != "1.0") request += "Connection: close\r\n";
    request += "\r\n";
    return request;
}

}  // namespace hakeep::checkd
