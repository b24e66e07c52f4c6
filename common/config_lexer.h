// Tokens of keepalived's block syntax, produced one at a time so that errors
// come out in file order and a large file never exists as a token array.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/config.h"

namespace hakeep::config {

// Longer lines are refused: no sane configuration has one, and a file that
// does is most likely not a configuration file at all.
constexpr std::size_t max_line_bytes = 4096;

enum class TokenKind { word, open_brace, close_brace };

struct Token {
    TokenKind kind = TokenKind::word;
    Word word;                // a brace's text is "{" or "}"
    bool starts_line = true;  // a newline (or the start of the file) precedes it
};

// Words end at blanks and braces; `{` and `}` are tokens of their own even
// when glued to a word. A token that begins with `#` or `!` starts a comment
// running to the end of the line. A token that begins with `"` is a quoted
// string on one line, with \" and \\ as its only escapes. Lines may end in LF
// or CRLF; columns count bytes, so a tab is one column.
class Lexer {
public:
    Lexer(std::string file, std::string_view text);

    const Token* peek();  // null at the end of the input; throws ConfigError
    Token next();         // only after peek() returned a token

    const std::string& file() const { return file_.str(); }

    // For a parser that may skip a statement it already knows: the text from
    // the peeked token to the `}` closing the first `{` after it, by the rules
    // above, without making tokens. Null when that is not plain (no block, a
    // `}` first, an unterminated quote, a NUL or an overlong line on the
    // way): the parser then reads it token by token and says what is wrong.
    std::optional<std::string_view> peeked_block_text() const;
    // The `length` bytes from the peeked token, if they end in a `}` on a
    // line next_line() would accept; whether a block ends there is the
    // caller's to know (the same bytes ended one before).
    std::optional<std::string_view> peeked_span(std::size_t length) const;
    // Goes past `text` (from peeked_block_text()): the next token follows it.
    void skip(std::string_view text);

private:
    std::optional<Token> scan();
    bool next_line();
    Token make_token(TokenKind kind, std::string text, std::size_t column, bool quoted);
    Token scan_quoted();
    Token scan_word();
    SourceLocation location(std::size_t column) const;
    std::size_t peeked_offset() const;
    std::size_t line_offset() const { return static_cast<std::size_t>(line_.data() - text_.data()); }

    FileName file_;  // shared by every token's location
    std::string_view text_;
    std::size_t next_line_start_ = 0;  // npos once the last line was taken
    std::string_view line_;            // the current line, without its terminator
    std::size_t column_ = 0;           // 0-based byte offset into line_
    int line_number_ = 0;
    bool line_has_token_ = false;
    bool scanned_ = false;
    std::optional<Token> lookahead_;
};

}  // namespace hakeep::config
