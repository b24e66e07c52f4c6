// vrrpd's own syscalls beside sandbox::runtime_syscalls(). No execve: notify
// scripts run in checkd's script worker. No socket(): the raw VRRP sockets,
// the AF_PACKET socket and both rtnetlink sockets are opened before the
// sandbox (vrrpd.cc open_privileged). No file writes.
#include "vrrpd/vrrpd.h"

namespace hakeep::vrrpd {

const sandbox::AllowList& vrrpd_syscalls() {
    static const sandbox::AllowList list = {
        {"setsockopt", "raw VRRP sockets: join 224.0.0.18 / ff02::12 as interfaces come and go"},
        {"bind", "rtnetlink and raw sockets re-bound after an interface returns"},
        {"getsockname", "rtnetlink: the port id the kernel gave us"},
        // Adverts (sendmsg with IP_PKTINFO / IPV6_PKTINFO), gratuitous ARP and NA
        // (sendto on AF_PACKET), rtnetlink requests (sendmsg) and their replies
        // (recvmsg), notifications (recvfrom) are all in the runtime list.
    };
    return list;
}

}  // namespace hakeep::vrrpd
