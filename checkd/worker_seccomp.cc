// The workers' seccomp lists. A network worker parses hostile bytes, so its
// list is an allow-list as short as the event loop and the checkers allow;
// each entry says who needs it. The script worker execs operators' scripts,
// whose syscalls nobody can list, so its filter is a deny-list of what no
// health check needs and an attacker would love; the scripts inherit it.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "checkd/worker.h"

namespace hakeep::checkd {

const sandbox::AllowList& network_worker_syscalls() {
    using sandbox::arg_equals;
    using sandbox::arg_masked;
    static const sandbox::ArgCondition no_exec = arg_masked(2, PROT_EXEC, 0);
    static const sandbox::AllowList list = {
        // event loop
        {"epoll_wait", "event loop"},
        {"epoll_pwait", "event loop (glibc)"},
        {"epoll_ctl", "event loop: watch sockets"},
        {"timerfd_settime", "event loop: the next deadline"},
        {"clock_gettime", "monotonic clock without the vDSO"},
        {"read", "timerfd; OpenSSL reads TLS records"},
        {"write", "logging to stderr; OpenSSL writes TLS records"},
        {"writev", "syslog(3)"},
        {"close", "finished sockets"},
        {"fcntl", "glibc: descriptor flags"},
        // the checkers' sockets: IPv4 and IPv6 only, never AF_UNIX (no way
        // to reach another daemon's control socket from a worker)
        {"socket", "TCP, UDP and ping sockets to the targets",
         {{arg_equals(0, AF_INET)}, {arg_equals(0, AF_INET6)}}},
        {"connect", "connect to a target"},
        {"bind", "bindto, bind_port"},
        {"setsockopt", "SO_LINGER, IP_RECVERR, SO_REUSEADDR, SO_BINDTODEVICE (bind_if)"},
        {"getsockopt", "SO_ERROR after a non-blocking connect"},
        {"getsockname", "OpenSSL: local address of a TLS socket"},
        {"sendto", "requests; link to the supervisor"},
        {"recvfrom", "replies; link to the supervisor"},
        {"sendmsg", "link to the supervisor"},
        {"recvmsg", "link to the supervisor"},
        {"shutdown", "closing a connection"},
        // memory
        {"brk", "malloc"},
        {"mmap", "malloc of large blocks, never executable", {{no_exec}}},
        {"munmap", "free"},
        {"mremap", "realloc"},
        {"madvise", "malloc trimming"},
        {"mprotect", "malloc arenas, never executable", {{no_exec}}},
        {"futex", "libstdc++ and OpenSSL locks"},
        // process
        {"getpid", "logging"},
        {"getuid", "the sandbox's own log line"},
        {"gettid", "glibc: locks, raise()"},
        {"getrandom", "DNS ids, UDP payloads, OpenSSL"},
        {"rt_sigprocmask", "glibc"},
        {"rt_sigreturn", "return from a signal handler"},
        {"restart_syscall", "an interrupted sleep"},
        {"sched_yield", "spin locks"},
        {"tgkill", "abort() on a failed assertion"},
        {"exit", "thread exit"},
        {"exit_group", "process exit"},
    };
    return list;
}

const sandbox::AllowList& script_worker_denied_syscalls() {
    static const sandbox::AllowList list = {
        {"ptrace", "reading or steering another process"},
        {"process_vm_readv", "reading another process's memory"},
        {"process_vm_writev", "writing another process's memory"},
        {"pidfd_getfd", "stealing another process's descriptors"},
        {"kcmp", "probing other processes' kernel objects"},
        {"mount", "mounts"},
        {"umount2", "mounts"},
        {"pivot_root", "mounts"},
        {"move_mount", "mounts"},
        {"open_tree", "mounts"},
        {"fsopen", "mounts"},
        {"fsconfig", "mounts"},
        {"fsmount", "mounts"},
        {"fspick", "mounts"},
        {"mount_setattr", "mounts"},
        {"chroot", "changing root"},
        {"unshare", "new namespaces (user namespaces give capabilities back)"},
        {"setns", "entering other namespaces"},
        {"init_module", "kernel modules"},
        {"finit_module", "kernel modules"},
        {"delete_module", "kernel modules"},
        {"bpf", "eBPF programs"},
        {"perf_event_open", "kernel tracing"},
        {"keyctl", "kernel keyrings"},
        {"add_key", "kernel keyrings"},
        {"request_key", "kernel keyrings"},
        {"kexec_load", "replacing the kernel"},
        {"kexec_file_load", "replacing the kernel"},
        {"reboot", "rebooting"},
        {"swapon", "swap"},
        {"swapoff", "swap"},
        {"acct", "process accounting"},
        {"settimeofday", "the system clock"},
        {"clock_settime", "the system clock"},
        {"clock_adjtime", "the system clock"},
        {"adjtimex", "the system clock"},
        {"sethostname", "the host name"},
        {"setdomainname", "the domain name"},
        {"iopl", "raw I/O ports"},
        {"ioperm", "raw I/O ports"},
        {"syslog", "the kernel log"},
        {"vhangup", "terminals"},
        {"quotactl", "disk quotas"},
        {"lookup_dcookie", "kernel profiling"},
        {"userfaultfd", "a tool of kernel exploits"},
        {"io_uring_setup", "io_uring: operations beyond seccomp's sight"},
        {"io_uring_enter", "io_uring"},
        {"io_uring_register", "io_uring"},
        {"open_by_handle_at", "opening files by handle, past directory permissions"},
        {"name_to_handle_at", "file handles"},
        {"fanotify_init", "watching every file access"},
        {"uselib", "obsolete loader"},
    };
    return list;
}

}  // namespace hakeep::checkd
