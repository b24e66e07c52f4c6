#include "checkd/attempt.h"

namespace hakeep::checkd {

Attempt::~Attempt() {
    close_fd();
    if (deadline_) loop_.cancel(*deadline_);
    if (soon_) loop_.cancel(*soon_);
}

void Attempt::close_fd() {
    // The descriptor is ours alone and closed right below: no EPOLL_CTL_DEL.
    if (watching_) loop_.forget_closing(fd_.get());
    watching_ = false;
    fd_.reset();
}

void Attempt::finish(AttemptResult result) {
    if (!done_) return;  // already finished
    close_fd();
    if (deadline_) loop_.cancel(*deadline_);
    if (soon_) loop_.cancel(*soon_);
    deadline_.reset();
    soon_.reset();
    AttemptDone done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));  // may destroy *this: nothing after
}

void Attempt::fail_soon(std::string reason) {
    soon_ = loop_.schedule(Duration::zero(), [this, reason = std::move(reason)]() mutable {
        soon_.reset();
        fail(std::move(reason));
    });
}

void Attempt::set_deadline(Duration after, std::function<void()> on_expiry) {
    if (deadline_) loop_.cancel(*deadline_);
    deadline_ = loop_.schedule(after, [this, on_expiry = std::move(on_expiry)] {
        deadline_.reset();
        on_expiry();
    });
}

void Attempt::watch_fd(std::uint32_t events, EventLoop::FdCallback callback) {
    loop_.watch(fd_.get(), events, std::move(callback));
    watching_ = true;
}

}  // namespace hakeep::checkd
