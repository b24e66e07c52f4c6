#include "common/config_lexer.h"

#include <array>
#include <utility>

namespace hakeep::config {

namespace {

bool is_blank(char c) {
    // A lone '\r' is blank too, so stray carriage returns cannot glue to words.
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

bool ends_word(char c) { return is_blank(c) || c == '{' || c == '}'; }

// A byte inside a word: one table look-up, for the skim over a whole block
// (peeked_block_text() reads 2 MB on a large reload). Not blank, not a
// brace, not a line end.
const std::array<bool, 256> word_bytes = [] {
    std::array<bool, 256> table{};
    for (int c = 0; c < 256; ++c) {
        const char byte = static_cast<char>(c);
        table[static_cast<std::size_t>(c)] = !ends_word(byte) && byte != '\n';
    }
    return table;
}();

bool in_word(char c) { return word_bytes[static_cast<unsigned char>(c)]; }

// End of the quoted string opening at `quote` (just past its closing '"'),
// with scan_quoted()'s escapes; npos when it does not end on its line.
std::size_t quoted_end(std::string_view text, std::size_t quote) {
    for (std::size_t at = quote + 1; at < text.size(); ++at) {
        const char c = text[at];
        if (c == '\n' || c == '\0') return std::string_view::npos;
        if (c == '"') return at + 1;
        if (c == '\\' && at + 1 < text.size() && (text[at + 1] == '"' || text[at + 1] == '\\')) ++at;
    }
    return std::string_view::npos;
}

}  // namespace

Lexer::Lexer(std::string file, std::string_view text) : file_(std::move(file)), text_(text) {}

const Token* Lexer::peek() {
    if (!scanned_) {
        lookahead_ = scan();
        scanned_ = true;
    }
    return lookahead_ ? &*lookahead_ : nullptr;
}

Token Lexer::next() {
    peek();
    Token token = std::move(*lookahead_);
    lookahead_.reset();
    scanned_ = false;
    return token;
}

SourceLocation Lexer::location(std::size_t column) const {
    return SourceLocation{file_, line_number_, static_cast<int>(column) + 1};
}

bool Lexer::next_line() {
    if (next_line_start_ == std::string_view::npos) return false;
    const std::size_t newline = text_.find('\n', next_line_start_);
    if (newline == std::string_view::npos) {
        line_ = text_.substr(next_line_start_);
        next_line_start_ = std::string_view::npos;
    } else {
        line_ = text_.substr(next_line_start_, newline - next_line_start_);
        next_line_start_ = newline + 1;
    }
    if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
    ++line_number_;
    column_ = 0;
    line_has_token_ = false;

    if (line_.size() > max_line_bytes) throw ConfigError(location(max_line_bytes), "line too long");
    // A NUL would silently truncate the word when it reaches a C API later.
    if (const std::size_t nul = line_.find('\0'); nul != std::string_view::npos)
        throw ConfigError(location(nul), "unexpected NUL byte");
    return true;
}

Token Lexer::make_token(TokenKind kind, std::string text, std::size_t column, bool quoted) {
    Token token{kind, Word{std::move(text), location(column), quoted}, !line_has_token_};
    line_has_token_ = true;
    return token;
}

Token Lexer::scan_quoted() {
    const std::size_t start = column_++;
    std::string text;
    while (column_ < line_.size()) {
        const char c = line_[column_];
        const bool escape = c == '\\' && column_ + 1 < line_.size() &&
                            (line_[column_ + 1] == '"' || line_[column_ + 1] == '\\');
        if (escape) {
            text += line_[column_ + 1];
            column_ += 2;
            continue;
        }
        ++column_;
        if (c == '"') return make_token(TokenKind::word, std::move(text), start, true);
        // Any other backslash is kept, so "\d+" reaches a regex as written.
        text += c;
    }
    throw ConfigError(location(start), "unterminated quoted string");
}

Token Lexer::scan_word() {
    const std::size_t start = column_;
    while (column_ < line_.size() && !ends_word(line_[column_])) ++column_;
    return make_token(TokenKind::word, std::string(line_.substr(start, column_ - start)), start,
                      false);
}

std::size_t Lexer::peeked_offset() const {
    return line_offset() + static_cast<std::size_t>(lookahead_->word.where.column - 1);
}

std::optional<std::string_view> Lexer::peeked_span(std::size_t length) const {
    if (!lookahead_ || length == 0) return std::nullopt;
    const std::size_t start = peeked_offset();
    if (length > text_.size() - start || text_[start + length - 1] != '}') return std::nullopt;
    // The line of the closing brace, whole: what follows the brace is new.
    const std::size_t newline = text_.rfind('\n', start + length - 1);
    const std::size_t line_start = newline == std::string_view::npos || newline < line_offset()
                                       ? line_offset()
                                       : newline + 1;
    std::size_t line_end = text_.find('\n', start + length);
    if (line_end == std::string_view::npos) line_end = text_.size();
    std::string_view line = text_.substr(line_start, line_end - line_start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line_bytes || line.find('\0') != std::string_view::npos) return std::nullopt;
    return text_.substr(start, length);
}

std::optional<std::string_view> Lexer::peeked_block_text() const {
    if (!lookahead_) return std::nullopt;
    const std::size_t start = peeked_offset();
    std::size_t line_start = line_offset();
    // next_line() refuses an overlong line: so does this.
    auto line_fits = [&line_start, this](std::size_t end) {
        std::size_t length = end - line_start;
        if (length > 0 && text_[end - 1] == '\r') --length;
        return length <= max_line_bytes;
    };
    int depth = 0;
    std::size_t at = start;
    while (at < text_.size()) {
        const char c = text_[at];
        if (c == '\n') {
            if (!line_fits(at)) return std::nullopt;
            line_start = ++at;
        } else if (is_blank(c)) {
            ++at;
        } else if (c == '#' || c == '!') {  // a comment, at the start of a token
            at = text_.find('\n', at);
            if (at == std::string_view::npos) return std::nullopt;
        } else if (c == '"') {
            at = quoted_end(text_, at);
            if (at == std::string_view::npos) return std::nullopt;
        } else if (c == '{') {
            ++depth;
            ++at;
        } else if (c == '}') {
            if (depth == 0) return std::nullopt;
            ++at;
            if (--depth > 0) continue;
            // The line of the closing brace is read whole (skip() makes it
            // the current line), and next_line() refuses a NUL anywhere.
            std::size_t line_end = text_.find('\n', at);
            if (line_end == std::string_view::npos) line_end = text_.size();
            if (!line_fits(line_end)) return std::nullopt;
            if (text_.substr(start, line_end - start).find('\0') != std::string_view::npos)
                return std::nullopt;
            return text_.substr(start, at - start);
        } else {  // a word
            while (at < text_.size() && in_word(text_[at])) ++at;
        }
    }
    return std::nullopt;
}

void Lexer::skip(std::string_view text) {
    const std::size_t end = static_cast<std::size_t>(text.data() - text_.data()) + text.size();
    // The line of the closing brace becomes the current line, the brace its
    // last token.
    std::size_t start = line_offset();
    for (std::size_t newline = text_.find('\n', start); newline < end - 1;
         newline = text_.find('\n', start)) {
        start = newline + 1;
        ++line_number_;
    }
    const std::size_t newline = text_.find('\n', start);
    line_ = text_.substr(start, newline == std::string_view::npos ? std::string_view::npos
                                                                    : newline - start);
    if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
    next_line_start_ = newline == std::string_view::npos ? std::string_view::npos : newline + 1;
    column_ = end - start;
    line_has_token_ = true;
    lookahead_.reset();
    scanned_ = false;
}

std::optional<Token> Lexer::scan() {
    for (;;) {
        while (column_ < line_.size() && is_blank(line_[column_])) ++column_;
        if (column_ >= line_.size()) {
            if (!next_line()) return std::nullopt;
            continue;
        }
        const char c = line_[column_];
        if (c == '#' || c == '!') {
            column_ = line_.size();
            continue;
        }
        if (c == '{' || c == '}') {
            const std::size_t start = column_++;
            return make_token(c == '{' ? TokenKind::open_brace : TokenKind::close_brace,
                              std::string(1, c), start, false);
        }
        if (c == '"') return scan_quoted();
        return scan_word();
    }
}

}  // namespace hakeep::config
