#include "checkd/dns_message.h"

#include <array>
#include <utility>

namespace hakeep::checkd {
namespace {

constexpr std::array<std::pair<const char*, std::uint16_t>, 7> types = {{
    {"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"MX", 15}, {"TXT", 16}, {"AAAA", 28},
}};

constexpr std::size_t header_size = 12;
constexpr int max_name_steps = 128;  // labels plus pointers: a loop ends here

std::uint16_t read16(std::string_view bytes, std::size_t at) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                      static_cast<unsigned char>(bytes[at + 1]));
}

// Skips the name at `at` (labels, ending at a zero byte or a compression
// pointer); false if it runs off the end or is not a valid name.
bool skip_name(std::string_view bytes, std::size_t& at) {
    for (int step = 0; step < max_name_steps; ++step) {
        if (at >= bytes.size()) return false;
        const auto length = static_cast<unsigned char>(bytes[at]);
        if (length == 0) {
            at += 1;
            return true;
        }
        if ((length & 0xc0) == 0xc0) {  // pointer: the name ends here for our purposes
            if (at + 2 > bytes.size()) return false;
            at += 2;
            return true;
        }
        if ((length & 0xc0) != 0) return false;  // 01 and 10 prefixes are not in use
        at += 1 + length;
    }
    return false;
}

const char* rcode_name(unsigned rcode) {
    switch (rcode) {
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 3: return "NXDOMAIN";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    default: return nullptr;
    }
}

}  // namespace

std::uint16_t dns_type_number(const std::string& name) {
    for (const auto& [text, number] : types)
        if (name == text) return number;
    return 0;
}

std::string dns_type_name(std::uint16_t type) {
    for (const auto& [text, number] : types)
        if (number == type) return text;
    return "TYPE" + std::to_string(type);
}

bool dns_name_valid(const std::string& name) {
    if (name == ".") return true;
    if (name.empty() || name.size() > 253 + 1) return false;
    std::size_t label = 0;
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (c == '.') {
            if (label == 0) return false;  // empty label
            label = 0;
            continue;
        }
        if (c <= ' ' || c > '~') return false;
        if (++label > 63) return false;
    }
    return true;
}

std::string dns_build_query(std::uint16_t id, const std::string& name, std::uint16_t type) {
    std::string query;
    const auto put16 = [&](std::uint16_t value) {
        query += static_cast<char>(value >> 8);
        query += static_cast<char>(value & 0xff);
    };
    put16(id);
    put16(0x0100);  // standard query, recursion desired
    put16(1);       // one question
    put16(0);
    put16(0);
    put16(0);
    std::size_t start = 0;
    while (name != "." && start < name.size()) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        query += static_cast<char>(dot - start);
        query.append(name, start, dot - start);
        start = dot + 1;
    }
    query += '\0';
    put16(type);
    put16(1);  // class IN
    return query;
}

std::string dns_judge_reply(std::string_view reply, std::uint16_t id, bool& ignore) {
    ignore = false;
    if (reply.size() < header_size) return "dns: malformed reply (short header)";
    if (read16(reply, 0) != id) {
        ignore = true;  // someone else's, or a stale reply to an earlier attempt
        return "dns: reply for another query";
    }
    const std::uint16_t flags = read16(reply, 2);
    if ((flags & 0x8000) == 0) return "dns: malformed reply (not a response)";
    const unsigned rcode = flags & 0x000f;
    if (rcode != 0) {
        const char* name = rcode_name(rcode);
        return std::string("dns: rcode ") + (name ? name : std::to_string(rcode));
    }
    const std::uint16_t questions = read16(reply, 4);
    const std::uint16_t answers = read16(reply, 6);
    std::size_t at = header_size;
    for (unsigned q = 0; q < questions; ++q) {
        if (!skip_name(reply, at) || at + 4 > reply.size()) return "dns: malformed reply (question)";
        at += 4;
    }
    for (unsigned a = 0; a < answers; ++a) {
        if (!skip_name(reply, at) || at + 10 > reply.size()) return "dns: malformed reply (answer)";
        const std::uint16_t data_length = read16(reply, at + 8);
        at += 10;
        if (at + data_length > reply.size()) return "dns: malformed reply (bad record length)";
        at += data_length;
    }
    if (answers == 0) return "dns: no answer";
    return "";
}

}  // namespace hakeep::checkd
