#include "vrrpd/vrrpd.h"

namespace hakeep::vrrpd {

const DaemonSpec& vrrpd_spec() {
    static const DaemonSpec spec{"vrrpd", proto::DAEMON_VRRPD, "hakeep-vrrp",
                                 {CAP_NET_ADMIN, CAP_NET_RAW}, &vrrpd_syscalls()};
    return spec;
}

void Vrrpd::load_config(const std::string& path) {
    config::DiskFileSource files;
    config_ = load_vrrpd_config(path, files);  // assigned only if it parsed
}

void Vrrpd::start(DaemonContext& context) {
    context.add_peer("checkd");
    context.add_peer("ipvsd");
}

void Vrrpd::fill_status(proto::StatusReply& reply) const {
    auto& summary = *reply.mutable_config_summary();
    summary["instances"] = std::to_string(config_.instances.size());
    summary["sync_groups"] = std::to_string(config_.sync_groups.size());
}

}  // namespace hakeep::vrrpd
