#include "checkd/http_regex.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <map>
#include <memory>

namespace hakeep::checkd {
namespace {

const std::vector<std::pair<std::string, std::uint32_t>>& option_table() {
    // The words keepalived's regex_options takes (keepalived.conf(5)).
    static const std::vector<std::pair<std::string, std::uint32_t>> table = {
        {"allow_empty_class", PCRE2_ALLOW_EMPTY_CLASS},
        {"alt_bsux", PCRE2_ALT_BSUX},
        {"auto_callout", PCRE2_AUTO_CALLOUT},
        {"caseless", PCRE2_CASELESS},
        {"dollar_endonly", PCRE2_DOLLAR_ENDONLY},
        {"dotall", PCRE2_DOTALL},
        {"dupnames", PCRE2_DUPNAMES},
        {"extended", PCRE2_EXTENDED},
        {"firstline", PCRE2_FIRSTLINE},
        {"match_unset_backref", PCRE2_MATCH_UNSET_BACKREF},
        {"multiline", PCRE2_MULTILINE},
        {"never_ucp", PCRE2_NEVER_UCP},
        {"never_utf", PCRE2_NEVER_UTF},
        {"no_auto_capture", PCRE2_NO_AUTO_CAPTURE},
        {"no_auto_possess", PCRE2_NO_AUTO_POSSESS},
        {"no_dotstar_anchor", PCRE2_NO_DOTSTAR_ANCHOR},
        {"no_start_optimize", PCRE2_NO_START_OPTIMIZE},
        {"ucp", PCRE2_UCP},
        {"ungreedy", PCRE2_UNGREEDY},
        {"utf", PCRE2_UTF},
        {"never_backslash_c", PCRE2_NEVER_BACKSLASH_C},
        {"alt_circumflex", PCRE2_ALT_CIRCUMFLEX},
        {"alt_verbnames", PCRE2_ALT_VERBNAMES},
        {"use_offset_limit", PCRE2_USE_OFFSET_LIMIT},
    };
    return table;
}

struct CodeFree {
    void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
using Code = std::unique_ptr<pcre2_code, CodeFree>;

Code compile(const std::string& pattern, std::uint32_t options, std::string* error) {
    int code = 0;
    PCRE2_SIZE offset = 0;
    Code compiled(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), options, &code,
                                &offset, nullptr));
    if (!compiled && error) {
        PCRE2_UCHAR message[256];
        pcre2_get_error_message(code, message, sizeof message);
        *error = std::string(reinterpret_cast<const char*>(message)) + " at offset " + std::to_string(offset);
    }
    return compiled;
}

// A worker compiles each (pattern, options) once: the set is the
// configuration's, bounded by it.
const pcre2_code* cached(const proto::HttpUrl& url, std::uint32_t options) {
    static std::map<std::pair<std::string, std::uint32_t>, Code> codes;
    auto key = std::pair{url.regex(), options};
    auto found = codes.find(key);
    if (found == codes.end()) found = codes.emplace(std::move(key), compile(url.regex(), options, nullptr)).first;
    return found->second.get();
}

struct MatchData {
    pcre2_match_data* data;
    pcre2_match_context* context;
    MatchData() : data(pcre2_match_data_create(1, nullptr)), context(pcre2_match_context_create(nullptr)) {
        pcre2_set_match_limit(context, regex_match_limit);
        pcre2_set_depth_limit(context, regex_depth_limit);
        pcre2_set_heap_limit(context, regex_heap_limit_kib);
    }
    ~MatchData() {
        pcre2_match_data_free(data);
        pcre2_match_context_free(context);
    }
    MatchData(const MatchData&) = delete;
    MatchData& operator=(const MatchData&) = delete;
};

}  // namespace

const std::vector<std::string>& regex_option_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> built;
        for (const auto& [name, bit] : option_table()) built.push_back(name);
        return built;
    }();
    return names;
}

std::optional<std::uint32_t> regex_options_of(const std::vector<std::string>& words, std::string& unknown) {
    std::uint32_t options = 0;
    for (const std::string& word : words) {
        bool found = false;
        for (const auto& [name, bit] : option_table())
            if (name == word) {
                options |= bit;
                found = true;
            }
        if (!found) {
            unknown = word;
            return std::nullopt;
        }
    }
    return options;
}

std::string regex_compile_error(const std::string& pattern, std::uint32_t options) {
    std::string error;
    compile(pattern, options, &error);
    return error;
}

std::string judge_http_regex(const proto::HttpUrl& url, std::string_view body) {
    if (url.regex().empty()) return "";
    std::uint32_t options = url.regex_options();
    if (url.has_regex_max_offset()) options |= PCRE2_USE_OFFSET_LIMIT;
    const pcre2_code* code = cached(url, options);
    if (!code) return "http: regex does not compile";  // the configuration checked it: not reached
    body = body.substr(0, regex_body_bytes);
    static MatchData match;
    pcre2_set_offset_limit(match.context, url.has_regex_max_offset() ? url.regex_max_offset() : PCRE2_UNSET);
    int rc = PCRE2_ERROR_NOMATCH;
    if (url.regex_min_offset() <= body.size())
        rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(body.data()), body.size(), url.regex_min_offset(), 0,
                         match.data, match.context);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
        return "http: regex match limit";
    const bool matched = rc >= 0;
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH) return "http: regex error " + std::to_string(rc);
    if (url.regex_no_match()) return matched ? "http: regex matched" : "";
    return matched ? "" : "http: regex not matched";
}

}  // namespace hakeep::checkd
