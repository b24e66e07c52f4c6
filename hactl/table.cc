#include "hactl/table.h"

#include <algorithm>
#include <cstdio>

namespace hakeep::hactl {

std::string Table::render() const {
    std::vector<std::size_t> widths;
    for (const auto& row : rows_) {
        if (widths.size() < row.size()) widths.resize(row.size(), 0);
        for (std::size_t column = 0; column < row.size(); ++column)
            widths[column] = std::max(widths[column], row[column].size());
    }
    std::string out;
    for (const auto& row : rows_) {
        std::string line;
        for (std::size_t column = 0; column < row.size(); ++column) {
            line += row[column];
            if (column + 1 < row.size()) line += std::string(widths[column] - row[column].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

std::string duration_text(std::uint64_t milliseconds) {
    std::uint64_t seconds = milliseconds / 1000;
    char text[64];
    if (seconds >= 86400)
        std::snprintf(text, sizeof text, "%llud%02lluh", static_cast<unsigned long long>(seconds / 86400),
                      static_cast<unsigned long long>(seconds % 86400 / 3600));
    else if (seconds >= 3600)
        std::snprintf(text, sizeof text, "%lluh%02llum", static_cast<unsigned long long>(seconds / 3600),
                      static_cast<unsigned long long>(seconds % 3600 / 60));
    else
        std::snprintf(text, sizeof text, "%llum%02llus", static_cast<unsigned long long>(seconds / 60),
                      static_cast<unsigned long long>(seconds % 60));
    return text;
}

}  // namespace hakeep::hactl
