// keepalived's block syntax: one lexer, one parser, a keyword table per daemon.
//
// Shape of a file:
//     keyword arg arg ... [ { statements } ]
//     # and ! start a comment at the start of a token, "quoted strings" keep spaces,
//     include GLOB  (relative to the including file's folder)
//
// A statement normally ends at the end of its line, but several statements may
// share a line when the keyword table bounds their arity, as in
//     real_server 203.0.113.11 8080 { weight 3  track_check web1 }
// A block whose schema is a *list* (virtual_ipaddress, track_script, ...) takes
// every line inside it as one entry, whatever its first word.
//
// Parsing is pure: bytes (and the files `include` names) in, a tree of
// ConfigNode with source locations out, or a ConfigError whose what() is
// "FILE:LINE:COL: message". Turning nodes into typed settings is each daemon's
// job, with the value helpers below so that every error names its place.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hakeep::config {

// A file's name, shared by every location in that file: a configuration of
// 400,000 words holds one copy of its path, not one per word. Reads as the
// std::string it stands for.
class FileName {
public:
    FileName() = default;
    FileName(std::string name) : name_(std::make_shared<const std::string>(std::move(name))) {}
    FileName(const char* name) : FileName(std::string(name)) {}
    const std::string& str() const { return name_ ? *name_ : empty(); }
    operator const std::string&() const { return str(); }
    bool operator==(const FileName& other) const { return str() == other.str(); }

private:
    static const std::string& empty() {
        static const std::string nothing;
        return nothing;
    }
    std::shared_ptr<const std::string> name_;
};

struct SourceLocation {
    FileName file;
    int line = 0;    // 1-based
    int column = 0;  // 1-based, in bytes
    std::string to_string() const;  // "FILE:LINE:COL"
};

class ConfigError : public std::runtime_error {
public:
    ConfigError(const SourceLocation& where, const std::string& message);
    const SourceLocation& where() const { return where_; }
    const std::string& message() const { return message_; }

private:
    SourceLocation where_;
    std::string message_;
};

struct Word {
    std::string text;
    SourceLocation where;
    bool quoted = false;
};

struct ConfigNode {
    Word keyword;                     // for a list entry: its first word
    std::vector<Word> args;           // words after the keyword
    std::vector<ConfigNode> children; // statements (or entries) of its block
    bool has_block = false;

    const SourceLocation& where() const { return keyword.where; }

    // Value helpers: each throws ConfigError at the offending word.
    const Word& arg(std::size_t index) const;  // "missing value for 'KEYWORD'"
    std::string string_arg(std::size_t index = 0) const;
    std::int64_t int_arg(std::size_t index, std::int64_t min, std::int64_t max) const;
    // A decimal with up to `decimals` fraction digits, returned scaled by
    // 10^decimals (advert_int 0.01 -> 1 with decimals = 2): no float rounding.
    std::int64_t fixed_arg(std::size_t index, int decimals, std::int64_t min_scaled,
                           std::int64_t max_scaled) const;
    bool bool_arg(std::size_t index) const;  // on/off, true/false, yes/no, 1/0
    std::string choice_arg(std::size_t index, const std::vector<std::string>& allowed) const;

    // Children with this keyword, in order.
    std::vector<const ConfigNode*> find_all(std::string_view keyword) const;
    const ConfigNode* find(std::string_view keyword) const;  // last one wins
};

struct Schema;

enum class BlockKind {
    none,      // no block allowed
    optional,  // a block may follow
    required,  // a block must follow: "'KEYWORD' needs a { block }"
};

constexpr int unbounded = -1;

struct KeywordSpec {
    int min_args = 0;
    int max_args = 0;  // or `unbounded`: every word to the end of the line,
                       // stopping early at a word that is a keyword of the block
    BlockKind block = BlockKind::none;
    // The block's statements. Null with a block means a list block: each line
    // inside is one entry (keyword = first word, args = the rest), unchecked.
    const Schema* children = nullptr;
    bool repeatable = true;  // false: a second occurrence is an error
};

// The two shapes most keywords take, said once: a keyword given at most once
// in its block, with exactly one value ("priority 100") or none ("nopreempt").
constexpr KeywordSpec once_with_value() { return KeywordSpec{1, 1, BlockKind::none, nullptr, false}; }
constexpr KeywordSpec once_flag() { return KeywordSpec{0, 0, BlockKind::none, nullptr, false}; }
// At most once, with between min_args and max_args values ("weight 10 reverse").
constexpr KeywordSpec once_with_args(int min_args, int max_args) {
    return KeywordSpec{min_args, max_args, BlockKind::none, nullptr, false};
}

struct Schema {
    std::map<std::string, KeywordSpec, std::less<>> keywords;
    // Accept and keep unknown keywords (with their words to end of line and an
    // optional block) instead of "unknown keyword". For keepalived blocks we
    // parse but do not implement yet, never for hakeep's own.
    bool allow_unknown = false;
};

// Reads files for the parser; tests inject an in-memory one. expand() turns an
// include pattern (already made absolute) into the matching paths, sorted.
class FileSource {
public:
    virtual ~FileSource() = default;
    virtual std::optional<std::string> read(const std::string& path) = 0;
    virtual std::vector<std::string> expand(const std::string& pattern) = 0;
    // Why the last read() returned nothing, for the error message; a fake that
    // only knows "absent" can keep the default.
    virtual std::string last_error() const { return "No such file or directory"; }
};

// Reads at most a little over the parser's 64 MiB bound, so that pointing an
// include at /dev/zero ends in an error rather than exhausting memory.
class DiskFileSource final : public FileSource {
public:
    std::optional<std::string> read(const std::string& path) override;
    // glob(3), byte-order sorted; directories are skipped, as keepalived does.
    std::vector<std::string> expand(const std::string& pattern) override;
    std::string last_error() const override { return last_error_; }

private:
    std::string last_error_;  // strerror of the last failed read()
};

struct ParsedConfig {
    std::vector<ConfigNode> statements;  // top level
    std::vector<std::string> files;      // every file read, in order
};

// Parses `path` and its includes against `schema`. Throws ConfigError.
// An include of a literal path that does not exist is an error; a pattern with
// wildcards that matches nothing is not (keepalived's behaviour). Include depth
// is limited to 16 so a loop is an error, not a hang.
ParsedConfig parse_file(const std::string& path, const Schema& schema, FileSource& files);

// As parse_file, but each top-level statement goes to `sink` as soon as it is
// parsed, and is not kept: a large file never exists as a whole tree (the
// result has no statements, only the files read). A ConfigError thrown by
// the sink stops the parse like the parser's own.
using StatementSink = std::function<void(ConfigNode&&)>;

// Lets the reader of a large file skip the top-level statements it read last
// time: a reload that changes one weight need not parse 2 MB again. Before a
// top-level statement that starts a line, has a block and may be repeated,
// and whose text names no include (an included file may have changed), the
// parser offers its place (the keyword's) and its text, from the keyword to
// the brace closing its block. True: the reader already holds what that very
// text at that very place meant, and the parser goes past it; the sink does
// not see it. False: it is parsed and handed to the sink as usual, next.
// Parsing a statement depends on nothing but its text, its place and the
// schema, so a statement skipped could not have failed.
//
// known_length() lets the parser skip the scan for the closing brace (most of
// the work on a large file): the length of the text the reader last saw at
// that place, 0 if none. The parser offers that span first, when it ends in
// a `}` on a line the lexer would accept; if it is refused, it scans for the
// statement's real end and offers that.
class StatementReuse {
public:
    virtual ~StatementReuse() = default;
    virtual std::size_t known_length(const SourceLocation&) { return 0; }
    virtual bool reuse(const SourceLocation& where, std::string_view text) = 0;
};

ParsedConfig parse_file(const std::string& path, const Schema& schema, FileSource& files,
                        const StatementSink& sink, StatementReuse* reuse = nullptr);

// Parses `text` as if read from `name` (includes resolved through `files`).
ParsedConfig parse_text(const std::string& name, std::string_view text, const Schema& schema,
                        FileSource& files);

}  // namespace hakeep::config
