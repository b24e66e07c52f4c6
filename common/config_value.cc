// Source locations, ConfigError, and the helpers that turn a node's words into
// typed values, each failing at the word it could not use.
#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <system_error>

#include "common/config.h"

namespace hakeep::config {

namespace {

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// Whole-word decimal integer: no blanks, no '+', no trailing junk.
std::optional<std::int64_t> parse_integer(std::string_view text) {
    std::int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

std::int64_t power_of_ten(int exponent) {
    std::int64_t result = 1;
    for (int i = 0; i < exponent; ++i) result *= 10;
    return result;
}

bool all_digits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "[-]DIGITS[.DIGITS]" with at most `decimals` fraction digits, scaled by
// 10^decimals. Integer arithmetic throughout, so 0.01 is exactly 1.
std::optional<std::int64_t> parse_fixed(std::string_view text, int decimals) {
    const bool negative = !text.empty() && text.front() == '-';
    if (negative) text.remove_prefix(1);
    const std::size_t dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const std::string_view fraction =
        dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    if (!all_digits(whole)) return std::nullopt;
    if (dot != std::string_view::npos && !all_digits(fraction)) return std::nullopt;
    if (fraction.size() > static_cast<std::size_t>(decimals)) return std::nullopt;

    const auto whole_value = parse_integer(whole);
    const auto fraction_value = fraction.empty() ? std::optional<std::int64_t>(0)
                                                 : parse_integer(fraction);
    if (!whole_value || !fraction_value) return std::nullopt;
    const std::int64_t scale = power_of_ten(decimals);
    const std::int64_t scaled_fraction =
        *fraction_value * power_of_ten(decimals - static_cast<int>(fraction.size()));
    if (*whole_value > (std::numeric_limits<std::int64_t>::max() - scaled_fraction) / scale)
        return std::nullopt;
    const std::int64_t scaled = *whole_value * scale + scaled_fraction;
    return negative ? -scaled : scaled;
}

// 4095 with 2 decimals -> "40.95", 100 -> "1", 150 -> "1.5": as an operator writes it.
std::string format_fixed(std::int64_t scaled, int decimals) {
    const std::int64_t scale = power_of_ten(decimals);
    std::string text = scaled < 0 ? "-" : "";
    // Unsigned so that the most negative value still has a magnitude.
    const std::uint64_t magnitude = scaled < 0 ? 0 - static_cast<std::uint64_t>(scaled)
                                               : static_cast<std::uint64_t>(scaled);
    text += std::to_string(magnitude / static_cast<std::uint64_t>(scale));
    std::string fraction = std::to_string(magnitude % static_cast<std::uint64_t>(scale));
    fraction.insert(0, static_cast<std::size_t>(decimals) - fraction.size(), '0');
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    if (!fraction.empty()) text += "." + fraction;
    return text;
}

std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const std::string& word : words) text += (text.empty() ? "" : ", ") + word;
    return text;
}

}  // namespace

std::string SourceLocation::to_string() const {
    return file.str() + ":" + std::to_string(line) + ":" + std::to_string(column);
}

ConfigError::ConfigError(const SourceLocation& where, const std::string& message)
    : std::runtime_error(where.to_string() + ": " + message), where_(where), message_(message) {}

const Word& ConfigNode::arg(std::size_t index) const {
    if (index >= args.size())
        throw ConfigError(keyword.where, "missing value for " + quoted(keyword.text));
    return args[index];
}

std::string ConfigNode::string_arg(std::size_t index) const { return arg(index).text; }

std::int64_t ConfigNode::int_arg(std::size_t index, std::int64_t min, std::int64_t max) const {
    const Word& word = arg(index);
    const auto value = parse_integer(word.text);
    if (!value || *value < min || *value > max)
        throw ConfigError(word.where, quoted(keyword.text) + " must be an integer in " +
                                          std::to_string(min) + ".." + std::to_string(max) +
                                          ", got " + quoted(word.text));
    return *value;
}

std::int64_t ConfigNode::fixed_arg(std::size_t index, int decimals, std::int64_t min_scaled,
                                   std::int64_t max_scaled) const {
    // 10^18 is the largest power of ten an int64 holds.
    if (decimals < 0 || decimals > 18)
        throw std::invalid_argument("fixed_arg: decimals must be in 0..18");
    if (decimals == 0) return int_arg(index, min_scaled, max_scaled);
    const Word& word = arg(index);
    const auto value = parse_fixed(word.text, decimals);
    if (!value || *value < min_scaled || *value > max_scaled) {
        const std::string places = decimals == 1 ? "1 decimal" : std::to_string(decimals) +
                                                                     " decimals";
        throw ConfigError(word.where, quoted(keyword.text) + " must be a number in " +
                                          format_fixed(min_scaled, decimals) + ".." +
                                          format_fixed(max_scaled, decimals) + " with at most " +
                                          places + ", got " + quoted(word.text));
    }
    return *value;
}

bool ConfigNode::bool_arg(std::size_t index) const {
    const Word& word = arg(index);
    const std::string& text = word.text;
    if (text == "on" || text == "true" || text == "yes" || text == "1") return true;
    if (text == "off" || text == "false" || text == "no" || text == "0") return false;
    throw ConfigError(word.where, quoted(keyword.text) +
                                      " must be on/off, true/false, yes/no or 1/0, got " +
                                      quoted(text));
}

std::string ConfigNode::choice_arg(std::size_t index,
                                   const std::vector<std::string>& allowed) const {
    const Word& word = arg(index);
    if (std::find(allowed.begin(), allowed.end(), word.text) == allowed.end())
        throw ConfigError(word.where, quoted(keyword.text) + " must be one of " + join(allowed) +
                                          ", got " + quoted(word.text));
    return word.text;
}

std::vector<const ConfigNode*> ConfigNode::find_all(std::string_view name) const {
    std::vector<const ConfigNode*> found;
    for (const ConfigNode& child : children)
        if (child.keyword.text == name) found.push_back(&child);
    return found;
}

const ConfigNode* ConfigNode::find(std::string_view name) const {
    const auto named = [&](const ConfigNode& child) { return child.keyword.text == name; };
    const auto last = std::find_if(children.rbegin(), children.rend(), named);
    return last == children.rend() ? nullptr : &*last;
}

}  // namespace hakeep::config
