// One SOCK_SEQPACKET connection, either side: reads whole datagrams, decodes
// them with the size cap, queues what the peer is not ready to read (bounded,
// so a peer that stops reading is dropped instead of blocking us).
#pragma once

#include <deque>
#include <functional>
#include <string>

#include "common/event_loop.h"
#include "common/ipc_codec.h"
#include "common/roles.h"
#include "common/unique_fd.h"

namespace hakeep::ipc {

class Connection {
public:
    using MessageHandler = std::function<void(Connection&, const proto::Envelope&)>;
    // `reason` is empty for an orderly close by the peer.
    using MalformedHandler = std::function<void(Connection&, const std::string& reason)>;
    using ClosedHandler = std::function<void(Connection&)>;

    static constexpr std::size_t max_queued_messages = 1024;
    static constexpr std::size_t max_queued_bytes = 8 * 1024 * 1024;
    static constexpr int max_reads_per_wakeup = 64;  // fairness between peers

    Connection(EventLoop& loop, UniqueFd fd, PeerCredentials peer, RoleSet roles,
               std::string label);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void set_handlers(MessageHandler on_message, MalformedHandler on_malformed,
                      ClosedHandler on_closed);

    // False if the connection is closed or had to be dropped (queue full).
    bool send(const proto::Envelope& envelope);
    // Sends an ErrorReply (best effort) and closes.
    void refuse(proto::ErrorReply::Code code, const std::string& message);
    void close();

    bool open() const { return fd_.valid(); }
    const PeerCredentials& peer() const { return peer_; }
    RoleSet roles() const { return roles_; }
    const std::string& label() const { return label_; }
    std::uint64_t id() const { return id_; }

private:
    void on_ready(std::uint32_t events);
    void read_datagrams();
    bool flush();
    void update_interest();

    EventLoop& loop_;
    UniqueFd fd_;
    PeerCredentials peer_;
    RoleSet roles_;
    std::string label_;
    std::uint64_t id_;
    std::deque<std::string> queue_;
    std::size_t queued_bytes_ = 0;
    bool want_write_ = false;
    MessageHandler on_message_;
    MalformedHandler on_malformed_;
    ClosedHandler on_closed_;
};

// The kernel's word on who is connected (SO_PEERCRED, SO_PEERGROUPS).
PeerCredentials peer_credentials(int fd);

}  // namespace hakeep::ipc
