// DNS_CHECK: one query (type and name from the configuration) over UDP; the
// reply is judged by dns_judge_reply(), the only reader of DNS bytes.
#include <sys/socket.h>

#include <cerrno>
#include <random>

#include "checkd/datagram_attempt.h"
#include "checkd/datagram_checks.h"
#include "checkd/dns_message.h"

namespace hakeep::checkd {
namespace {

class DnsCheck final : public DatagramAttempt {
public:
    DnsCheck(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done)
        : DatagramAttempt(loop, spec, std::move(done), "dns"), id_(static_cast<std::uint16_t>(random_u32())) {
        start(SOCK_DGRAM, 0, dns_build_query(id_, spec.dns_name(), static_cast<std::uint16_t>(spec.dns_type())));
    }

private:
    void on_reply(std::string_view reply) override {
        bool ignore = false;
        const std::string reason = dns_judge_reply(reply, id_, ignore);
        if (ignore) return;
        if (reason.empty()) return succeed();
        fail(reason);
    }
    void on_error(int error) override {
        if (error == ECONNREFUSED) return fail("dns: port unreachable");
        DatagramAttempt::on_error(error);
    }

    std::uint16_t id_;
};

}  // namespace

std::uint32_t random_u32() {
    static std::mt19937 generator{std::random_device{}()};
    return static_cast<std::uint32_t>(generator());
}

std::unique_ptr<Attempt> start_dns_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) {
    return std::make_unique<DnsCheck>(loop, spec, std::move(done));
}

}  // namespace hakeep::checkd
