#include "ipvsd/desired.h"

#include <linux/ip_vs.h>

namespace hakeep::ipvsd {
namespace {

ServiceSettings service_settings(const VirtualServerConfig& server, int family) {
    ServiceSettings settings;
    settings.scheduler = server.scheduler;
    settings.flags = server.scheduler_flags;
    if (server.one_packet) settings.flags |= IP_VS_SVC_F_ONEPACKET;
    if (server.persistence_timeout != 0) {
        settings.flags |= IP_VS_SVC_F_PERSISTENT;
        settings.timeout = server.persistence_timeout;
    }
    // As ipvsadm sends it: a full mask (IPv4, network order) or prefix length 128.
    settings.netmask = server.persistence_granularity != 0 ? server.persistence_granularity
                       : family == AF_INET6                 ? 128u
                                                            : 0xffffffffu;
    return settings;
}

DestinationSettings destination_settings(const VirtualServerConfig& server,
                                         const RealServerConfig& real, int weight) {
    const ForwardingConfig& forwarding = real.forwarding.value_or(server.forwarding);
    DestinationSettings settings;
    settings.forwarding = forwarding.method;
    settings.tunnel_type = forwarding.tunnel_type;
    settings.tunnel_port = forwarding.tunnel_port;
    settings.tunnel_flags = forwarding.tunnel_flags;
    settings.weight = weight;
    settings.upper_threshold = real.upper_threshold;
    settings.lower_threshold = real.lower_threshold;
    return settings;
}

// The kernel's destination `key` in the first of `services` that has it.
const Destination* find_destination(const Table& kernel, const std::vector<ServiceKey>& services,
                                    const DestinationKey& key) {
    for (const ServiceKey& service_key : services) {
        auto service = kernel.find(service_key);
        if (service == kernel.end()) continue;
        auto found = service->second.destinations.find(key);
        if (found != service->second.destinations.end()) return &found->second;
    }
    return nullptr;
}

// Service by service (a group's members may differ): present in the kernel,
// kept with its settings; absent, kept out.
void hold_destination(Service& service, const ServiceKey& service_key,
                      const DestinationKey& destination, bool drained, const Table& kernel) {
    auto present = kernel.find(service_key);
    const Destination* found = nullptr;
    if (present != kernel.end()) {
        auto it = present->second.destinations.find(destination);
        if (it != present->second.destinations.end()) found = &it->second;
    }
    if (found == nullptr) {
        service.destinations.erase(destination);
        return;
    }
    Destination& kept = service.destinations[destination];
    kept.settings = found->settings;
    if (drained) kept.settings.weight = 0;
}

}  // namespace

const char* health_name(Health health) {
    switch (health) {
    case Health::up: return "UP";
    case Health::down: return "DOWN";
    case Health::unknown: return "UNKNOWN";
    }
    return "?";
}

std::vector<ServiceKey> service_keys(const VirtualServerConfig& server, const IpvsdConfig& config,
                                     std::vector<const config::SourceLocation*>* places) {
    std::vector<ServiceKey> keys;
    const config::SourceLocation* place = &server.where;
    auto add = [&](int family, const Address& address, std::uint16_t port, std::uint32_t fwmark) {
        if (places != nullptr) places->push_back(place);
        ServiceKey key;
        key.family = family;
        key.fwmark = fwmark;
        key.protocol = fwmark != 0 ? 0 : server.protocol;
        if (fwmark == 0) {
            key.address = address;
            key.port = port;
        }
        keys.push_back(key);
    };
    if (server.fwmark != 0) {
        add(server.family, Address{}, 0, server.fwmark);
    } else if (server.address) {
        add(server.address->family, *server.address, server.port, 0);
    } else {
        for (const GroupMember& member : config.virtual_server_groups.at(server.group)) {
            place = &member.where;
            if (member.fwmark != 0) {
                add(member.family, Address{}, 0, member.fwmark);
                continue;
            }
            const std::uint16_t port = member.port != 0 ? member.port : server.port;
            if (member.range_end == 0) {
                add(member.family, member.first, port, 0);
                continue;
            }
            for (unsigned last = member.first.bytes[3]; last <= member.range_end; ++last) {
                Address address = member.first;
                address.bytes[3] = static_cast<std::uint8_t>(last);
                add(member.family, address, port, 0);
            }
        }
    }
    return keys;
}

DesiredState compute_desired(const IpvsdConfig& config, const CheckStates& checks,
                             const Drains& drains,
                             const std::map<std::string, bool>& previous_quorum,
                             const Table* hold_unknown) {
    DesiredState state;
    state.virtual_servers.reserve(config.virtual_servers.size());
    // Exactly: grown by doubling, 37,000 views would leave room for 65,536.
    std::size_t views = 0;
    for (const VirtualServerConfig& server : config.virtual_servers)
        views += server.real_servers.size() + (server.sorry_server ? 1 : 0);
    state.real_servers.reserve(views);
    for (const VirtualServerConfig& server : config.virtual_servers) {
        VirtualServerView view{server.label(), service_keys(server, config), true, 0};
        const auto view_index = static_cast<std::uint32_t>(state.virtual_servers.size());
        std::vector<RealServerView> reals;
        reals.reserve(server.real_servers.size() + 1);  // + 1: the sorry server
        std::map<DestinationKey, Destination> destinations;
        // Unknown health while holding: as the kernel has them (drained: weight 0).
        std::vector<std::pair<DestinationKey, bool>> held;
        for (const RealServerConfig& real : server.real_servers) {
            RealServerView rs;
            rs.virtual_server = view_index;
            rs.config = &real;
            rs.configured_weight = real.weight;
            int weight = real.weight;
            if (real.track_check.empty()) {
                rs.health = Health::up;
            } else if (const CheckStatus* status = checks.find(real.track_check)) {
                rs.health = status->up ? Health::up : Health::down;
                rs.reason = status->reason;
                if (status->dynamic_weight) weight = status->weight;
            }
            rs.drained = !drains.empty() && drains.contains({view.label, real.label()});
            const DestinationKey key{real.address, real.port};
            if (rs.health == Health::unknown && hold_unknown != nullptr) {
                // Whatever ipvsd decided before its restart stands: the
                // kernel's weight counts for the quorum, nothing is written.
                held.emplace_back(key, rs.drained);
                rs.reason = "kept as in the kernel until checkd reports";
                if (const Destination* present = find_destination(*hold_unknown, view.services, key)) {
                    rs.desired_weight = rs.drained ? 0 : present->settings.weight;
                    rs.healthy = present->settings.weight > 0;
                    view.live_weight += *rs.desired_weight;
                }
                reals.push_back(std::move(rs));
                continue;
            }
            // Unknown until the check has run: up, unless `alpha` says start down.
            rs.healthy = rs.health == Health::up || (rs.health == Health::unknown && !server.alpha);
            const bool inhibit = real.inhibit_on_failure.value_or(server.inhibit_on_failure);
            if (rs.healthy) {
                rs.desired_weight = rs.drained ? 0 : weight;
                view.live_weight += *rs.desired_weight;
            } else if (inhibit) {
                rs.desired_weight = 0;  // kept with weight 0: established connections live on
            }
            if (rs.desired_weight)
                destinations[key] =
                    Destination{destination_settings(server, real, *rs.desired_weight), {}};
            reals.push_back(std::move(rs));
        }
        // Quorum with hysteresis: lost below quorum − hysteresis, regained at
        // quorum + hysteresis (keepalived's rule).
        auto previous = previous_quorum.find(view.label);
        const bool was_up = previous == previous_quorum.end() ? view.live_weight >= server.quorum
                                                              : previous->second;
        view.quorum_up = was_up ? view.live_weight >= server.quorum - server.hysteresis
                                : view.live_weight >= server.quorum + server.hysteresis;
        if (!view.quorum_up && server.sorry_server) {
            // keepalived: the sorry server in, the remaining real servers out.
            destinations.clear();
            for (RealServerView& rs : reals) rs.desired_weight.reset();
            const RealServerConfig& sorry = *server.sorry_server;
            destinations[DestinationKey{sorry.address, sorry.port}] =
                Destination{destination_settings(server, sorry, 1), {}};
            RealServerView rs;
            rs.virtual_server = view_index;
            rs.config = &sorry;
            rs.health = Health::up;
            rs.healthy = true;
            rs.sorry = true;
            rs.configured_weight = 1;
            rs.desired_weight = 1;
            reals.push_back(std::move(rs));
        }
        for (std::size_t index = 0; index < view.services.size(); ++index) {
            const ServiceKey& key = view.services[index];
            Service& service = state.table[key];
            service.settings = service_settings(server, key.family);
            // The last (usually the only) service takes the map, the others a copy.
            if (index + 1 == view.services.size()) service.destinations = std::move(destinations);
            else service.destinations = destinations;
            if (view.quorum_up || !server.sorry_server)
                for (const auto& [destination, drained] : held)
                    hold_destination(service, key, destination, drained, *hold_unknown);
        }
        for (RealServerView& rs : reals) state.real_servers.push_back(std::move(rs));
        state.virtual_servers.push_back(std::move(view));
    }
    return state;
}

}  // namespace hakeep::ipvsd
