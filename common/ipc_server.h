// A daemon's control socket: accepts, learns who connected (SO_PEERCRED at
// accept time), checks every message against the policy table and the daemon's
// own handlers, and refuses the rest with an ErrorReply and a close.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "common/ipc_connection.h"
#include "common/ipc_policy.h"

namespace hakeep::ipc {

struct ServerCounters {
    std::uint64_t accepted = 0;
    std::uint64_t refused_forbidden = 0;
    std::uint64_t refused_unsupported = 0;
    std::uint64_t refused_malformed = 0;
    std::uint64_t refused_too_many = 0;
    std::uint64_t messages = 0;
};

class Server {
public:
    using Handler = std::function<void(Connection&, const proto::Envelope&)>;
    using ConnectHandler = std::function<void(Connection&)>;

    static constexpr std::size_t max_connections = 64;

    // Binds `path` (replacing a stale socket, never another kind of file),
    // chmod `mode`, chown to `owner`/`group` where given. Before the sandbox.
    static UniqueFd listen(const std::string& path, mode_t mode, std::optional<uid_t> owner,
                           std::optional<gid_t> group);

    Server(EventLoop& loop, UniqueFd listening, RoleAccounts accounts, std::string daemon_name);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // This daemon takes `body`; the policy table still decides who may send it.
    void handle(Body body, Handler handler);
    void on_connect(ConnectHandler handler) { on_connect_ = std::move(handler); }
    // Every handler added runs, in order, when a connection closes.
    void add_disconnect_handler(ConnectHandler handler) {
        on_disconnect_.push_back(std::move(handler));
    }
    // Open connections holding one of `roles`.
    std::size_t connections_with(RoleSet roles) const;
    void set_accounts(const RoleAccounts& accounts) { accounts_ = accounts; }

    // Sends to every open connection holding one of `roles`; returns how many.
    std::size_t broadcast(RoleSet roles, const proto::Envelope& envelope);

    const ServerCounters& counters() const { return counters_; }
    std::size_t connection_count() const { return connections_.size(); }

    // What the daemon does with a message, exposed for tests of the refusal paths.
    void dispatch(Connection& connection, const proto::Envelope& envelope);

private:
    void accept_all();
    void on_malformed(Connection& connection, const std::string& reason);
    void forget(Connection& connection);

    EventLoop& loop_;
    UniqueFd listening_;
    RoleAccounts accounts_;
    std::string daemon_name_;
    std::map<Body, Handler> handlers_;
    ConnectHandler on_connect_;
    std::vector<ConnectHandler> on_disconnect_;
    // Refusals are logged at most this many per window, then counted: a
    // hostile client must not be able to flood the log.
    static constexpr int refusal_logs_per_window = 20;
    TimePoint refusal_window_start_{};
    int refusal_logs_in_window_ = 0;
    bool may_log_refusal();
    std::map<std::uint64_t, std::unique_ptr<Connection>> connections_;
    ServerCounters counters_;
    // Deferred erasures hold a weak reference, so none outlives the server.
    std::shared_ptr<Server*> self_ = std::make_shared<Server*>(this);
};

}  // namespace hakeep::ipc
