#include "vrrpd/vrrpd.h"

#include "common/check_feed.h"
#include "common/log.h"

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
    feed_check_states(context.server, context.loop, checks_, [](const std::vector<CheckChange>& changes) {
        for (const CheckChange& change : changes)
            HK_LOG_INFO("check %s is %s (%s)", change.name.c_str(),
                        change.removed ? "gone" : change.status.up ? "UP" : "DOWN",
                        change.status.reason.c_str());
    });
    context.server.handle(ipc::Body::kQuorumEvent, [](ipc::Connection&, const proto::Envelope& envelope) {
        HK_LOG_INFO("virtual server %s quorum %s", envelope.quorum_event().virtual_server().c_str(),
                    envelope.quorum_event().up() ? "UP" : "DOWN");
    });
    context.add_peer("checkd");
    context.add_peer("ipvsd");
}

void Vrrpd::fill_status(proto::StatusReply& reply) const {
    auto& summary = *reply.mutable_config_summary();
    summary["instances"] = std::to_string(config_.instances.size());
    summary["sync_groups"] = std::to_string(config_.sync_groups.size());
    summary["checks_known"] = std::to_string(checks_.size());
}

}  // namespace hakeep::vrrpd
