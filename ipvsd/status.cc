// hactl ipvs: the desired state next to the kernel's, with its counters.
#include "common/log.h"
#include "ipvsd/ipvsd.h"

namespace hakeep::ipvsd {
namespace {

std::string protocol_text(std::uint16_t protocol) {
    switch (protocol) {
    case IPPROTO_TCP: return "TCP";
    case IPPROTO_UDP: return "UDP";
    case IPPROTO_SCTP: return "SCTP";
    default: return "";
    }
}

// Sums a destination's counters over every kernel service the virtual server
// stands for (a group stands for several).
void add_kernel_side(proto::RealServerStatus& status, const RealServerConfig* real,
                     const std::vector<ServiceKey>& services, const Table& kernel) {
    if (real == nullptr) return;
    for (const ServiceKey& key : services) {
        auto service = kernel.find(key);
        if (service == kernel.end()) continue;
        auto destination = service->second.destinations.find(DestinationKey{real->address, real->port});
        if (destination == service->second.destinations.end()) continue;
        const Counters& counters = destination->second.counters;
        status.set_in_kernel(true);
        status.set_kernel_weight(destination->second.settings.weight);
        status.set_connections(status.connections() + counters.connections);
        status.set_packets_in(status.packets_in() + counters.packets_in);
        status.set_packets_out(status.packets_out() + counters.packets_out);
        status.set_bytes_in(status.bytes_in() + counters.bytes_in);
        status.set_bytes_out(status.bytes_out() + counters.bytes_out);
        status.set_active_connections(status.active_connections() + counters.active_connections);
        status.set_inactive_connections(status.inactive_connections() + counters.inactive_connections);
    }
}

}  // namespace

proto::IpvsReply Ipvsd::ipvs_reply(std::uint32_t first) {
    proto::IpvsReply reply;
    // Before the first reconciliation (no kernel yet) the views are computed here.
    if (desired_.virtual_servers.size() != config_.virtual_servers.size())
        desired_ = compute_desired(config_, checks_, drains_, quorum_);
    // Fresh counters for the first page; later pages of the same listing
    // reuse that dump, so a large table is dumped once, not once a page.
    if (first == 0) {
        counters_dump_.clear();
        if (kernel_) {
            try {
                counters_dump_ = kernel_->dump();
            } catch (const KernelError& error) {
                HK_LOG_ERROR("IPVS: %s", error.what());
            }
        }
    }
    const Table& kernel = counters_dump_;
    reply.set_kernel_available(kernel_ != nullptr);
    reply.set_kernel_error(kernel_error_);
    reply.set_operations_applied(counters_.operations_applied);
    reply.set_operations_failed(counters_.operations_failed);
    reply.set_check_events_refused(counters_.check_events_refused);
    reply.set_checkd_connected(checks_.peer_present());
    reply.set_checks_stale(!checks_.peer_present());
    // Real servers are listed in virtual-server order: one cursor walks them.
    std::size_t cursor = 0;
    for (std::size_t index = 0; index < first && index < desired_.virtual_servers.size(); ++index)
        while (cursor < desired_.real_servers.size() && desired_.real_servers[cursor].virtual_server == index)
            ++cursor;
    constexpr std::size_t page_bytes = 48 * 1024;  // leaves room under the 64 KiB cap
    for (std::size_t index = first; index < config_.virtual_servers.size(); ++index) {
        if (reply.virtual_servers_size() > 0 && reply.ByteSizeLong() > page_bytes) {
            reply.set_next_virtual_server(static_cast<std::uint32_t>(index));
            break;
        }
        const VirtualServerConfig& server = config_.virtual_servers[index];
        const VirtualServerView& view = desired_.virtual_servers.at(index);
        proto::VirtualServerStatus& status = *reply.add_virtual_servers();
        status.set_label(view.label);
        if (server.address) status.set_address(server.address->to_string());
        status.set_port(server.port);
        status.set_protocol(protocol_text(server.protocol));
        status.set_fwmark(server.fwmark);
        status.set_scheduler(server.scheduler);
        status.set_forwarding(forwarding_name(server.forwarding.method));
        status.set_quorum_up(view.quorum_up);
        status.set_live_weight(view.live_weight);
        status.set_quorum(server.quorum);
        status.set_services(static_cast<std::uint32_t>(view.services.size()));
        for (; cursor < desired_.real_servers.size() && desired_.real_servers[cursor].virtual_server == index;
             ++cursor) {
            const RealServerView& rs = desired_.real_servers[cursor];
            proto::RealServerStatus& real = *status.add_real_servers();
            real.set_address(rs.label());
            real.set_configured_weight(static_cast<std::uint32_t>(rs.configured_weight));
            real.set_health(health_name(rs.health));
            real.set_track_check(rs.track_check());
            real.set_drained(rs.drained);
            real.set_sorry(rs.sorry);
            real.set_reason(rs.reason);
            add_kernel_side(real, rs.config, view.services, kernel);
        }
    }
    // The listing is complete: its dump (a copy of the whole table with
    // counters) is not kept until the next one.
    if (reply.next_virtual_server() == 0) counters_dump_.clear();
    return reply;
}

}  // namespace hakeep::ipvsd
