// SMTP replies (RFC 5321 §4.2), pure: "250-first" lines continue a reply,
// "250 last" ends it. Capped in line length and lines per reply.
#pragma once

#include <string>
#include <string_view>

namespace hakeep::checkd {

class SmtpReplyReader {
public:
    enum class Status { need_more, reply, failed };
    static constexpr std::size_t max_line = 2048;
    static constexpr int max_lines = 100;

    // Consumes bytes up to the end of one reply; what follows stays in `bytes`.
    Status feed(std::string_view& bytes);
    int code() const { return code_; }              // after Status::reply
    const std::string& error() const { return error_; }
    void next() { code_ = 0; lines_ = 0; }         // ready for the next reply

private:
    Status fail(const char* reason) {
        error_ = reason;
        return Status::failed;
    }
    std::string line_;
    std::string error_;
    int code_ = 0;
    int lines_ = 0;
};

}  // namespace hakeep::checkd
