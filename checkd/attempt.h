// One attempt of one checker: a non-blocking state machine on the event loop
// that ends exactly once, with a verdict and a typed reason. The base owns
// the descriptor and the deadline, so every way out releases both.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/event_loop.h"
#include "common/proto/hakeep.pb.h"
#include "common/unique_fd.h"

namespace hakeep::checkd {

struct AttemptResult {
    bool ok = false;
    std::string reason;          // "connect: refused", "http: status 503", ...
    std::optional<int> weight;   // misc_dynamic, FILE_CHECK
};

using AttemptDone = std::function<void(AttemptResult)>;

class Attempt {
public:
    Attempt(EventLoop& loop, AttemptDone done) : loop_(loop), done_(std::move(done)) {}
    virtual ~Attempt();
    Attempt(const Attempt&) = delete;
    Attempt& operator=(const Attempt&) = delete;

protected:
    // Ends the attempt: releases the descriptor and the timer, then reports.
    // The report may destroy *this, so callers return right after.
    void finish(AttemptResult result);
    // True once finish() has run: the attempt stays alive until its owner
    // drops it on a later turn of the loop, but must do nothing more.
    bool finished() const { return !done_; }
    void fail(std::string reason) { finish(AttemptResult{false, std::move(reason), std::nullopt}); }
    void succeed() { finish(AttemptResult{true, "", std::nullopt}); }
    // For failures found while starting: reported from the loop, never from
    // inside the factory that created the attempt.
    void fail_soon(std::string reason);

    // One deadline at a time; arming another replaces it.
    void set_deadline(Duration after, std::function<void()> on_expiry);
    void watch_fd(std::uint32_t events, EventLoop::FdCallback callback);
    void close_fd();

    EventLoop& loop_;
    UniqueFd fd_;
    bool watching_ = false;

private:
    AttemptDone done_;
    std::optional<EventLoop::TimerId> deadline_;
    std::optional<EventLoop::TimerId> soon_;
};

using AttemptFactory =
    std::function<std::unique_ptr<Attempt>(EventLoop&, const proto::CheckerSpec&, AttemptDone)>;

}  // namespace hakeep::checkd
