#include "checkd/datagram_attempt.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>

#include "checkd/net_socket.h"

namespace hakeep::checkd {

DatagramAttempt::DatagramAttempt(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done,
                                 std::string prefix)
    : Attempt(loop, std::move(done)), spec_(spec), prefix_(std::move(prefix)) {}

void DatagramAttempt::start(int type, int protocol, std::string request) {
    Connecting connecting = open_and_connect(spec_, type, protocol, prefix_.c_str());
    if (!connecting.fd) {
        fail_soon(connecting.error);
        return;
    }
    fd_ = std::move(connecting.fd);
    const int yes = 1;
    const bool v6 = socket_address(spec_.address(), 0)->family() == AF_INET6;
    setsockopt(fd_.get(), v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_RECVERR : IP_RECVERR, &yes, sizeof yes);
    if (::send(fd_.get(), request.data(), request.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        const int error = errno;
        fail_soon(socket_error_reason(prefix_.c_str(), error));
        return;
    }
    set_deadline(std::chrono::milliseconds(spec_.connect_timeout_ms()), [this] { on_timeout(); });
    watch_fd(EPOLLIN, [this](std::uint32_t) { on_readable(); });
}

void DatagramAttempt::on_error(int error) { fail(socket_error_reason(prefix_.c_str(), error)); }

void DatagramAttempt::on_readable() {
    std::array<char, 65536> buffer;
    for (int count = 0; count < 16 && !finished(); ++count) {
        const ssize_t size = ::recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (size < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            return on_error(errno);
        }
        on_reply(std::string_view(buffer.data(), static_cast<std::size_t>(size)));
    }
}

}  // namespace hakeep::checkd
