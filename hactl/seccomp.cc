// hactl's own syscalls beside sandbox::runtime_syscalls(): it only talks to
// the daemons' sockets and prints.
#include "hactl/sandbox.h"

namespace hakeep::hactl {

const sandbox::AllowList& hactl_syscalls() {
    static const sandbox::AllowList list = {
        {"poll", "waiting for a daemon's reply with a deadline"},
        {"ppoll", "glibc may implement poll with it"},
        {"ioctl", "stdio: isatty() on stdout for colours", {{sandbox::arg_equals(1, 0x5401)}}},
    };
    return list;
}

}  // namespace hakeep::hactl
