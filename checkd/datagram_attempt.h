// The common part of the datagram checkers: a connected datagram socket, one
// request sent, replies read as they come until the subclass decides or the
// deadline passes. ICMP errors reach recv() as errno (IP_RECVERR).
#pragma once

#include <string>
#include <string_view>

#include "checkd/attempt.h"

namespace hakeep::checkd {

class DatagramAttempt : public Attempt {
public:
    DatagramAttempt(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done, std::string prefix);

protected:
    // Opens the socket and sends `request`; on_reply() for each datagram.
    void start(int type, int protocol, std::string request);
    virtual void on_reply(std::string_view reply) = 0;
    virtual void on_timeout() { fail(prefix_ + ": timeout"); }
    virtual void on_error(int error);

    const proto::CheckerSpec& spec_;
    const std::string prefix_;

private:
    void on_readable();
};

}  // namespace hakeep::checkd
