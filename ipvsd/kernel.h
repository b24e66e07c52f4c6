// The privileged side of ipvsd behind a small interface (Seesaw's ncc client
// and its dummy): the decisions are tested against FakeKernel without a
// kernel, and NetlinkKernel is tested against the real IPVS in the UML lab.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "ipvsd/ipvs_table.h"

namespace hakeep::ipvsd {

class KernelError : public std::runtime_error {
public:
    KernelError(const std::string& message, int error_number)
        : std::runtime_error(message), error_number_(error_number) {}
    int error_number() const { return error_number_; }

private:
    int error_number_;
};

struct ApplyResult {
    std::size_t applied = 0;
    // Operations the kernel refused, with its reason ("add service TCP ...: File exists").
    std::vector<std::string> failures;
};

class Kernel {
public:
    virtual ~Kernel() = default;
    // Every service and destination with counters. Throws KernelError.
    virtual Table dump() = 0;
    virtual Timeouts dump_timeouts() = 0;
    virtual std::vector<SyncDaemon> dump_sync_daemons() = 0;
    // Sends all operations (pipelined: many in flight), then reads every
    // acknowledgement. Operations are independent: one failing does not stop
    // the rest. Throws KernelError only if the socket itself fails.
    virtual ApplyResult apply(const std::vector<Operation>& operations) = 0;
};

}  // namespace hakeep::ipvsd
