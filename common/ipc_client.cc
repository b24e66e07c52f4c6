#include "common/ipc_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace hakeep::ipc {

UniqueFd connect_unix(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        return UniqueFd();
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return fd;
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const int saved = errno;
        fd.reset();
        errno = saved;
    }
    return fd;
}

PeerLink::PeerLink(EventLoop& loop, std::string peer_name, std::string socket_path)
    : loop_(loop), peer_name_(std::move(peer_name)), socket_path_(std::move(socket_path)) {}

PeerLink::~PeerLink() {
    if (retry_timer_) loop_.cancel(*retry_timer_);
}

void PeerLink::start() { attempt(); }

bool PeerLink::send(const proto::Envelope& envelope) {
    return connected() && connection_->send(envelope);
}

void PeerLink::attempt() {
    retry_timer_.reset();
    closing_.reset();
    UniqueFd fd = connect_unix(socket_path_);
    if (!fd) {
        if (!absence_logged_) {
            HK_LOG_NOTICE("peer %s absent (%s: %s); running alone, retrying", peer_name_.c_str(),
                          socket_path_.c_str(), std::strerror(errno));
            absence_logged_ = true;
        }
        schedule_retry();
        return;
    }
    PeerCredentials peer = peer_credentials(fd.get());
    connection_ = std::make_unique<Connection>(loop_, std::move(fd), std::move(peer), 0,
                                               "link to " + peer_name_);
    connection_->set_handlers(
        [this](Connection&, const proto::Envelope& envelope) {
            if (envelope.has_error_reply()) {
                // Said once per distinct refusal: a peer that keeps refusing
                // us (wrong accounts in global_defs) must not flood the log.
                const std::string& reason = envelope.error_reply().message();
                if (reason != last_refusal_)
                    HK_LOG_WARNING("peer %s refused us: %s", peer_name_.c_str(), reason.c_str());
                last_refusal_ = reason;
            } else if (on_message_)
                on_message_(envelope);
        },
        [this](Connection& connection, const std::string& reason) {
            HK_LOG_WARNING("peer %s sent a bad message (%s): reconnecting", peer_name_.c_str(),
                           reason.c_str());
            connection.close();
        },
        [this](Connection&) { on_closed(); });
    absence_logged_ = false;
    changed_unix_ms_ = unix_time_ms();
    connected_at_ = loop_.now();
    ++connects_;
    if (last_refusal_.empty()) HK_LOG_INFO("peer %s connected", peer_name_.c_str());
    if (on_connect_) on_connect_(*this);
}

void PeerLink::on_closed() {
    // Only a link that stayed up a while earns a fast retry: a peer that
    // accepts and then drops us is retried at the growing backoff.
    if (loop_.now() - connected_at_ >= max_retry) {
        retry_delay_ = first_retry;
        last_refusal_.clear();
    }
    if (last_refusal_.empty()) HK_LOG_NOTICE("peer %s went away; retrying", peer_name_.c_str());
    absence_logged_ = true;  // "went away" already said it
    changed_unix_ms_ = unix_time_ms();
    closing_ = std::move(connection_);
    schedule_retry();
}

void PeerLink::schedule_retry() {
    if (retry_timer_) return;
    retry_timer_ = loop_.schedule(retry_delay_, [this] { attempt(); });
    retry_delay_ = std::min(retry_delay_ * 2, max_retry);
}

Exchange request(const std::string& path, const proto::Envelope& request,
                 std::chrono::milliseconds timeout) {
    UniqueFd fd = connect_unix(path);
    if (!fd) {
        Exchange failed;
        failed.error_number = errno;
        failed.error = std::string("connect: ") + std::strerror(errno);
        return failed;
    }
    return exchange(fd.get(), request, timeout);
}

Exchange exchange(int fd, const proto::Envelope& request, std::chrono::milliseconds timeout) {
    Exchange result;
    auto fail = [&result](const std::string& what, int error_number) {
        result.error = what;
        result.error_number = error_number;
        return result;
    };
    std::optional<std::string> bytes = encode(request);
    if (!bytes) return fail("request too large", EMSGSIZE);
    if (::send(fd, bytes->data(), bytes->size(), MSG_NOSIGNAL) < 0)
        return fail(std::string("send: ") + std::strerror(errno), errno);
    struct pollfd waiting{fd, POLLIN, 0};
    const int ready = poll(&waiting, 1, static_cast<int>(timeout.count()));
    if (ready == 0) return fail("no reply within " + std::to_string(timeout.count()) + " ms", ETIMEDOUT);
    if (ready < 0) return fail(std::string("poll: ") + std::strerror(errno), errno);
    static std::array<char, max_message_size + 1> buffer;
    const ssize_t size = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (size < 0) return fail(std::string("recv: ") + std::strerror(errno), errno);
    if (size == 0) return fail("connection closed without a reply", ECONNRESET);
    const auto datagram_size = static_cast<std::size_t>(size);
    Decoded decoded = decode(std::string_view(buffer.data(), std::min(datagram_size, buffer.size())),
                             datagram_size);
    if (!decoded.envelope) return fail("bad reply: " + decoded.error, EPROTO);
    result.reply = std::move(decoded.envelope);
    return result;
}

}  // namespace hakeep::ipc
