// A small JSON writer: hactl's --json output is one object (DESIGN.md §4).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hakeep::hactl {

std::string json_string(std::string_view text);  // quoted and escaped

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);
    JsonWriter& value(std::string_view text);
    JsonWriter& value(const char* text) { return value(std::string_view(text)); }
    JsonWriter& value(bool flag);
    JsonWriter& value(std::int64_t number);
    JsonWriter& value(std::uint64_t number);
    JsonWriter& value(double number);
    JsonWriter& null();
    const std::string& text() const { return out_; }

private:
    void separate();
    std::string out_;
    bool need_comma_ = false;
};

}  // namespace hakeep::hactl
