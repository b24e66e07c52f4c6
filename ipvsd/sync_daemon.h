// lvs_sync_daemon: the connection sync daemon runs as master while the VRRP
// instance it follows is MASTER, as backup otherwise (keepalived's rule).
// Pure: what to start and stop, given what the kernel runs.
#pragma once

#include <optional>
#include <vector>

#include "ipvsd/config.h"
#include "ipvsd/ipvs_table.h"

namespace hakeep::ipvsd {

std::vector<Operation> sync_daemon_operations(const std::optional<SyncDaemonConfig>& config,
                                              bool instance_is_master,
                                              const std::vector<SyncDaemon>& running);

// lvs_timeouts: a set_timeouts operation if a configured value differs.
std::optional<Operation> timeouts_operation(const Timeouts& configured, const Timeouts& kernel);

}  // namespace hakeep::ipvsd
