// checkd as a hakeep daemon: its configuration, its peers (vrrpd and ipvsd,
// which receive a CheckSnapshot on every (re)connect) and its status.
#pragma once

#include "checkd/config.h"
#include "common/daemon.h"

namespace hakeep::checkd {

const sandbox::AllowList& checkd_syscalls();
const DaemonSpec& checkd_spec();

class Checkd final : public Daemon {
public:
    void load_config(const std::string& path) override;
    ipc::RoleAccountNames account_names() const override { return config_.global.accounts; }
    void start(DaemonContext& context) override;
    void fill_status(proto::StatusReply& reply) const override;

    // Every check's state, as sent on (re)connect (DESIGN.md §2).
    proto::Envelope snapshot() const;

private:
    CheckdConfig config_;
    std::uint64_t generation_ = 0;
};

}  // namespace hakeep::checkd
