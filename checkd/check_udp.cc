// UDP_CHECK, as keepalived: the payload (random if none) is sent; with
// require_reply a reply must come, within min/max_reply_length, matching the
// pattern (X nibbles ignored) over the shorter of the two; without, silence
// until connect_timeout is success and an ICMP port unreachable is failure.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "checkd/datagram_attempt.h"
#include "checkd/datagram_checks.h"

namespace hakeep::checkd {
namespace {

std::string random_payload() {
    std::string payload;
    for (int i = 0; i < 2; ++i) {
        const std::uint32_t bits = random_u32();
        payload.append(reinterpret_cast<const char*>(&bits), sizeof bits);
    }
    return payload;
}

class UdpCheck final : public DatagramAttempt {
public:
    UdpCheck(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done)
        : DatagramAttempt(loop, spec, std::move(done), "udp") {
        start(SOCK_DGRAM, 0, spec.payload().empty() ? random_payload() : spec.payload());
    }

private:
    void on_reply(std::string_view reply) override {
        if (!spec_.require_reply()) return succeed();
        if (reply.size() < spec_.min_reply_length() || reply.size() > spec_.max_reply_length())
            return fail("udp: reply length " + std::to_string(reply.size()) + " outside " +
                        std::to_string(spec_.min_reply_length()) + ".." + std::to_string(spec_.max_reply_length()));
        const std::string& pattern = spec_.reply_pattern();
        const std::string& mask = spec_.reply_mask();
        const std::size_t compared = std::min(reply.size(), pattern.size());
        for (std::size_t i = 0; i < compared; ++i) {
            const auto care = static_cast<unsigned char>(i < mask.size() ? mask[i] : 0xff);
            if ((static_cast<unsigned char>(reply[i]) & care) != (static_cast<unsigned char>(pattern[i]) & care))
                return fail("udp: reply mismatch");
        }
        succeed();
    }
    void on_timeout() override {
        if (spec_.require_reply()) return fail("udp: no reply");
        succeed();
    }
    void on_error(int error) override {
        if (error == ECONNREFUSED) return fail("udp: port unreachable");
        DatagramAttempt::on_error(error);
    }
};

}  // namespace

std::unique_ptr<Attempt> start_udp_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) {
    return std::make_unique<UdpCheck>(loop, spec, std::move(done));
}

}  // namespace hakeep::checkd
