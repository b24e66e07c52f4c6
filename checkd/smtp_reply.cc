#include "checkd/smtp_reply.h"

#include <cctype>

namespace hakeep::checkd {

SmtpReplyReader::Status SmtpReplyReader::feed(std::string_view& bytes) {
    while (!bytes.empty()) {
        const std::size_t newline = bytes.find('\n');
        const std::size_t take = newline == std::string_view::npos ? bytes.size() : newline;
        if (line_.size() + take > max_line) return fail("smtp: line too long");
        line_.append(bytes.substr(0, take));
        bytes.remove_prefix(newline == std::string_view::npos ? take : newline + 1);
        if (newline == std::string_view::npos) return Status::need_more;
        std::string_view line = line_;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const bool shaped = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                            std::isdigit(static_cast<unsigned char>(line[1])) &&
                            std::isdigit(static_cast<unsigned char>(line[2])) &&
                            (line.size() == 3 || line[3] == ' ' || line[3] == '-');
        if (!shaped) return fail("smtp: malformed reply");
        const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (lines_ > 0 && code != code_) return fail("smtp: malformed reply");
        code_ = code;
        if (++lines_ > max_lines) return fail("smtp: reply too long");
        const bool last = line.size() == 3 || line[3] == ' ';
        line_.clear();
        if (last) return Status::reply;
    }
    return Status::need_more;
}

}  // namespace hakeep::checkd
