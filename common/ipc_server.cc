#include "common/ipc_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/log.h"

namespace hakeep::ipc {
namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

sockaddr_un unix_address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        fail("socket path " + path);
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

}  // namespace

UniqueFd Server::listen(const std::string& path, mode_t mode, std::optional<uid_t> owner,
                        std::optional<gid_t> group) {
    const sockaddr_un address = unix_address(path);
    struct stat existing{};
    if (lstat(path.c_str(), &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode)) {
            errno = EEXIST;
            fail(path + " exists and is not a socket");
        }
        // Only a dead socket (ECONNREFUSED: nobody listens) is replaced. The
        // probe must not block: a live instance that is not accepting has a
        // full backlog (EAGAIN), and owns the socket all the same.
        UniqueFd probe(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!probe) fail("socket");
        const bool answered = connect(probe.get(), reinterpret_cast<const sockaddr*>(&address),
                                      sizeof address) == 0;
        if (answered || errno == EAGAIN) {
            errno = EADDRINUSE;
            fail(path + " is in use by a running daemon");
        }
        if (errno != ECONNREFUSED && errno != ENOENT) fail(path + " exists and is not a dead socket");
        unlink(path.c_str());
    }
    UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) fail("socket");
    // Created with no access for anyone; opened up only once owner and mode are right.
    const mode_t previous = umask(0777);
    const int bound = bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
    umask(previous);
    if (bound != 0) fail("bind " + path);
    if (chown(path.c_str(), owner.value_or(static_cast<uid_t>(-1)),
              group.value_or(static_cast<gid_t>(-1))) != 0)
        fail("chown " + path);
    if (chmod(path.c_str(), mode) != 0) fail("chmod " + path);
    if (::listen(fd.get(), 16) != 0) fail("listen " + path);
    return fd;
}

Server::Server(EventLoop& loop, UniqueFd listening, RoleAccounts accounts, std::string daemon_name)
    : loop_(loop),
      listening_(std::move(listening)),
      accounts_(accounts),
      daemon_name_(std::move(daemon_name)) {
    loop_.watch(listening_.get(), EPOLLIN, [this](std::uint32_t) { accept_all(); });
}

Server::~Server() {
    connections_.clear();
    if (listening_) loop_.unwatch(listening_.get());
}

void Server::handle(Body body, Handler handler) { handlers_[body] = std::move(handler); }

void Server::accept_all() {
    for (;;) {
        UniqueFd fd(accept4(listening_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;  // EAGAIN, or out of descriptors: the rest wait for the next wake-up
        }
        PeerCredentials peer = peer_credentials(fd.get());
        const RoleSet roles = roles_of(peer, accounts_);
        if (connections_.size() >= max_connections) {
            ++counters_.refused_too_many;
            // One non-blocking try to say why, then closed by UniqueFd: a
            // flood cannot exhaust us, and hactl can tell the operator.
            proto::Envelope reply;
            reply.mutable_error_reply()->set_code(proto::ErrorReply::CODE_FAILED);
            reply.mutable_error_reply()->set_message(daemon_name_ + ": too many connections (" +
                                                     std::to_string(max_connections) + ")");
            if (std::optional<std::string> bytes = encode(reply))
                ::send(fd.get(), bytes->data(), bytes->size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            continue;
        }
        ++counters_.accepted;
        const std::string label = daemon_name_ + ": peer pid " + std::to_string(peer.pid) +
                                  " uid " + std::to_string(peer.uid);
        auto connection = std::make_unique<Connection>(loop_, std::move(fd), std::move(peer),
                                                       roles, label);
        Connection& added = *connection;
        connections_[added.id()] = std::move(connection);
        added.set_handlers(
            [this](Connection& from, const proto::Envelope& envelope) { dispatch(from, envelope); },
            [this](Connection& from, const std::string& reason) { on_malformed(from, reason); },
            [this](Connection& from) { forget(from); });
        HK_LOG_DEBUG("%s connected (roles %s)", added.label().c_str(),
                     role_names(added.roles()).c_str());
        if (on_connect_) on_connect_(added);
    }
}

void Server::dispatch(Connection& connection, const proto::Envelope& envelope) {
    ++counters_.messages;
    const Body body = envelope.body_case();
    const std::string name(message_name(body));
    if (!may_send(connection.roles(), body)) {
        ++counters_.refused_forbidden;
        if (may_log_refusal())
            HK_LOG_WARNING("%s (roles %s) may not send %s: refused, connection closed",
                       connection.label().c_str(), role_names(connection.roles()).c_str(),
                       name.c_str());
        connection.refuse(proto::ErrorReply::CODE_FORBIDDEN,
                          "permission denied: " + name + " needs a role this account (uid " +
                              std::to_string(connection.peer().uid) + ", roles " +
                              role_names(connection.roles()) + ") does not have");
        return;
    }
    auto handler = handlers_.find(body);
    if (handler == handlers_.end()) {
        ++counters_.refused_unsupported;
        if (may_log_refusal())
            HK_LOG_WARNING("%s sent %s, which %s does not take: refused",
                           connection.label().c_str(), name.c_str(), daemon_name_.c_str());
        connection.refuse(proto::ErrorReply::CODE_UNSUPPORTED,
                          daemon_name_ + " does not take " + name);
        return;
    }
    handler->second(connection, envelope);
}

void Server::on_malformed(Connection& connection, const std::string& reason) {
    ++counters_.refused_malformed;
    if (may_log_refusal())
        HK_LOG_WARNING("%s: %s: refused, connection closed", connection.label().c_str(),
                       reason.c_str());
    connection.refuse(proto::ErrorReply::CODE_MALFORMED, reason);
}

bool Server::may_log_refusal() {
    const TimePoint now = loop_.now();
    if (now - refusal_window_start_ >= std::chrono::minutes(1)) {
        if (refusal_logs_in_window_ > refusal_logs_per_window)
            HK_LOG_WARNING("%s: %d more refusals in the last minute were not logged",
                           daemon_name_.c_str(), refusal_logs_in_window_ - refusal_logs_per_window);
        refusal_window_start_ = now;
        refusal_logs_in_window_ = 0;
    }
    return ++refusal_logs_in_window_ <= refusal_logs_per_window;
}

std::size_t Server::connections_with(RoleSet roles) const {
    std::size_t count = 0;
    for (const auto& [id, connection] : connections_)
        if (connection->open() && (connection->roles() & roles) != 0) ++count;
    return count;
}

void Server::forget(Connection& connection) {
    for (const ConnectHandler& handler : on_disconnect_) handler(connection);
    // Not destroyed here: we are inside one of its own callbacks.
    const std::uint64_t id = connection.id();
    std::weak_ptr<Server*> self = self_;
    loop_.schedule(Duration::zero(), [self, id] {
        if (auto server = self.lock()) (*server)->connections_.erase(id);
    });
}

std::size_t Server::broadcast(RoleSet roles, const proto::Envelope& envelope) {
    std::size_t sent = 0;
    for (auto& [id, connection] : connections_)
        if (connection->open() && (connection->roles() & roles) != 0 && connection->send(envelope))
            ++sent;
    return sent;
}

}  // namespace hakeep::ipc
