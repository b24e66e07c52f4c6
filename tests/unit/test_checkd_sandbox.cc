// checkd's worker filters, for real (each Criterion test is its own process;
// suite `sandbox`, which `make asan` leaves out). A network worker dies of
// SIGSYS on execve, on any file open and on an AF_UNIX socket, and keeps what
// its checkers need; the script worker's deny-list answers EPERM to ptrace,
// mount, bpf, keyctl and the like, and still lets a script run.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "checkd/worker.h"
#include "common/sandbox.h"

using namespace hakeep;

namespace {

void enter_network_worker() {
    sandbox::Policy policy;
    policy.account = sandbox::lookup_account("nobody");
    cr_assert(policy.account.has_value(), "the test needs the 'nobody' account");
    policy.syscalls = checkd::network_worker_syscalls();
    // What Criterion itself needs to report the result to its runner.
    policy.syscalls.push_back({"poll", "Criterion"});
    policy.syscalls.push_back({"ppoll", "Criterion"});
    sandbox::enter(policy);
}

void enter_script_worker() {
    sandbox::Policy policy;
    policy.account = sandbox::lookup_account("nobody");
    cr_assert(policy.account.has_value());
    policy.denied = checkd::script_worker_denied_syscalls();
    sandbox::enter(policy);
}

}  // namespace

Test(sandbox, checkd_network_worker_keeps_its_checkers_syscalls) {
    enter_network_worker();
    for (int family : {AF_INET, AF_INET6}) {
        const int tcp = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
        cr_expect_geq(tcp, 0, "TCP socket, family %d", family);
        close(tcp);
        const int udp = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        cr_expect_geq(udp, 0, "UDP socket, family %d", family);
        close(udp);
    }
    cr_expect_neq(getuid(), 0u);
}

Test(sandbox, checkd_network_worker_execve_kills, .signal = SIGSYS) {
    enter_network_worker();
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    char* const envp[] = {nullptr};
    execve("/bin/true", argv, envp);
    cr_assert_fail("execve returned instead of killing the worker");
}

Test(sandbox, checkd_network_worker_open_kills, .signal = SIGSYS) {
    enter_network_worker();
    open("/etc/hostname", O_RDONLY);
    cr_assert_fail("open returned instead of killing the worker");
}

Test(sandbox, checkd_network_worker_unix_socket_kills, .signal = SIGSYS) {
    // No way from a worker to another daemon's control socket.
    enter_network_worker();
    socket(AF_UNIX, SOCK_SEQPACKET, 0);
    cr_assert_fail("socket(AF_UNIX) returned instead of killing the worker");
}

Test(sandbox, checkd_network_worker_fork_kills, .signal = SIGSYS) {
    enter_network_worker();
    syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    cr_assert_fail("clone returned instead of killing the worker");
}

Test(sandbox, checkd_script_worker_denies_with_eperm_and_runs_scripts) {
    enter_script_worker();
    errno = 0;
    cr_expect_eq(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr), -1);
    cr_expect_eq(errno, EPERM, "ptrace");
    errno = 0;
    cr_expect_eq(mount("none", "/tmp", "tmpfs", 0, nullptr), -1);
    cr_expect_eq(errno, EPERM, "mount");
    errno = 0;
    cr_expect_eq(syscall(SYS_bpf, 0, nullptr, 0), -1);
    cr_expect_eq(errno, EPERM, "bpf");
    errno = 0;
    cr_expect_eq(syscall(SYS_keyctl, 0, 0, 0, 0, 0), -1);
    cr_expect_eq(errno, EPERM, "keyctl");
    errno = 0;
    cr_expect_eq(unshare(CLONE_NEWUSER), -1);
    cr_expect_eq(errno, EPERM, "unshare");
    // A script still runs, under the same filter, and can do its job.
    const pid_t child = fork();
    if (child == 0) {
        char* const argv[] = {const_cast<char*>("/bin/sh"), const_cast<char*>("-c"),
                              const_cast<char*>("test -r /etc/hostname && exit 3"), nullptr};
        char* const envp[] = {nullptr};
        execve("/bin/sh", argv, envp);
        _exit(127);
    }
    int status = 0;
    cr_assert_eq(waitpid(child, &status, 0), child);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 3, "script status %d", status);
    const std::string seccomp = [] {
        char line[256];
        FILE* file = fopen("/proc/self/status", "r");
        std::string value;
        while (file && fgets(line, sizeof line, file))
            if (std::string(line).rfind("Seccomp:", 0) == 0) value = line;
        if (file) fclose(file);
        return value;
    }();
    cr_expect(seccomp.find('2') != std::string::npos, "Seccomp: %s", seccomp.c_str());
}

Test(sandbox, checkd_worker_lists_say_why) {
    for (const sandbox::AllowList* list :
         {&checkd::network_worker_syscalls(), &checkd::script_worker_denied_syscalls()})
        for (const sandbox::SyscallRule& rule : *list)
            cr_expect(rule.why != nullptr && std::string(rule.why).size() > 3, "%s has no reason", rule.name);
}
