// An in-memory IPVS for unit tests (Seesaw's ncc/client/dummy.go): applies
// operations to a Table with the kernel's rules (no destination without its
// service, no duplicate) and records every operation it was given.
#pragma once

#include <cerrno>
#include <cstring>
#include <functional>

#include "ipvsd/kernel.h"

namespace hakeep::ipvsd {

class FakeKernel final : public Kernel {
public:
    Table table;
    Timeouts timeouts;
    std::vector<SyncDaemon> sync_daemons;
    std::vector<Operation> log;  // every operation applied or refused, in order
    bool available = true;       // false: as if ip_vs were not loaded
    // Set: the errno the kernel answers an operation with (0: performed).
    std::function<int(const Operation&)> refuse;

    Table dump() override {
        check_available();
        return table;
    }
    Timeouts dump_timeouts() override { return timeouts; }
    std::vector<SyncDaemon> dump_sync_daemons() override { return sync_daemons; }

    ApplyResult apply(const std::vector<Operation>& operations) override {
        check_available();
        ApplyResult result;
        for (const Operation& operation : operations) {
            log.push_back(operation);
            const int refused = refuse ? refuse(operation) : 0;
            const int error = refused != 0 ? refused : perform(operation);
            if (error == 0) ++result.applied;
            else result.failures.push_back(operation.to_string() + ": " + std::strerror(error));
        }
        return result;
    }

private:
    void check_available() const {
        if (!available) throw KernelError("IPVS is not available in this kernel", ENOENT);
    }

    int perform(const Operation& operation) {
        using Kind = Operation::Kind;
        switch (operation.kind) {
        case Kind::set_timeouts:
            timeouts = operation.timeouts;
            return 0;
        case Kind::start_sync_daemon:
            sync_daemons.push_back(operation.sync_daemon);
            return 0;
        case Kind::stop_sync_daemon:
            std::erase_if(sync_daemons, [&](const SyncDaemon& daemon) {
                return daemon.role == operation.sync_daemon.role;
            });
            return 0;
        default:
            return apply_to_table(table, operation);
        }
    }
};

}  // namespace hakeep::ipvsd
