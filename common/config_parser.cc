// The schema-driven parser: statements, their arity, blocks, list blocks and
// includes. Every rule about where a statement ends lives here.
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>
#include <utility>

#include "common/config.h"
#include "common/config_lexer.h"
#include "common/unique_fd.h"

namespace hakeep::config {

namespace {

constexpr int max_include_depth = 16;
// No real configuration comes close; the bound keeps a mistaken include of a
// huge file (or of /dev/zero) from eating the daemon's memory.
constexpr std::size_t max_config_bytes = std::size_t{64} << 20;

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// The block that unknown keywords open when the schema allows them: anything goes.
const Schema& unknown_block_schema() {
    static const Schema schema{{}, true};
    return schema;
}

// The statements being collected for one block. Includes inside the block
// add to the same Block, so "given twice" spans files.
struct Block {
    const Schema* schema;  // null: a list block, one entry per line
    std::string name;      // keyword that opened it; empty at top level
    std::vector<ConfigNode>& statements;
    std::map<std::string, SourceLocation, std::less<>> first_seen;
    const StatementSink* sink = nullptr;  // set: statements go there, not kept
    StatementReuse* reuse = nullptr;      // set: known statements may be skipped

    void add(ConfigNode&& node) {
        if (sink != nullptr) (*sink)(std::move(node));
        else statements.push_back(std::move(node));
    }
};

// What to say about a stray word after a complete statement on the same line
// ("'priority' takes 1 value"), made only when there is such a word.
struct SameLineHint {
    std::string keyword;  // empty: nothing to say
    const KeywordSpec* spec = nullptr;
};

// One file being read, and how many includes deep it is.
struct Input {
    Lexer lexer;
    int depth;
};

bool is_include(const Token& token) {
    return token.kind == TokenKind::word && !token.word.quoted && token.word.text == "include";
}

bool is_keyword(const Schema& schema, std::string_view word) {
    return word == "include" || schema.keywords.contains(word);
}

bool is_word_on_same_line(const Token* token) {
    return token && token->kind == TokenKind::word && !token->starts_line;
}

std::string values(int count) {
    return std::to_string(count) + (count == 1 ? " value" : " values");
}

// "'priority' takes 1 value": said when a word after a complete statement on
// the same line is not a keyword, which is usually one value too many.
std::string arity_hint(const std::string& keyword, const KeywordSpec& spec) {
    if (spec.max_args == 0) return quoted(keyword) + " takes no value";
    if (spec.max_args == spec.min_args) return quoted(keyword) + " takes " + values(spec.max_args);
    return quoted(keyword) + " takes at most " + values(spec.max_args);
}

std::string too_few_message(const std::string& keyword, const KeywordSpec& spec) {
    if (spec.min_args == 1) return quoted(keyword) + " needs a value";
    if (spec.min_args == spec.max_args) return quoted(keyword) + " needs " + values(spec.min_args);
    return quoted(keyword) + " needs at least " + values(spec.min_args);
}

std::string unknown_keyword_message(const Word& word, const Block& block,
                                    const SameLineHint& hint) {
    std::string message = "unknown keyword " + quoted(word.text);
    if (!block.name.empty()) message += " in " + quoted(block.name);
    if (!hint.keyword.empty()) message += " (" + arity_hint(hint.keyword, *hint.spec) + ")";
    return message;
}

std::string list_entry_block_message(const Block& block) {
    return quoted(block.name) + " is a list: its entries cannot have a block";
}

void check_repeat(Block& block, const Word& keyword, const KeywordSpec& spec) {
    if (spec.repeatable) return;
    const auto [first, inserted] = block.first_seen.try_emplace(keyword.text, keyword.where);
    if (!inserted)
        throw ConfigError(keyword.where, quoted(keyword.text) + " given twice (first at " +
                                             first->second.to_string() + ")");
}

// Arguments never cross a line. Those past min_args are optional and stop at
// a word that is a keyword of the block, which is what lets
// "interval 2  timeout 1" share a line. Required ones are taken as they come,
// so a check may be named like a keyword.
void take_args(Lexer& lexer, const Schema& schema, const KeywordSpec& spec, ConfigNode& node) {
    for (;;) {
        if (spec.max_args != unbounded && std::ssize(node.args) >= spec.max_args) return;
        const Token* token = lexer.peek();
        if (!is_word_on_same_line(token)) return;
        const bool optional = std::ssize(node.args) >= spec.min_args;
        if (optional && !token->word.quoted && is_keyword(schema, token->word.text)) return;
        node.args.push_back(lexer.next().word);
    }
}

void take_rest_of_line(Lexer& lexer, std::vector<Word>& words) {
    while (is_word_on_same_line(lexer.peek())) words.push_back(lexer.next().word);
}

// keepalived relative includes are relative to the including file, not to
// the daemon's working directory.
std::string resolve_include(const std::string& including_file, const std::string& pattern) {
    if (pattern.starts_with('/')) return pattern;
    const std::size_t slash = including_file.rfind('/');
    if (slash == std::string::npos) return pattern;
    return including_file.substr(0, slash + 1) + pattern;
}

bool has_wildcard(const std::string& pattern) {
    return pattern.find_first_of("*?[") != std::string::npos;
}

class Parser {
public:
    Parser(FileSource& files, ParsedConfig& result) : files_(files), result_(result) {}

    // `blame` is where an oversized source is reported: the include naming it.
    void parse_source(const std::string& name, std::string_view text, Block& block, int depth,
                      const SourceLocation& blame);

private:
    void parse_body(Input& in, Block& block, const Token* opener);
    SameLineHint parse_statement(Input& in, Block& block, const SameLineHint& same_line_hint);
    void parse_unknown(Input& in, Block& block, Word keyword);
    void parse_entry(Input& in, Block& block);
    void parse_include(Input& in, Block& block);
    bool reused(Input& in, Block& block);
    bool take_block(Input& in, const KeywordSpec& spec, ConfigNode& node);
    void parse_block(Input& in, ConfigNode& node, const Schema* schema);

    FileSource& files_;
    ParsedConfig& result_;
    std::size_t total_bytes_ = 0;
};

void Parser::parse_source(const std::string& name, std::string_view text, Block& block,
                          int depth, const SourceLocation& blame) {
    total_bytes_ += text.size();
    if (total_bytes_ > max_config_bytes)
        throw ConfigError(blame, "configuration larger than 64 MiB");
    result_.files.push_back(name);
    Input in{Lexer(name, text), depth};
    parse_body(in, block, nullptr);
}

// Statements until the `}` matching `opener`, or until the end of the file
// when there is no opener (a whole file, included or not).
void Parser::parse_body(Input& in, Block& block, const Token* opener) {
    SameLineHint same_line_hint;
    for (;;) {
        const Token* token = in.lexer.peek();
        if (!token) {
            if (opener)
                throw ConfigError(opener->word.where, "unclosed '{' of " + quoted(block.name));
            return;
        }
        if (token->starts_line) same_line_hint.keyword.clear();
        if (token->kind == TokenKind::close_brace) {
            if (!opener) throw ConfigError(token->word.where, "unexpected '}'");
            in.lexer.next();
            return;
        }
        if (token->kind == TokenKind::open_brace)
            throw ConfigError(token->word.where,
                              block.schema ? "unexpected '{'" : list_entry_block_message(block));
        if (is_include(*token)) {
            parse_include(in, block);
            same_line_hint.keyword.clear();
        } else if (!block.schema) {
            parse_entry(in, block);
        } else if (block.reuse != nullptr && token->starts_line && reused(in, block)) {
            same_line_hint.keyword.clear();
        } else {
            same_line_hint = parse_statement(in, block, same_line_hint);
        }
    }
}

// Returns the hint for an unknown word that might follow on the same line.
SameLineHint Parser::parse_statement(Input& in, Block& block, const SameLineHint& same_line_hint) {
    Word keyword = in.lexer.next().word;
    const Schema& schema = *block.schema;
    const auto found = schema.keywords.find(keyword.text);
    if (found == schema.keywords.end()) {
        // Unknown keywords start their own line even where they are allowed:
        // after a complete statement it is far likelier a stray value.
        if (!schema.allow_unknown || !same_line_hint.keyword.empty())
            throw ConfigError(keyword.where,
                              unknown_keyword_message(keyword, block, same_line_hint));
        parse_unknown(in, block, std::move(keyword));
        return {};
    }
    const KeywordSpec& spec = found->second;
    check_repeat(block, keyword, spec);

    ConfigNode node;
    node.keyword = std::move(keyword);
    take_args(in.lexer, schema, spec, node);
    if (std::ssize(node.args) < spec.min_args)
        throw ConfigError(node.where(), too_few_message(node.keyword.text, spec));
    const bool has_block = take_block(in, spec, node);
    SameLineHint hint;
    if (!has_block && spec.max_args != unbounded) hint = {node.keyword.text, &spec};
    block.add(std::move(node));
    return hint;
}

// The peeked statement, skipped if block.reuse knows it (see StatementReuse).
bool Parser::reused(Input& in, Block& block) {
    const Token& token = *in.lexer.peek();
    if (token.kind != TokenKind::word || token.word.quoted) return false;
    const auto found = block.schema->keywords.find(token.word.text);
    // A keyword given once must reach check_repeat().
    if (found == block.schema->keywords.end() || !found->second.repeatable ||
        found->second.block == BlockKind::none)
        return false;
    auto offer = [&](std::optional<std::string_view> text) {
        if (!text || text->find("include") != std::string_view::npos ||
            !block.reuse->reuse(token.word.where, *text))
            return false;
        in.lexer.skip(*text);
        return true;
    };
    const std::size_t known = block.reuse->known_length(token.word.where);
    return (known > 0 && offer(in.lexer.peeked_span(known))) || offer(in.lexer.peeked_block_text());
}

// A `{` on a later line still belongs to the statement before it, so both
// "vrrp_instance VI_1 {" and the brace-on-its-own-line style work.
bool Parser::take_block(Input& in, const KeywordSpec& spec, ConfigNode& node) {
    const Token* token = in.lexer.peek();
    if (!token || token->kind != TokenKind::open_brace) {
        if (spec.block == BlockKind::required)
            throw ConfigError(node.where(), quoted(node.keyword.text) + " needs a { block }");
        return false;
    }
    if (spec.block == BlockKind::none)
        throw ConfigError(token->word.where, quoted(node.keyword.text) + " does not take a block");
    parse_block(in, node, spec.children);
    return true;
}

void Parser::parse_block(Input& in, ConfigNode& node, const Schema* schema) {
    const Token opener = in.lexer.next();
    node.has_block = true;
    Block block{schema, node.keyword.text, node.children, {}};
    parse_body(in, block, &opener);
}

// Kept as written: its words to the end of the line and any block, unchecked.
void Parser::parse_unknown(Input& in, Block& block, Word keyword) {
    ConfigNode node;
    node.keyword = std::move(keyword);
    take_rest_of_line(in.lexer, node.args);
    const Token* token = in.lexer.peek();
    if (token && token->kind == TokenKind::open_brace)
        parse_block(in, node, &unknown_block_schema());
    block.add(std::move(node));
}

// One line of a list block; a `{` after it is refused by parse_body.
void Parser::parse_entry(Input& in, Block& block) {
    ConfigNode entry;
    entry.keyword = in.lexer.next().word;
    take_rest_of_line(in.lexer, entry.args);
    block.add(std::move(entry));
}

void Parser::parse_include(Input& in, Block& block) {
    const Word keyword = in.lexer.next().word;
    if (!is_word_on_same_line(in.lexer.peek()))
        throw ConfigError(keyword.where, "'include' needs a value");
    const Word pattern = in.lexer.next().word;
    if (const Token* after = in.lexer.peek(); after && !after->starts_line) {
        if (after->kind == TokenKind::word)
            throw ConfigError(after->word.where,
                              "'include' takes one pattern (quote it if it contains spaces)");
        if (after->kind == TokenKind::open_brace)
            throw ConfigError(after->word.where, "'include' does not take a block");
    }
    if (in.depth >= max_include_depth)
        throw ConfigError(keyword.where, "include nested too deeply (loop?)");

    const std::string resolved = resolve_include(in.lexer.file(), pattern.text);
    // A pattern may match nothing (an empty conf.d); a plain path must exist.
    const std::vector<std::string> paths =
        has_wildcard(resolved) ? files_.expand(resolved) : std::vector<std::string>{resolved};
    for (const std::string& path : paths) {
        const std::optional<std::string> text = files_.read(path);
        if (!text)
            throw ConfigError(keyword.where, "cannot open include file " + quoted(path) + ": " +
                                                 files_.last_error());
        parse_source(path, *text, block, in.depth + 1, keyword.where);
    }
}

// glob_t freed on every path out of expand().
class GlobMatches {
public:
    GlobMatches() = default;
    GlobMatches(const GlobMatches&) = delete;
    GlobMatches& operator=(const GlobMatches&) = delete;
    ~GlobMatches() { ::globfree(&matches_); }
    glob_t* get() { return &matches_; }

private:
    glob_t matches_{};
};

}  // namespace

namespace {

ParsedConfig parse_text_into(const std::string& name, std::string_view text, const Schema& schema,
                             FileSource& files, const StatementSink* sink,
                             StatementReuse* reuse = nullptr) {
    ParsedConfig result;
    Parser parser(files, result);
    Block top{&schema, "", result.statements, {}, sink, reuse};
    parser.parse_source(name, text, top, 0, SourceLocation{name, 1, 1});
    return result;
}

ParsedConfig parse_file_into(const std::string& path, const Schema& schema, FileSource& files,
                             const StatementSink* sink, StatementReuse* reuse = nullptr) {
    const std::optional<std::string> text = files.read(path);
    if (!text) throw ConfigError(SourceLocation{path, 1, 1}, "cannot open: " + files.last_error());
    return parse_text_into(path, *text, schema, files, sink, reuse);
}

}  // namespace

ParsedConfig parse_text(const std::string& name, std::string_view text, const Schema& schema,
                        FileSource& files) {
    return parse_text_into(name, text, schema, files, nullptr);
}

ParsedConfig parse_file(const std::string& path, const Schema& schema, FileSource& files) {
    return parse_file_into(path, schema, files, nullptr);
}

ParsedConfig parse_file(const std::string& path, const Schema& schema, FileSource& files,
                        const StatementSink& sink, StatementReuse* reuse) {
    return parse_file_into(path, schema, files, &sink, reuse);
}

std::optional<std::string> DiskFileSource::read(const std::string& path) {
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    std::string contents;
    int error = fd ? 0 : errno;
    // Sized once: grown by doubling, a 2 MB file would be copied six times
    // into ever larger blocks, each a fresh mapping to fault in.
    struct stat status {};
    if (error == 0 && ::fstat(fd.get(), &status) == 0 && S_ISREG(status.st_mode))
        contents.reserve(std::min(static_cast<std::size_t>(status.st_size), max_config_bytes) + 1);
    std::array<char, 64 * 1024> buffer;
    // Stop a byte past the parser's bound: it refuses the file either way.
    while (error == 0 && contents.size() <= max_config_bytes) {
        const ssize_t count = ::read(fd.get(), buffer.data(), buffer.size());
        if (count == 0) break;
        if (count > 0)
            contents.append(buffer.data(), static_cast<std::size_t>(count));
        else if (errno != EINTR)
            error = errno;
    }
    if (error != 0) {
        last_error_ = std::error_code(error, std::generic_category()).message();
        return std::nullopt;
    }
    return contents;
}

std::vector<std::string> DiskFileSource::expand(const std::string& pattern) {
    GlobMatches matches;
    // GLOB_MARK puts a '/' after directories so that they can be skipped.
    // Errors (unreadable folder, no memory) leave what matched, like no match.
    ::glob(pattern.c_str(), GLOB_MARK, nullptr, matches.get());
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < matches.get()->gl_pathc; ++i) {
        std::string path = matches.get()->gl_pathv[i];
        if (!path.ends_with('/')) paths.push_back(std::move(path));
    }
    // glob(3) sorts by the locale's collation; the daemons must not depend on it.
    std::sort(paths.begin(), paths.end());
    return paths;
}

}  // namespace hakeep::config
