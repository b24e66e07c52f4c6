#include "common/sd_notify.h"

#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "common/log.h"

namespace hakeep::sd_notify {
namespace {

template <typename Number>
std::optional<Number> parse_number(const char* text) {
    if (text == nullptr || *text == '\0') return std::nullopt;
    const char* end = text + std::strlen(text);
    Number value{};
    auto [stop, error] = std::from_chars(text, end, value);
    if (error != std::errc() || stop != end) return std::nullopt;
    return value;
}

}  // namespace

std::optional<SocketAddress> parse_socket_name(std::string_view name) {
    SocketAddress result;
    result.address.sun_family = AF_UNIX;
    constexpr std::size_t capacity = sizeof(result.address.sun_path);
    if (name.size() < 2 || (name[0] != '/' && name[0] != '@')) return std::nullopt;
    if (name.find('\0') != std::string_view::npos) return std::nullopt;
    if (name[0] == '@') {
        // Abstract namespace: a leading NUL, then the name, no terminator.
        if (name.size() > capacity) return std::nullopt;
        result.address.sun_path[0] = '\0';
        std::memcpy(result.address.sun_path + 1, name.data() + 1, name.size() - 1);
        result.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        return result;
    }
    if (name.size() >= capacity) return std::nullopt;  // room for the NUL
    std::memcpy(result.address.sun_path, name.data(), name.size());
    result.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + 1);
    return result;
}

std::optional<std::chrono::microseconds> watchdog_interval(const char* usec, const char* pid,
                                                           pid_t self) {
    const auto timeout = parse_number<unsigned long long>(usec);
    if (!timeout || *timeout == 0) return std::nullopt;
    if (pid != nullptr && *pid != '\0') {
        // The watchdog is meant for one process only (sd_watchdog_enabled(3)).
        const auto owner = parse_number<long long>(pid);
        if (!owner || *owner != static_cast<long long>(self)) return std::nullopt;
    }
    return std::chrono::microseconds(static_cast<long long>(*timeout / 2 > 0 ? *timeout / 2 : 1));
}

Notifier::Notifier(UniqueFd fd, SocketAddress to, std::optional<std::chrono::microseconds> watchdog)
    : fd_(std::move(fd)), to_(to), watchdog_(watchdog) {}

Notifier Notifier::from_environment() {
    const char* socket_name = std::getenv("NOTIFY_SOCKET");
    const std::optional<SocketAddress> to =
        socket_name != nullptr ? parse_socket_name(socket_name) : std::nullopt;
    const std::optional<std::chrono::microseconds> watchdog =
        watchdog_interval(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), getpid());
    if (socket_name != nullptr && !to)
        HK_LOG_WARNING("NOTIFY_SOCKET '%s' is not a usable socket name: not notifying",
                       socket_name);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    if (!to) return Notifier();
    UniqueFd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        HK_LOG_WARNING("cannot open a socket for NOTIFY_SOCKET: %s", std::strerror(errno));
        return Notifier();
    }
    return Notifier(std::move(fd), *to, watchdog);
}

bool Notifier::send(std::string_view state) {
    if (!fd_) return false;
    // sendto(2) with the address each time: nothing to reconnect if the
    // manager re-executes itself, and one syscall the sandbox allows already.
    const ssize_t sent = sendto(fd_.get(), state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&to_.address), to_.length);
    if (sent == static_cast<ssize_t>(state.size())) return true;
    if (!failure_logged_) {
        failure_logged_ = true;
        HK_LOG_WARNING("cannot notify the service manager: %s",
                       sent < 0 ? std::strerror(errno) : "short write");
    }
    return false;
}

bool Notifier::ready(std::string_view status) {
    std::string message = "READY=1\nSTATUS=";
    message += status;
    return send(message);
}

bool Notifier::reloading() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const long long usec = static_cast<long long>(now.tv_sec) * 1000000LL + now.tv_nsec / 1000;
    return send("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=" + std::to_string(usec));
}

bool Notifier::stopping() {
    return send("STOPPING=1\nSTATUS=stopping");
}

bool Notifier::watchdog_ping() {
    return send("WATCHDOG=1");
}

}  // namespace hakeep::sd_notify
