// PING_CHECK: one ICMP echo on an unprivileged ping socket (SOCK_DGRAM,
// IPPROTO_ICMP / IPPROTO_ICMPV6): no CAP_NET_RAW, but the group of checkd's
// account must be within net.ipv4.ping_group_range (checkd.conf(5)). The
// kernel sets the identifier and checksum; the sequence number is ours.
#include <netinet/in.h>

#include "checkd/datagram_attempt.h"
#include "checkd/datagram_checks.h"
#include "checkd/net_socket.h"

namespace hakeep::checkd {
namespace {

constexpr unsigned char echo_request_v4 = 8, echo_reply_v4 = 0;
constexpr unsigned char echo_request_v6 = 128, echo_reply_v6 = 129;

class PingCheck final : public DatagramAttempt {
public:
    PingCheck(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done)
        : DatagramAttempt(loop, spec, std::move(done), "ping"), sequence_(static_cast<std::uint16_t>(random_u32())) {
        const auto target = socket_address(spec.address(), 0);
        v6_ = target && target->family() == AF_INET6;
        std::string echo(8, '\0');
        echo[0] = static_cast<char>(v6_ ? echo_request_v6 : echo_request_v4);
        echo[6] = static_cast<char>(sequence_ >> 8);
        echo[7] = static_cast<char>(sequence_ & 0xff);
        echo += "hakeep-checkd";
        start(SOCK_DGRAM, v6_ ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP}, echo);
    }

private:
    void on_reply(std::string_view reply) override {
        if (reply.size() < 8) return;  // not an echo reply: keep waiting
        const auto type = static_cast<unsigned char>(reply[0]);
        const auto sequence = static_cast<std::uint16_t>((static_cast<unsigned char>(reply[6]) << 8) |
                                                         static_cast<unsigned char>(reply[7]));
        if (type == (v6_ ? echo_reply_v6 : echo_reply_v4) && sequence == sequence_) succeed();
    }
    std::uint16_t sequence_;
    bool v6_ = false;
};

}  // namespace

std::unique_ptr<Attempt> start_ping_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) {
    return std::make_unique<PingCheck>(loop, spec, std::move(done));
}

}  // namespace hakeep::checkd
