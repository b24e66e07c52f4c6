// ipvsd's own syscalls beside sandbox::runtime_syscalls(). No execve, and no
// socket but AF_UNIX (runtime list) and generic netlink: it can change IPVS
// and nothing else (no AF_INET, no AF_PACKET, no rtnetlink).
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
    };
    return list;
}

}  // namespace hakeep::ipvsd
