// ipvsd's own syscalls beside sandbox::runtime_syscalls(). No execve, and no
// socket but AF_UNIX (runtime list) and the generic netlink socket it opened
// before the sandbox: it can change IPVS and nothing else.
#include "ipvsd/ipvsd.h"

namespace hakeep::ipvsd {

const sandbox::AllowList& ipvsd_syscalls() {
    static const sandbox::AllowList list = {
        {"setsockopt", "generic netlink: receive buffer size for large IPVS dumps"},
        {"getsockname", "generic netlink: the port id the kernel gave us"},
    };
    return list;
}

}  // namespace hakeep::ipvsd
