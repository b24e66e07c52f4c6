// What every process checkd forks does first (launchers and workers): die
// with its parent, take a name `ps` shows, keep only its link to the parent
// (as descriptor 3) and stderr, unblock signals, and log as checkd again.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/unique_fd.h"

namespace hakeep::checkd {

constexpr int child_link_fd = 3;

struct LogSettings {
    bool use_syslog = false;
    bool verbose = false;
};

// In the child, right after fork(). `name` is the comm (15 characters at most).
void become_child(const char* name, pid_t parent, UniqueFd link, const LogSettings& log);

// "exit 1", "killed by SIGSYS", from a wait status.
std::string wait_status_text(int status);

// Processes online for this process (sched_getaffinity), at least 1.
int usable_cpus();

}  // namespace hakeep::checkd
