// vrrpd's own syscalls beside sandbox::runtime_syscalls(). No execve: notify
// scripts run in checkd's script worker. No file writes but the VMAC sysctls.
#include "vrrpd/vrrpd.h"

namespace hakeep::vrrpd {

const sandbox::AllowList& vrrpd_syscalls() {
    static const sandbox::AllowList list = {
        {"setsockopt", "raw VRRP sockets: join 224.0.0.18 / ff02::12 as interfaces come and go"},
        {"bind", "rtnetlink and raw sockets re-bound after an interface returns"},
        {"getsockname", "rtnetlink: the port id the kernel gave us"},
    };
    return list;
}

}  // namespace hakeep::vrrpd
