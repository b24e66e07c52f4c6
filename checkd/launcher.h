// Launchers: how checkd forks its workers so that seccomp filters only ever
// narrow (checkd(8), PROCESSES). A filter is inherited by every child and can
// never be widened, so the supervisor, whose filter has no fork, exec or
// IPv4/IPv6 socket, cannot be the parent of the workers. Instead, before the
// supervisor enters its sandbox, checkd forks one launcher per account that
// workers run as. A launcher drops to its account, loads the script worker's
// deny-list, and then does one thing: on the supervisor's request (a fixed
// 12-byte message carrying one descriptor, the worker's end of a socketpair)
// it forks a worker, which adds its own filter on top. It reaps the workers
// and kills them all when the supervisor goes away.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "checkd/process.h"
#include "common/sandbox.h"
#include "common/unique_fd.h"

namespace hakeep::checkd {

enum class WorkerKind : std::uint32_t { network = 1, script = 2 };

struct LaunchSettings {
    sandbox::Account account;  // the launcher and its workers run as this
    bool seccomp_log = false;
    LogSettings log;
};

// The supervisor's handle on one launcher.
class Launcher {
public:
    // Forks it: called as root, before the supervisor's own sandbox. Throws.
    // `in_child` runs first in the new process: it frees what the supervisor
    // had loaded (its configuration) so that the launcher and its workers do
    // not carry it.
    static std::unique_ptr<Launcher> start(const LaunchSettings& settings,
                                           const std::function<void()>& in_child = {});
    ~Launcher();

    // Asks for a worker whose end of its link is `worker_end`. False if the
    // launcher is gone (then so are its workers).
    bool launch(WorkerKind kind, std::uint32_t index, UniqueFd worker_end);

    int fd() const { return link_.get(); }
    pid_t pid() const { return pid_; }
    const std::string& account() const { return account_; }

private:
    Launcher(UniqueFd link, pid_t pid, std::string account)
        : link_(std::move(link)), pid_(pid), account_(std::move(account)) {}
    UniqueFd link_;
    pid_t pid_;
    std::string account_;
};

// Names for logs and ps: "net0", "script nobody".
std::string worker_name(WorkerKind kind, std::uint32_t index, const std::string& account);

}  // namespace hakeep::checkd
