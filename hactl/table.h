// Aligned columns for people: widths from the content, two spaces apart.
#pragma once

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

}  // namespace hakeep::hactl
