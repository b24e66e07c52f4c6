// vrrpd as a hakeep daemon: its configuration, its peers (checkd for check
// states and notify scripts, ipvsd for the sync daemon role) and its status.
#pragma once

#include "common/check_states.h"
#include "common/daemon.h"
#include "vrrpd/config.h"

namespace hakeep::vrrpd {

const sandbox::AllowList& vrrpd_syscalls();
const DaemonSpec& vrrpd_spec();

class Vrrpd final : public Daemon {
public:
    void load_config(const std::string& path) override;
    ipc::RoleAccountNames account_names() const override { return config_.global.accounts; }
    void start(DaemonContext& context) override;
    void fill_status(proto::StatusReply& reply) const override;

    const VrrpdConfig& config() const { return config_; }

private:
    CheckStates checks_;
    VrrpdConfig config_;
};

}  // namespace hakeep::vrrpd
