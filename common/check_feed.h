// Wires a daemon's control socket to its CheckStates: CheckSnapshot and
// CheckEvent from checkd's role update it, the last checkd connection
// closing marks it lost. vrrpd and ipvsd both use it.
#pragma once

#include <functional>
#include <vector>

#include "common/check_states.h"
#include "common/ipc_server.h"

namespace hakeep {

using CheckChangeHandler = std::function<void(const std::vector<CheckChange>&)>;

void feed_check_states(ipc::Server& server, EventLoop& loop, CheckStates& states,
                       CheckChangeHandler on_change);

}  // namespace hakeep
