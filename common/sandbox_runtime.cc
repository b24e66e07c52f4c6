// The syscalls every sandboxed hakeep process needs, whatever its job. Each
// daemon adds its own short list (vrrpd/seccomp.cc, ipvsd/seccomp.cc,
// checkd/seccomp.cc, hactl/seccomp.cc). Anything else kills the process.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "common/sandbox.h"

namespace hakeep::sandbox {

const AllowList& runtime_syscalls() {
    // No PROT_EXEC mapping ever: nothing in hakeep generates code.
    static const ArgCondition no_exec = arg_masked(2, PROT_EXEC, 0);
    // Config files are opened read-only; nothing is ever created or truncated.
    // O_TMPFILE includes O_DIRECTORY, which opendir() (glob of includes) sets:
    // only its own bit is refused.
    static const ArgCondition read_only = arg_masked(
        2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY), O_RDONLY);
    static const AllowList list = {
        // event loop (common/event_loop.cc)
        {"epoll_wait", "event loop: wait for descriptors and timers"},
        {"epoll_pwait", "event loop: glibc may implement epoll_wait with it"},
        {"epoll_ctl", "event loop: watch and unwatch descriptors"},
        {"timerfd_settime", "event loop: arm the timer for the earliest deadline"},
        {"clock_gettime", "monotonic clock when the vDSO is not used"},
        {"time", "time(): libnl seeds netlink sequence numbers with it; a real syscall "
                 "without a vDSO (User-Mode Linux)"},
        {"gettimeofday", "glibc wall-clock reads: a real syscall without a vDSO (User-Mode Linux)"},
        {"clock_nanosleep", "short sleeps in retry paths"},
        {"nanosleep", "short sleeps in retry paths"},
        {"read", "timerfd, signalfd, config files"},
        {"write", "logging to stderr"},
        {"writev", "logging via syslog(3)"},
        {"close", "closing descriptors of finished connections"},
        {"fcntl", "glibc: descriptor flags"},
        // control sockets (common/ipc_*.cc)
        {"accept4", "control socket: new clients"},
        {"recvfrom", "control socket: one datagram"},
        {"recvmsg", "control socket: one datagram"},
        {"sendto", "control socket replies, syslog"},
        {"sendmsg", "control socket replies"},
        {"getsockopt", "SO_PEERCRED and SO_PEERGROUPS of a new client"},
        {"connect", "links to the other daemons' sockets, syslog"},
        {"socket", "links to the other daemons: AF_UNIX only",
         {{arg_equals(0, AF_UNIX)}}},
        {"shutdown", "closing a link"},
        // memory (libstdc++, protobuf, glibc malloc)
        {"brk", "glibc malloc: growing the heap"},
        {"mmap", "malloc of large blocks, never executable", {{no_exec}}},
        {"munmap", "free of large blocks"},
        {"mremap", "realloc of large blocks"},
        {"madvise", "malloc trimming"},
        {"mprotect", "glibc malloc arenas, never executable", {{no_exec}}},
        {"futex", "libstdc++ locks and once-initialisation"},
        // process basics
        {"getpid", "logging, status replies"},
        {"gettid", "glibc: thread id for locks and raise()"},
        {"getuid", "status replies"},
        {"geteuid", "status replies"},
        {"getrandom", "libstdc++ and protobuf hashing seeds"},
        {"rt_sigprocmask", "glibc blocks signals around some calls"},
        {"rt_sigreturn", "return from a signal handler"},
        {"restart_syscall", "kernel restarts an interrupted sleep"},
        {"sched_yield", "spin locks in the C++ runtime"},
        {"tgkill", "abort() on a failed assertion, so it dumps cleanly"},
        {"exit", "thread exit"},
        {"exit_group", "process exit"},
        // reading the configuration again on reload (common/config_parser.cc)
        {"openat", "reload: open config files read-only", {{read_only}}},
        {"newfstatat", "reload: stat config files, glob(3)"},
        {"fstat", "reload: size of a config file"},
        {"lseek", "stdio: positioning within a config file"},
        {"getdents64", "reload: glob(3) for include patterns"},
    };
    return list;
}

}  // namespace hakeep::sandbox
