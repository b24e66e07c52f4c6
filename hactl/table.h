// Aligned columns for people: widths from the content, two spaces apart.
#pragma once

#include <cstdint>
#include <string>
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

// "3m07s", "2h05m", "4d03h": how long ago, for people.
std::string duration_text(std::uint64_t milliseconds);

}  // namespace hakeep::hactl
