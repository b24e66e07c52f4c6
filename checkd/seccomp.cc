// checkd's own syscalls beside sandbox::runtime_syscalls(). The supervisor
// holds no capability and parses nothing from the network; workers get
// their own narrower lists when they exist.
#include "checkd/checkd.h"

namespace hakeep::checkd {

const sandbox::AllowList& checkd_syscalls() {
    static const sandbox::AllowList list = {
        {"wait4", "supervisor: reap crashed workers"},
        {"kill", "supervisor: stop workers on exit"},
    };
    return list;
}

}  // namespace hakeep::checkd
