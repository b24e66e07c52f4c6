// The supervisor's own syscalls beside sandbox::runtime_syscalls(). It holds
// no capability, opens no IPv4/IPv6 socket, cannot fork or exec, and parses
// nothing from the network: only its workers' messages, over socketpairs.
#include <sys/socket.h>

#include "checkd/checkd.h"

namespace hakeep::checkd {

const sandbox::AllowList& checkd_syscalls() {
    static const sandbox::AllowList list = {
        {"socketpair", "supervisor: the link to a new worker", {{sandbox::arg_equals(0, AF_UNIX)}}},
        {"wait4", "supervisor: reap a launcher that died"},
    };
    return list;
}

}  // namespace hakeep::checkd
