#include "checkd/stream_attempt.h"

#include <array>
#include <chrono>

#include "checkd/net_socket.h"

namespace hakeep::checkd {

StreamAttempt::StreamAttempt(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done,
                             std::string protocol)
    : Attempt(loop, std::move(done)), spec_(spec), protocol_(std::move(protocol)) {}

void StreamAttempt::connect() {
    close_fd();
    stream_.reset();
    output_.clear();
    phase_ = Phase::connecting;
    ++connection_;
    Connecting connecting = open_and_connect(spec_, SOCK_STREAM, 0, "connect");
    if (!connecting.fd) {
        fail_soon(connecting.error);
        return;
    }
    fd_ = std::move(connecting.fd);
    set_deadline(std::chrono::milliseconds(spec_.connect_timeout_ms()), [this] {
        switch (phase_) {
        case Phase::connecting: fail("connect: timeout"); break;
        case Phase::handshaking: fail("tls: handshake timeout"); break;
        case Phase::talking: fail(protocol_ + ": timeout"); break;
        }
    });
    // Even a connect that completed at once is reported through the loop.
    watch_fd(EPOLLOUT, [this](std::uint32_t events) { on_event(events); });
}

void StreamAttempt::on_event(std::uint32_t) {
    if (phase_ == Phase::connecting) {
        const std::string error = connect_result(fd_.get(), "connect");
        if (!error.empty()) return fail(error);
        if (spec_.tls()) {
            std::string why;
            stream_ = tls_stream(fd_.get(), spec_, why);
            if (!stream_) return fail(why);
            phase_ = Phase::handshaking;
        } else {
            stream_ = plain_stream(fd_.get());
            phase_ = Phase::talking;
            const unsigned connection = connection_;
            on_connected();
            if (finished() || connection != connection_) return;
        }
    }
    drive();
}

void StreamAttempt::drive() {
    if (phase_ == Phase::handshaking) {
        const Stream::Io io = stream_->handshake();
        if (io == Stream::Io::failed) return fail(stream_->error());
        if (io != Stream::Io::done) return interest(io);
        phase_ = Phase::talking;
        const unsigned connection = connection_;
        on_connected();
        if (finished() || connection != connection_) return;
    }
    while (!output_.empty()) {
        std::size_t written = 0;
        const Stream::Io io = stream_->write(output_, written);
        if (io == Stream::Io::failed) return fail(stream_error());
        if (io == Stream::Io::closed) return fail(protocol_ + ": connection closed");
        if (io != Stream::Io::done) return interest(io);
        output_.erase(0, written);
    }
    std::array<char, 16 * 1024> buffer;
    for (;;) {
        std::size_t got = 0;
        const Stream::Io io = stream_->read(buffer.data(), buffer.size(), got);
        if (io == Stream::Io::done) {
            const unsigned connection = connection_;
            on_data(std::string_view(buffer.data(), got));
            if (finished() || connection != connection_) return;  // done, or on to the next url
            if (!output_.empty()) return drive();  // the reply asked for more
            continue;
        }
        if (io == Stream::Io::closed) return on_closed();
        if (io == Stream::Io::failed) return fail(stream_error());
        return interest(io);
    }
}

std::string StreamAttempt::stream_error() const {
    // "tls: ..." reasons say their layer already; others get the protocol's.
    const std::string& error = stream_->error();
    return error.starts_with("tls: ") ? error : protocol_ + ": " + error;
}

void StreamAttempt::shutdown_stream() {
    if (stream_) stream_->shutdown();
}

void StreamAttempt::interest(Stream::Io io) {
    watch_fd(io == Stream::Io::want_write ? EPOLLOUT : EPOLLIN,
             [this](std::uint32_t events) { on_event(events); });
}

// ---------------------------------------------------------------- TCP_CHECK

namespace {

// Connected is healthy. The socket is then reset rather than closed (as
// HAProxy's checks do), so thousands of checks a second leave no TIME_WAIT.
class TcpCheck final : public Attempt {
public:
    TcpCheck(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done)
        : Attempt(loop, std::move(done)) {
        Connecting connecting = open_and_connect(spec, SOCK_STREAM, 0, "connect");
        if (!connecting.fd) {
            fail_soon(connecting.error);
            return;
        }
        fd_ = std::move(connecting.fd);
        set_deadline(std::chrono::milliseconds(spec.connect_timeout_ms()), [this] { fail("connect: timeout"); });
        watch_fd(EPOLLOUT, [this](std::uint32_t events) {
            // Writable without an error is connected: SO_ERROR only says why not.
            if (events & (EPOLLERR | EPOLLHUP)) {
                const std::string error = connect_result(fd_.get(), "connect");
                return fail(error.empty() ? "connect: reset" : error);
            }
            const struct linger reset{1, 0};
            setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
            succeed();
        });
    }
};

}  // namespace

std::unique_ptr<Attempt> start_tcp_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done) {
    return std::make_unique<TcpCheck>(loop, spec, std::move(done));
}

}  // namespace hakeep::checkd
