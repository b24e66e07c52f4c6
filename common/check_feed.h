// Wires a daemon's control socket to its CheckStates: CheckSnapshot and
// CheckEvent from checkd's role update it, the last checkd connection
// closing marks it lost. vrrpd and ipvsd both use it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/check_states.h"
#include "common/ipc_server.h"

namespace hakeep {

using CheckChangeHandler = std::function<void(const std::vector<CheckChange>&)>;

// Which check names this daemon uses (ipvsd: track_check, vrrpd: track_script).
// States of other checks are not kept; an event naming one is refused: it is
// counted, logged once per name, and changes nothing.
struct CheckFilter {
    std::function<bool(const std::string&)> tracked;
    std::uint64_t* refused = nullptr;
    // Called after every snapshot adopted whole, whether it changed anything
    // or not (ipvsd waits for the first one before trusting "unknown").
    std::function<void()> snapshot_adopted;
};

void feed_check_states(ipc::Server& server, EventLoop& loop, CheckStates& states,
                       CheckChangeHandler on_change, CheckFilter filter = {});

}  // namespace hakeep
