// ipvsd's own syscalls beside sandbox::runtime_syscalls(). No execve, and no
// socket but AF_UNIX (runtime list) and generic netlink: it can change IPVS
// and nothing else (no AF_INET, no AF_PACKET, no rtnetlink). The one file it
// writes is its list of owned services (owned_services.h), by descriptor in
// its own directory.
#include <fcntl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "ipvsd/ipvsd.h"

namespace hakeep::ipvsd {

const sandbox::AllowList& ipvsd_syscalls() {
    static const sandbox::AllowList list = {
        {"socket", "generic netlink socket again when the ip_vs module appears later",
         {{sandbox::arg_equals(0, AF_NETLINK), sandbox::arg_equals(2, NETLINK_GENERIC)}}},
        {"bind", "generic netlink: libnl binds its new socket"},
        {"setsockopt", "generic netlink: buffer sizes, NETLINK_CAP_ACK, receive timeout"},
        {"getsockname", "generic netlink: the port id the kernel gave us"},
        // Only these flags exactly (O_CLOEXEC aside): no appending, no
        // reading and writing, never following a symbolic link.
        {"openat", "owned services: create the temporary file in ipvsd's own directory",
         {{sandbox::arg_masked(2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_EXCL | O_DIRECTORY,
                               O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW)}}},
        {"renameat", "owned services: the temporary file replaces the list at once"},
    };
    return list;
}

}  // namespace hakeep::ipvsd
