#include "common/ipc_connection.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "common/log.h"

namespace hakeep::ipc {
namespace {

std::uint64_t next_connection_id = 1;

}  // namespace

PeerCredentials peer_credentials(int fd) {
    PeerCredentials peer;
    struct ucred credentials{};
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0) {
        peer.pid = credentials.pid;
        peer.uid = credentials.uid;
        peer.gid = credentials.gid;
    } else {
        // Unknown peer: an impossible uid maps to no role.
        peer.uid = static_cast<uid_t>(-1);
        peer.gid = static_cast<gid_t>(-1);
    }
    // Too small a buffer fails with ERANGE and the size needed, so that an
    // admin in many groups is not silently stripped of all of them.
    std::vector<gid_t> groups(64);
    for (int attempt = 0; attempt < 2; ++attempt) {
        length = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &length) == 0) {
            groups.resize(length / sizeof(gid_t));
            peer.groups = std::move(groups);
            break;
        }
        if (errno != ERANGE) break;
        groups.resize(length / sizeof(gid_t));
    }
    return peer;
}

Connection::Connection(EventLoop& loop, UniqueFd fd, PeerCredentials peer, RoleSet roles,
                       std::string label)
    : loop_(loop),
      fd_(std::move(fd)),
      peer_(std::move(peer)),
      roles_(roles),
      label_(std::move(label)),
      id_(next_connection_id++) {
    loop_.watch(fd_.get(), EPOLLIN, [this](std::uint32_t events) { on_ready(events); });
}

Connection::~Connection() {
    if (fd_) loop_.unwatch(fd_.get());
}

void Connection::set_handlers(MessageHandler on_message, MalformedHandler on_malformed,
                              ClosedHandler on_closed) {
    on_message_ = std::move(on_message);
    on_malformed_ = std::move(on_malformed);
    on_closed_ = std::move(on_closed);
}

void Connection::close() {
    if (!fd_) return;
    loop_.unwatch(fd_.get());
    fd_.reset();
    queue_.clear();
    queued_bytes_ = 0;
    if (on_closed_) on_closed_(*this);
}

bool Connection::send(const proto::Envelope& envelope) {
    if (!fd_) return false;
    std::optional<std::string> bytes = encode(envelope);
    if (!bytes) {
        HK_LOG_ERROR("%s: outgoing message too large, not sent", label_.c_str());
        return false;
    }
    if (queue_.size() >= max_queued_messages || queued_bytes_ + bytes->size() > max_queued_bytes) {
        HK_LOG_WARNING("%s: peer is not reading, dropping the connection", label_.c_str());
        close();
        return false;
    }
    queued_bytes_ += bytes->size();
    queue_.push_back(std::move(*bytes));
    return flush();
}

void Connection::refuse(proto::ErrorReply::Code code, const std::string& message) {
    proto::Envelope reply;
    reply.mutable_error_reply()->set_code(code);
    reply.mutable_error_reply()->set_message(message);
    send(reply);
    close();
}

bool Connection::flush() {
    while (fd_ && !queue_.empty()) {
        const std::string& front = queue_.front();
        const ssize_t sent = ::send(fd_.get(), front.data(), front.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == EINTR) continue;
            close();
            return false;
        }
        queued_bytes_ -= front.size();
        queue_.pop_front();
    }
    update_interest();
    return fd_.valid();
}

void Connection::update_interest() {
    if (!fd_) return;
    const bool want = !queue_.empty();
    if (want == want_write_) return;
    want_write_ = want;
    loop_.watch(fd_.get(), want ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

void Connection::on_ready(std::uint32_t events) {
    if (events & EPOLLOUT) flush();
    if (fd_ && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_datagrams();
}

void Connection::read_datagrams() {
    // One buffer for the whole process: a datagram is handled before the next read.
    static std::array<char, max_message_size + 1> buffer;
    for (int count = 0; fd_ && count < max_reads_per_wakeup; ++count) {
        const ssize_t size =
            recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
        if (size < 0) {
            // ECONNRESET: the peer closed with our datagrams unread. Linux says
            // so once, ahead of what the peer sent before closing (often an
            // ErrorReply saying why); read on, the queue then ends with 0.
            if (errno == EINTR || errno == ECONNRESET) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) close();
            return;
        }
        if (size == 0) {  // orderly shutdown by the peer
            close();
            return;
        }
        const auto datagram_size = static_cast<std::size_t>(size);
        const std::size_t kept = std::min(datagram_size, buffer.size());
        Decoded decoded = decode(std::string_view(buffer.data(), kept), datagram_size);
        if (!decoded.envelope) {
            if (on_malformed_) on_malformed_(*this, decoded.error);
            else close();
            continue;
        }
        if (on_message_) on_message_(*this, *decoded.envelope);
    }
}

}  // namespace hakeep::ipc
