#include "ipvsd/sync_daemon.h"

namespace hakeep::ipvsd {

std::vector<Operation> sync_daemon_operations(const std::optional<SyncDaemonConfig>& config,
                                              bool instance_is_master,
                                              const std::vector<SyncDaemon>& running) {
    std::vector<Operation> operations;
    // Without lvs_sync_daemon, a sync daemon in the kernel is someone else's.
    if (!config) return operations;
    const std::optional<SyncDaemon> wanted = SyncDaemon{
        instance_is_master ? SyncDaemon::Role::master : SyncDaemon::Role::backup,
        config->interface, config->sync_id};
    bool wanted_running = false;
    for (const SyncDaemon& daemon : running) {
        if (wanted && daemon == *wanted) {
            wanted_running = true;
            continue;
        }
        // The other role, or this role with other settings: stopped first.
        Operation stop{};
        stop.kind = Operation::Kind::stop_sync_daemon;
        stop.sync_daemon = daemon;
        operations.push_back(stop);
    }
    if (wanted && !wanted_running) {
        Operation start{};
        start.kind = Operation::Kind::start_sync_daemon;
        start.sync_daemon = *wanted;
        operations.push_back(start);
    }
    return operations;
}

std::optional<Operation> timeouts_operation(const Timeouts& configured, const Timeouts& kernel) {
    // 0 means "leave it": only configured values are compared.
    const bool differs = (configured.tcp != 0 && configured.tcp != kernel.tcp) ||
                         (configured.tcp_fin != 0 && configured.tcp_fin != kernel.tcp_fin) ||
                         (configured.udp != 0 && configured.udp != kernel.udp);
    if (!differs) return std::nullopt;
    Operation operation{};
    operation.kind = Operation::Kind::set_timeouts;
    operation.timeouts = configured;
    return operation;
}

}  // namespace hakeep::ipvsd
