#include "ipvsd/ipvsd.h"

namespace hakeep::ipvsd {

const DaemonSpec& ipvsd_spec() {
    static const DaemonSpec spec{"ipvsd", proto::DAEMON_IPVSD, "hakeep-ipvs", {CAP_NET_ADMIN},
                                 &ipvsd_syscalls()};
    return spec;
}

void Ipvsd::load_config(const std::string& path) {
    config::DiskFileSource files;
    config_ = load_ipvsd_config(path, files);
}

void Ipvsd::start(DaemonContext& context) { context.add_peer("vrrpd"); }

void Ipvsd::fill_status(proto::StatusReply& reply) const {
    std::size_t real_servers = 0;
    for (const auto& server : config_.virtual_servers) real_servers += server.real_servers.size();
    auto& summary = *reply.mutable_config_summary();
    summary["virtual_servers"] = std::to_string(config_.virtual_servers.size());
    summary["real_servers"] = std::to_string(real_servers);
}

}  // namespace hakeep::ipvsd
