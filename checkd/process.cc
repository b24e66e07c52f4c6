#include "checkd/process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cstring>

#include "common/log.h"

namespace hakeep::checkd {

void become_child(const char* name, pid_t parent, UniqueFd link, const LogSettings& log) {
    // A worker must never outlive the process that supervises it.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent) _exit(0);
    prctl(PR_SET_NAME, name, 0, 0, 0);
    closelog();  // its descriptor goes with the others below; reopened by log::init
    const int fd = link.release();
    if (fd != child_link_fd) {
        if (dup2(fd, child_link_fd) < 0) _exit(1);
        close(fd);
    }
    fcntl(child_link_fd, F_SETFD, FD_CLOEXEC);  // never inherited by a script
    // The parent's epoll, timer, control socket, peer links, other workers' links.
    close_range(child_link_fd + 1, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_IGN);
    log::init("checkd", log.use_syslog, log.verbose);
}

std::string wait_status_text(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const char* abbrev = sigabbrev_np(WTERMSIG(status));
        return std::string("killed by SIG") + (abbrev ? abbrev : std::to_string(WTERMSIG(status)).c_str());
    }
    return "status " + std::to_string(status);
}

int usable_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
    const int count = CPU_COUNT(&set);
    return count > 0 ? count : 1;
}

}  // namespace hakeep::checkd
