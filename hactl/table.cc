#include "hactl/table.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace hakeep::hactl {

std::size_t visible_width(std::string_view text) {
    std::size_t width = 0;
    for (std::size_t index = 0; index < text.size(); ++index) {
        const auto c = static_cast<unsigned char>(text[index]);
        if (c == 0x1b && index + 1 < text.size() && text[index + 1] == '[') {
            // CSI: parameters and intermediates up to the final byte 0x40..0x7e.
            index += 2;
            while (index < text.size() && !(text[index] >= 0x40 && text[index] <= 0x7e)) ++index;
            continue;
        }
        if ((c & 0xc0) != 0x80) ++width;  // continuation bytes add nothing
    }
    return width;
}

std::string Table::render() const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t column = 0; column < row.size(); ++column)
            widths[column] = std::max(widths[column], visible_width(row[column]));
    }
    std::string out;
    for (const auto& row : rows_) {
        std::string line;
        for (std::size_t column = 0; column < row.size(); ++column) {
            line += row[column];
            if (column + 1 < row.size())
                line += std::string(widths[column] - visible_width(row[column]) + 2, ' ');
        }
        // An empty last cell leaves no trailing blanks.
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    return out;
}

bool colour_wanted(bool stdout_is_terminal, const char* no_color) {
    return stdout_is_terminal && (no_color == nullptr || no_color[0] == '\0');
}

bool colour_on_stdout() {
    return colour_wanted(isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"));
}

std::string paint_state(std::string_view word, bool colour) {
    if (!colour) return std::string(word);
    struct Paint {
        std::string_view word;
        const char* sgr;
    };
    static constexpr Paint paints[] = {
        {"MASTER", "1;32"}, {"UP", "32"},      {"reachable", "32"},   {"BACKUP", "36"},
        {"FAULT", "1;31"},  {"DOWN", "31"},    {"unreachable", "31"}, {"INIT", "33"},
        {"STOP", "33"},     {"UNKNOWN", "33"},
    };
    for (const Paint& paint : paints)
        if (paint.word == word)
            return "\x1b[" + std::string(paint.sgr) + "m" + std::string(word) + "\x1b[0m";
    return std::string(word);
}

std::string duration_text(std::uint64_t milliseconds) {
    std::uint64_t seconds = milliseconds / 1000;
    char text[64];
    if (seconds >= 86400)
        std::snprintf(text, sizeof text, "%llud%02lluh",
                      static_cast<unsigned long long>(seconds / 86400),
                      static_cast<unsigned long long>(seconds % 86400 / 3600));
    else if (seconds >= 3600)
        std::snprintf(text, sizeof text, "%lluh%02llum",
                      static_cast<unsigned long long>(seconds / 3600),
                      static_cast<unsigned long long>(seconds % 3600 / 60));
    else
        std::snprintf(text, sizeof text, "%llum%02llus",
                      static_cast<unsigned long long>(seconds / 60),
                      static_cast<unsigned long long>(seconds % 60));
    return text;
}

}  // namespace hakeep::hactl
