// HTTP_GET/SSL_GET `regex` (keepalived's, PCRE2): a pattern searched in the
// first bytes of the body. Compiled without JIT (no executable memory in a
// sandboxed worker), matched with PCRE2's match and depth limits, so that a
// hostile body cannot make one match take more than a bounded effort: a
// match that hits a limit (steps, depth, or heap) fails the check as
// "http: regex match limit".
// Pure (no I/O); the only place in checkd that uses PCRE2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto/hakeep.pb.h"

namespace hakeep::checkd {

// The body bytes a regex sees: the first 1 MiB (keepalived scans what it
// has read; hakeep bounds it).
constexpr std::size_t regex_body_bytes = 1024 * 1024;
// PCRE2 match_limit and depth_limit: thousands of times what a sane health
// page needs, far below what makes a worker late.
constexpr std::uint32_t regex_match_limit = 1000000;
constexpr std::uint32_t regex_depth_limit = 10000;
constexpr std::uint32_t regex_heap_limit_kib = 4096;  // PCRE2's backtracking frames

// keepalived's regex_options words -> PCRE2 compile options; nullopt and
// `unknown` set for a word it does not take.
std::optional<std::uint32_t> regex_options_of(const std::vector<std::string>& words, std::string& unknown);
const std::vector<std::string>& regex_option_names();

// Empty if `pattern` compiles with `options`, else PCRE2's message with the
// offset of the error in the pattern.
std::string regex_compile_error(const std::string& pattern, std::uint32_t options);

// Empty if `body` satisfies the url's regex (or it has none), else the typed
// reason: "http: regex not matched", "http: regex matched" (regex_no_match),
// "http: regex match limit".
std::string judge_http_regex(const proto::HttpUrl& url, std::string_view body);

}  // namespace hakeep::checkd
