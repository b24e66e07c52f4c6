// The service manager's readiness protocol (sd_notify(3)), written by hand:
// one datagram of "KEY=VALUE\n" lines on the AF_UNIX socket that systemd
// names in NOTIFY_SOCKET (a path, or "@name" for an abstract socket).
// run_daemon() sends READY=1 once the loop runs, RELOADING=1 / READY=1 around
// a reload, STOPPING=1 on TERM/INT, and WATCHDOG=1 from an event-loop timer
// at half of WATCHDOG_USEC, so that a stuck loop gets the daemon restarted.
//
// The socket is opened before the sandbox; afterwards a notification is one
// sendto(2), which runtime_syscalls() allows already (control sockets).
// Without NOTIFY_SOCKET (started by hand, by a test) every call does nothing.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace hakeep::sd_notify {

struct SocketAddress {
    sockaddr_un address{};
    socklen_t length = 0;  // abstract names are not NUL-terminated: the length counts
};

// Pure: "/run/systemd/notify" or "@name" -> an address; nullopt for an empty,
// relative or too long name.
std::optional<SocketAddress> parse_socket_name(std::string_view name);

// Pure: WATCHDOG_USEC and WATCHDOG_PID (either may be null) -> how often to
// ping: half the timeout, or nullopt when there is no watchdog for `self`.
std::optional<std::chrono::microseconds> watchdog_interval(const char* usec, const char* pid,
                                                           pid_t self);

class Notifier {
public:
    Notifier() = default;  // disabled: every send() does nothing
    // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, opens the socket,
    // and removes the three from the environment, so that nothing the daemon
    // forks (checkd's workers and scripts) inherits them.
    static Notifier from_environment();

    bool enabled() const { return fd_.valid(); }
    std::optional<std::chrono::microseconds> watchdog() const { return watchdog_; }

    // One datagram, e.g. "READY=1\nSTATUS=running". Never blocks, never throws;
    // false if it could not be sent (logged once).
    bool send(std::string_view state);

    // The messages run_daemon() sends.
    bool ready(std::string_view status);
    bool reloading();  // RELOADING=1 with MONOTONIC_USEC, as Type=notify-reload wants
    bool stopping();
    bool watchdog_ping();

private:
    Notifier(UniqueFd fd, SocketAddress to, std::optional<std::chrono::microseconds> watchdog);

    UniqueFd fd_;
    SocketAddress to_;
    std::optional<std::chrono::microseconds> watchdog_;
    bool failure_logged_ = false;
};

}  // namespace hakeep::sd_notify
