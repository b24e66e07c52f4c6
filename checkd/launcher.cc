#include "checkd/launcher.h"

#include <malloc.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "checkd/worker.h"
#include "common/event_loop.h"
#include "common/log.h"

namespace hakeep::checkd {
namespace {

constexpr std::uint32_t launch_magic = 0x686b6c31;  // "hkl1"

struct LaunchRequest {
    std::uint32_t magic;
    std::uint32_t kind;
    std::uint32_t index;
};

constexpr std::uint32_t max_worker_index = 1024;

// One request: exactly a LaunchRequest and exactly one descriptor, or nothing.
bool receive_request(LaunchRequest& request, UniqueFd& worker_end, bool& closed) {
    closed = false;
    iovec data{&request, sizeof request};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t size = recvmsg(child_link_fd, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT | MSG_TRUNC);
    if (size == 0 || (size < 0 && errno != EAGAIN && errno != EINTR)) {
        closed = true;
        return false;
    }
    if (size < 0) return false;
    std::vector<int> fds;
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < count; ++i) {
            int fd = -1;
            std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof fd);
            fds.push_back(fd);
        }
    }
    const bool good = static_cast<std::size_t>(size) == sizeof request && !(message.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) &&
                      fds.size() == 1 && request.magic == launch_magic &&
                      (request.kind == static_cast<std::uint32_t>(WorkerKind::network) ||
                       request.kind == static_cast<std::uint32_t>(WorkerKind::script)) &&
                      request.index < max_worker_index;
    if (!good) {
        for (int fd : fds) close(fd);
        HK_LOG_ERROR("launcher: malformed request from the supervisor, ignored");
        return false;
    }
    worker_end.reset(fds[0]);
    return true;
}

[[noreturn]] void run_launcher(const LaunchSettings& settings) {
    sandbox::Policy policy;
    policy.account = settings.account;
    policy.denied = script_worker_denied_syscalls();
    policy.seccomp_log = settings.seccomp_log;
    try {
        sandbox::enter(policy);
    } catch (const std::exception& error) {
        HK_LOG_ERROR("launcher for %s: %s", settings.account.name.c_str(), error.what());
        _exit(1);
    }
    SystemClock clock;
    EventLoop loop(clock);
    std::map<pid_t, std::string> workers;
    loop.on_signal(SIGCHLD, [&] {
        int status = 0;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            auto found = workers.find(pid);
            if (found == workers.end()) continue;
            HK_LOG_WARNING("worker %s (pid %d) ended: %s", found->second.c_str(), static_cast<int>(pid),
                           wait_status_text(status).c_str());
            workers.erase(found);
        }
    });
    loop.on_signal(SIGTERM, [&] { loop.stop(); });
    loop.watch(child_link_fd, EPOLLIN, [&](std::uint32_t) {
        LaunchRequest request{};
        UniqueFd worker_end;
        bool closed = false;
        if (!receive_request(request, worker_end, closed)) {
            if (closed) loop.stop();  // the supervisor is gone: so are we, and our workers
            return;
        }
        const auto kind = static_cast<WorkerKind>(request.kind);
        const std::string name = worker_name(kind, request.index, settings.account.name);
        const pid_t launcher = getpid();
        const pid_t pid = fork();
        if (pid == 0) {
            const std::string comm = kind == WorkerKind::network ? "checkd-net" + std::to_string(request.index)
                                                                 : std::string("checkd-script");
            become_child(comm.c_str(), launcher, std::move(worker_end), settings.log);
            if (kind == WorkerKind::network) run_network_worker(request.index, settings);
            run_script_worker(settings);
        }
        if (pid < 0) {
            HK_LOG_ERROR("launcher: cannot fork worker %s: %s", name.c_str(), std::strerror(errno));
            return;
        }
        workers[pid] = name;
        HK_LOG_INFO("worker %s started (pid %d)", name.c_str(), static_cast<int>(pid));
    });
    loop.run();
    for (const auto& [pid, name] : workers) kill(pid, SIGKILL);
    _exit(0);
}

}  // namespace

std::string worker_name(WorkerKind kind, std::uint32_t index, const std::string& account) {
    if (kind == WorkerKind::network) return "net" + std::to_string(index);
    return "script (" + account + ")";
}

std::unique_ptr<Launcher> Launcher::start(const LaunchSettings& settings, const std::function<void()>& in_child) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        throw std::runtime_error(std::string("socketpair: ") + std::strerror(errno));
    UniqueFd ours(pair[0]), theirs(pair[1]);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        ours.reset();
        become_child("checkd-launcher", parent, std::move(theirs), settings.log);
        if (in_child) in_child();
        malloc_trim(0);
        run_launcher(settings);
    }
    return std::unique_ptr<Launcher>(new Launcher(std::move(ours), pid, settings.account.name));
}

Launcher::~Launcher() {
    link_.reset();  // the launcher sees the end of its link, kills its workers and exits
    int status = 0;
    waitpid(pid_, &status, WNOHANG);
}

bool Launcher::launch(WorkerKind kind, std::uint32_t index, UniqueFd worker_end) {
    LaunchRequest request{launch_magic, static_cast<std::uint32_t>(kind), index};
    iovec data{&request, sizeof request};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    const int fd = worker_end.get();
    std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
    return sendmsg(link_.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(sizeof request);
}

}  // namespace hakeep::checkd
