// ipvsd as a hakeep daemon: its configuration, its peer (vrrpd, for quorum
// events) and its status. It takes check states from checkd's role only.
#pragma once

#include "common/check_states.h"
#include "common/daemon.h"
#include "ipvsd/config.h"

namespace hakeep::ipvsd {

const sandbox::AllowList& ipvsd_syscalls();
const DaemonSpec& ipvsd_spec();

class Ipvsd final : public Daemon {
public:
    void load_config(const std::string& path) override;
    ipc::RoleAccountNames account_names() const override { return config_.global.accounts; }
    void start(DaemonContext& context) override;
    void fill_status(proto::StatusReply& reply) const override;

private:
    CheckStates checks_;
    IpvsdConfig config_;
};

}  // namespace hakeep::ipvsd
