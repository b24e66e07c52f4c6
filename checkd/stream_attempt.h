// The shape shared by the checkers that hold a conversation (HTTP_GET,
// SSL_GET, SMTP_CHECK): connect, TLS handshake if asked, then send and
// receive until the subclass has its verdict. One hard deadline,
// connect_timeout, covers the whole conversation, so a server that drips
// one byte a second ends as "<proto>: timeout", never a stall.
#pragma once

#include <string>
#include <string_view>

#include "checkd/attempt.h"
#include "checkd/stream.h"

namespace hakeep::checkd {

class StreamAttempt : public Attempt {
public:
    StreamAttempt(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done,
                  std::string protocol);

protected:
    // Opens a new connection (a new one for every HTTP url).
    void connect();
    void send(std::string_view bytes) { output_ += bytes; }
    // TLS: our close_notify, after the peer's.
    void shutdown_stream();

    // The stream is up: queue the first bytes with send().
    virtual void on_connected() = 0;
    // Bytes arrived; the subclass may finish().
    virtual void on_data(std::string_view bytes) = 0;
    // The peer closed its side.
    virtual void on_closed() = 0;

    const proto::CheckerSpec& spec_;
    const std::string protocol_;  // "http", "smtp": prefix of timeout reasons

private:
    enum class Phase { connecting, handshaking, talking };
    void on_event(std::uint32_t events);
    void drive();
    void interest(Stream::Io io);
    std::string stream_error() const;

    Phase phase_ = Phase::connecting;
    unsigned connection_ = 0;  // counts connect(): a callback may have replaced the connection
    std::unique_ptr<Stream> stream_;
    std::string output_;
};

std::unique_ptr<Attempt> start_tcp_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done);
std::unique_ptr<Attempt> start_http_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done);
std::unique_ptr<Attempt> start_smtp_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done);

}  // namespace hakeep::checkd
