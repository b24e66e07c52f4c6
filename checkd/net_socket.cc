#include "checkd/net_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace hakeep::checkd {

std::optional<SocketAddress> socket_address(const std::string& ip, std::uint16_t port) {
    SocketAddress address;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
    if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        address.length = sizeof *v4;
        return address;
    }
    if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        address.length = sizeof *v6;
        return address;
    }
    return std::nullopt;
}

std::string target_text(const std::string& ip, std::uint32_t port) {
    if (port == 0) return ip;
    const bool v6 = ip.find(':') != std::string::npos;
    return (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

std::string socket_error_reason(const char* prefix, int error) {
    const std::string head = std::string(prefix) + ": ";
    switch (error) {
    case ECONNREFUSED: return head + "refused";
    case ETIMEDOUT: return head + "timeout";
    case EHOSTUNREACH: return head + "host unreachable";
    case ENETUNREACH: return head + "network unreachable";
    case ECONNRESET: return head + "reset";
    case EADDRNOTAVAIL: return head + "address not available";
    case EADDRINUSE: return head + "bind_port in use";
    case EACCES:
    case EPERM:
        // A ping socket needs the account's group in net.ipv4.ping_group_range.
        if (std::strcmp(prefix, "ping") == 0) return head + "not permitted (net.ipv4.ping_group_range)";
        return head + "not permitted";
    default: return head + std::strerror(error);
    }
}

Connecting open_and_connect(const proto::CheckerSpec& spec, int type, int protocol,
                            const char* prefix) {
    Connecting result;
    const auto target = socket_address(spec.address(), static_cast<std::uint16_t>(spec.port()));
    if (!target) {
        result.error = std::string(prefix) + ": bad address " + spec.address();
        return result;
    }
    UniqueFd fd(socket(target->family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
    if (!fd) {
        result.error = socket_error_reason(prefix, errno);
        return result;
    }
    // Without privilege: Linux >= 5.7 lets any process bind a socket that
    // is bound to no device yet (changing it afterwards needs CAP_NET_RAW).
    if (!spec.bind_if().empty() &&
        setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, spec.bind_if().data(),
                   static_cast<socklen_t>(spec.bind_if().size())) != 0) {
        result.error = std::string(prefix) + ": bind_if " + spec.bind_if() + ": " + std::strerror(errno);
        return result;
    }
    if (!spec.bind_address().empty() || spec.bind_port() != 0) {
        const std::string any = target->family() == AF_INET6 ? "::" : "0.0.0.0";
        const auto local = socket_address(spec.bind_address().empty() ? any : spec.bind_address(),
                                          static_cast<std::uint16_t>(spec.bind_port()));
        if (!local || local->family() != target->family()) {
            result.error = std::string(prefix) + ": bindto and target are not the same family";
            return result;
        }
        if (spec.bind_port() != 0) {
            const int yes = 1;
            setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        }
        if (bind(fd.get(), local->get(), local->length) != 0) {
            result.error = std::string(prefix) + ": bind: " + std::strerror(errno);
            return result;
        }
    }
    if (connect(fd.get(), target->get(), target->length) != 0) {
        if (errno != EINPROGRESS) {
            result.error = socket_error_reason(prefix, errno);
            return result;
        }
        result.in_progress = true;
    }
    result.fd = std::move(fd);
    return result;
}

std::string connect_result(int fd, const char* prefix) {
    int error = 0;
    socklen_t length = sizeof error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    return error == 0 ? "" : socket_error_reason(prefix, error);
}

}  // namespace hakeep::checkd
