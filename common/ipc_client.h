// The connecting side of the control sockets.
//  - PeerLink: a daemon's link to another daemon. Absent peers are logged once,
//    retried with backoff capped at 1 s, and never fatal; on every (re)connect a
//    hook sends the snapshot the peer needs (CheckSnapshot, VrrpEvent state).
//  - request(): hactl's one-shot exchange with a deadline.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/ipc_connection.h"

namespace hakeep::ipc {

// Connects a non-blocking SOCK_SEQPACKET socket; errno is set on failure.
UniqueFd connect_unix(const std::string& path);

class PeerLink {
public:
    using ConnectHook = std::function<void(PeerLink&)>;
    using MessageHandler = std::function<void(const proto::Envelope&)>;

    static constexpr Duration first_retry = std::chrono::milliseconds(50);
    static constexpr Duration max_retry = std::chrono::seconds(1);

    PeerLink(EventLoop& loop, std::string peer_name, std::string socket_path);
    ~PeerLink();
    PeerLink(const PeerLink&) = delete;
    PeerLink& operator=(const PeerLink&) = delete;

    void on_connect(ConnectHook hook) { on_connect_ = std::move(hook); }
    void on_message(MessageHandler handler) { on_message_ = std::move(handler); }
    void start();  // first attempt now

    bool connected() const { return connection_ && connection_->open(); }
    // False while the peer is away: the snapshot hook resends state on reconnect.
    bool send(const proto::Envelope& envelope);

    const std::string& peer_name() const { return peer_name_; }
    long long changed_unix_ms() const { return changed_unix_ms_; }
    std::uint64_t connects() const { return connects_; }

private:
    void attempt();
    void schedule_retry();
    void on_closed();

    EventLoop& loop_;
    std::string peer_name_;
    std::string socket_path_;
    ConnectHook on_connect_;
    MessageHandler on_message_;
    std::unique_ptr<Connection> connection_;
    std::unique_ptr<Connection> closing_;  // freed on the next attempt, never inside its callback
    Duration retry_delay_ = first_retry;
    std::optional<EventLoop::TimerId> retry_timer_;
    bool absence_logged_ = false;
    std::string last_refusal_;
    TimePoint connected_at_{};
    long long changed_unix_ms_ = 0;
    std::uint64_t connects_ = 0;
};

struct Exchange {
    std::optional<proto::Envelope> reply;
    std::string error;  // "connect: Permission denied", "timed out", ...
    int error_number = 0;
};

// Sends `request` on a connected socket and waits for one reply.
Exchange exchange(int fd, const proto::Envelope& request, std::chrono::milliseconds timeout);
// connect_unix() then exchange().
Exchange request(const std::string& path, const proto::Envelope& request,
                 std::chrono::milliseconds timeout);

}  // namespace hakeep::ipc
