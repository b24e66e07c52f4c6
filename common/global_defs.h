// global_defs { } as every hakeep daemon reads it: the accounts behind the
// roles (DESIGN.md §2) and the peer staleness timeout. Each daemon's schema
// includes global_defs_schema() so the block means the same everywhere.
#pragma once

#include <chrono>

#include "common/config.h"
#include "common/roles.h"

namespace hakeep {

struct GlobalDefs {
    ipc::RoleAccountNames accounts;
    std::chrono::milliseconds peer_stale_timeout{30000};
    std::string router_id;
};

const config::Schema& global_defs_schema();

// Reads the global_defs statements among `top` (defaults when absent).
GlobalDefs read_global_defs(const std::vector<config::ConfigNode>& top);

}  // namespace hakeep
