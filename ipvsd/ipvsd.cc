#include "ipvsd/ipvsd.h"

#include "common/check_feed.h"
#include "common/log.h"

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

void Ipvsd::start(DaemonContext& context) {
    feed_check_states(context.server, context.loop, checks_, [](const std::vector<CheckChange>& changes) {
        for (const CheckChange& change : changes)
            HK_LOG_INFO("check %s is %s (%s)", change.name.c_str(),
                        change.removed ? "gone" : change.status.up ? "UP" : "DOWN",
                        change.status.reason.c_str());
    });
    context.server.handle(ipc::Body::kVrrpEvent, [](ipc::Connection&, const proto::Envelope& envelope) {
        HK_LOG_INFO("vrrp instance %s is now state %d", envelope.vrrp_event().instance().c_str(),
                    static_cast<int>(envelope.vrrp_event().state()));
    });
    context.add_peer("vrrpd");
}

void Ipvsd::fill_status(proto::StatusReply& reply) const {
    std::size_t real_servers = 0;
    for (const auto& server : config_.virtual_servers) real_servers += server.real_servers.size();
    auto& summary = *reply.mutable_config_summary();
    summary["virtual_servers"] = std::to_string(config_.virtual_servers.size());
    summary["real_servers"] = std::to_string(real_servers);
    summary["checks_known"] = std::to_string(checks_.size());
}

}  // namespace hakeep::ipvsd
