#include "checkd/checkd.h"

#include "common/log.h"

namespace hakeep::checkd {

const DaemonSpec& checkd_spec() {
    static const DaemonSpec spec{"checkd", proto::DAEMON_CHECKD, "hakeep-check", {},
                                 &checkd_syscalls()};
    return spec;
}

void Checkd::load_config(const std::string& path) {
    config::DiskFileSource files;
    config_ = load_checkd_config(path, files);
}

proto::Envelope Checkd::snapshot() const {
    proto::Envelope envelope;
    proto::CheckSnapshot& snapshot = *envelope.mutable_check_snapshot();
    snapshot.set_generation(generation_);
    // A check that has not run yet is absent from the snapshot: its state is
    // unknown, and each receiver applies its own rule (ipvsd: up unless alpha).
    // No checker runs yet at this stage, so the snapshot lists none.
    return envelope;
}

void Checkd::start(DaemonContext& context) {
    generation_ = static_cast<std::uint64_t>(unix_time_ms());
    context.server.handle(ipc::Body::kVrrpEvent, [](ipc::Connection&, const proto::Envelope& envelope) {
        // Notify scripts run here once the script worker exists.
        HK_LOG_INFO("vrrp instance %s is now state %d", envelope.vrrp_event().instance().c_str(),
                    static_cast<int>(envelope.vrrp_event().state()));
    });
    for (const char* peer : {"vrrpd", "ipvsd"})
        context.add_peer(peer).on_connect([this](ipc::PeerLink& link) { link.send(snapshot()); });
}

void Checkd::fill_status(proto::StatusReply& reply) const {
    std::size_t scripts = 0;
    for (const CheckConfig& check : config_.checks) scripts += check.is_vrrp_script ? 1 : 0;
    auto& summary = *reply.mutable_config_summary();
    summary["checks"] = std::to_string(config_.checks.size() - scripts);
    summary["vrrp_scripts"] = std::to_string(scripts);
}

}  // namespace hakeep::checkd
