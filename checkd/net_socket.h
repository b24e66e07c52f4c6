// Sockets of the network checkers: an address from the configuration, a
// non-blocking socket bound as `bindto`/`bind_port` say and connected (or
// connecting), and errno turned into the typed reasons hactl shows.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/proto/hakeep.pb.h"
#include "common/unique_fd.h"

namespace hakeep::checkd {

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family() const { return storage.ss_family; }
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

std::optional<SocketAddress> socket_address(const std::string& ip, std::uint16_t port);
// "203.0.113.1:80", "[2001:db8::1]:80", or the bare address without a port.
std::string target_text(const std::string& ip, std::uint32_t port);

struct Connecting {
    UniqueFd fd;
    bool in_progress = false;  // EINPROGRESS: wait for EPOLLOUT, then connect_result()
    std::string error;         // set when fd is empty
};

// socket(family of the target, type, protocol) non-blocking, bound to
// bind_if's device and bindto/bind_port as the spec says, connect to spec.address():spec.port(). `prefix` names the failure
// ("connect", "udp", "ping").
Connecting open_and_connect(const proto::CheckerSpec& spec, int type, int protocol,
                            const char* prefix);
// After EPOLLOUT: empty if connected, else the reason (SO_ERROR).
std::string connect_result(int fd, const char* prefix);
// "connect: refused", "connect: host unreachable", ... for errno `error`.
std::string socket_error_reason(const char* prefix, int error);

}  // namespace hakeep::checkd
