// Aligned columns for people: widths from the content, two spaces apart.
// State words may be coloured (SGR escapes); widths count what a terminal
// shows, so colour never breaks the alignment.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hakeep::hactl {

class Table {
public:
    explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
    void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    std::string render() const;

private:
    std::vector<std::vector<std::string>> rows_;
};

// Columns a terminal uses for `text`: SGR escapes (ESC [ ... m) count 0,
// a UTF-8 sequence counts 1.
std::size_t visible_width(std::string_view text);

// Colour only for a terminal, and never when NO_COLOR is set to anything
// non-empty (no-color.org). `no_color` is getenv("NO_COLOR"), maybe null.
bool colour_wanted(bool stdout_is_terminal, const char* no_color);
// colour_wanted() for this process's stdout and environment.
bool colour_on_stdout();

// `word` painted by what it says when `colour`: MASTER and UP green, BACKUP
// cyan, FAULT and DOWN red, INIT, STOP and UNKNOWN yellow; "reachable" green,
// "unreachable" red. Any other word, or `colour` false: unchanged.
std::string paint_state(std::string_view word, bool colour);

// "3m07s", "2h05m", "4d03h": how long ago, for people.
std::string duration_text(std::uint64_t milliseconds);

}  // namespace hakeep::hactl
