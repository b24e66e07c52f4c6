// Text forms of the IPVS table's values: addresses, service keys and
// operations, as logs, hactl and the lab tools show them. ipvsadm's notation
// where there is one ("TCP 192.0.2.100:80", "[2001:db8::1]:53", "FWM 7").
#include "ipvsd/ipvs_table.h"

#include <arpa/inet.h>
#include <linux/ip_vs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace hakeep::ipvsd {
namespace {

std::string protocol_name(std::uint16_t protocol) {
    switch (protocol) {
        case IPPROTO_TCP:
            return "TCP";
        case IPPROTO_UDP:
            return "UDP";
        case IPPROTO_SCTP:
            return "SCTP";
        default:
            return "proto " + std::to_string(protocol);
    }
}

// "192.0.2.1:80" or "[2001:db8::1]:80".
std::string address_and_port(const Address& address, std::uint16_t port) {
    const std::string text = address.to_string();
    return (address.family == AF_INET6 ? "[" + text + "]" : text) + ":" + std::to_string(port);
}

// IPv4: a mask in network byte order shown dotted; IPv6: a prefix length.
std::string netmask_text(int family, std::uint32_t netmask) {
    if (family == AF_INET6) return "/" + std::to_string(netmask);
    Address mask;
    std::memcpy(mask.bytes.data(), &netmask, sizeof netmask);
    return mask.to_string();
}

std::string hex(std::uint32_t value) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%x", value);
    return text;
}

std::string service_settings_text(const ServiceKey& key, const ServiceSettings& settings) {
    std::string text = " scheduler " + settings.scheduler;
    // As ipvsadm -L: the granularity only with persistence and unless it is
    // the whole address, and not the flag that goes with a timeout.
    const bool whole_address = settings.netmask == (key.family == AF_INET6 ? 128 : 0xffffffffU);
    if (settings.timeout) {
        text += " persistent " + std::to_string(settings.timeout);
        if (!whole_address) text += " mask " + netmask_text(key.family, settings.netmask);
    }
    const std::uint32_t flags =
        settings.timeout ? settings.flags & ~std::uint32_t{IP_VS_SVC_F_PERSISTENT} : settings.flags;
    if (flags) text += " flags " + hex(flags);
    if (!settings.pe_name.empty()) text += " pe " + settings.pe_name;
    return text;
}

std::string tunnel_type_name(std::uint8_t type) {
    switch (type) {
        case 0:
            return "ipip";
        case 1:
            return "gue";
        case 2:
            return "gre";
        default:
            return std::to_string(type);
    }
}

std::string destination_text(const Operation& operation, bool with_settings) {
    std::string text = operation.service.to_string() + " -> " +
                       address_and_port(operation.destination.address, operation.destination.port);
    if (!with_settings) return text;
    const DestinationSettings& settings = operation.destination_settings;
    text += std::string(" ") + forwarding_name(settings.forwarding) + " weight " +
            std::to_string(settings.weight);
    if (settings.upper_threshold) text += " upper " + std::to_string(settings.upper_threshold);
    if (settings.lower_threshold) text += " lower " + std::to_string(settings.lower_threshold);
    if (settings.forwarding == Forwarding::tunnel &&
        (settings.tunnel_type || settings.tunnel_port || settings.tunnel_flags)) {
        text += " tunnel " + tunnel_type_name(settings.tunnel_type);
        if (settings.tunnel_port) text += " port " + std::to_string(settings.tunnel_port);
        if (settings.tunnel_flags) text += " flags " + hex(settings.tunnel_flags);
    }
    return text;
}

const char* role_name(SyncDaemon::Role role) {
    return role == SyncDaemon::Role::backup ? "backup" : "master";
}

}  // namespace

std::string Address::to_string() const {
    // Written out by hand: glibc's inet_ntop formats IPv4 with sprintf, and
    // labels of 37,000 real servers are made on every reconciliation.
    if (family == AF_INET) {
        std::string text;
        text.reserve(15);
        for (std::size_t index = 0; index < 4; ++index) {
            if (index > 0) text += '.';
            const unsigned byte = bytes[index];
            if (byte >= 100) text += static_cast<char>('0' + byte / 100);
            if (byte >= 10) text += static_cast<char>('0' + byte / 10 % 10);
            text += static_cast<char>('0' + byte % 10);
        }
        return text;
    }
    char text[INET6_ADDRSTRLEN];
    if ((family != AF_INET && family != AF_INET6) ||
        !::inet_ntop(family, bytes.data(), text, sizeof text))
        return "(address family " + std::to_string(family) + ")";
    return text;
}

std::optional<Address> Address::parse(const std::string& text) {
    Address address;
    // Only the first 4 bytes are IPv4's; the rest stay zero so that equal
    // addresses compare equal.
    if (::inet_pton(AF_INET, text.c_str(), address.bytes.data()) == 1) {
        address.family = AF_INET;
        return address;
    }
    if (::inet_pton(AF_INET6, text.c_str(), address.bytes.data()) == 1) {
        address.family = AF_INET6;
        return address;
    }
    return std::nullopt;
}

const char* forwarding_name(Forwarding forwarding) {
    switch (forwarding) {
        case Forwarding::masquerade:
            return "NAT";
        case Forwarding::local:
            return "local";
        case Forwarding::tunnel:
            return "TUN";
        case Forwarding::route:
            return "DR";
        case Forwarding::bypass:
            return "bypass";
    }
    return "unknown";
}

std::string ServiceKey::to_string() const {
    if (fwmark) return "FWM " + std::to_string(fwmark) + (family == AF_INET6 ? " IPv6" : "");
    return protocol_name(protocol) + " " + address_and_port(address, port);
}

std::string Operation::to_string() const {
    switch (kind) {
        case Kind::add_service:
            return "add service " + service.to_string() +
                   service_settings_text(service, service_settings);
        case Kind::edit_service:
            return "edit service " + service.to_string() +
                   service_settings_text(service, service_settings);
        case Kind::delete_service:
            return "delete service " + service.to_string();
        case Kind::add_destination:
            return "add destination " + destination_text(*this, true);
        case Kind::edit_destination:
            return "edit destination " + destination_text(*this, true);
        case Kind::delete_destination:
            return "delete destination " + destination_text(*this, false);
        case Kind::set_timeouts:
            return "set timeouts tcp " + std::to_string(timeouts.tcp) + " tcpfin " +
                   std::to_string(timeouts.tcp_fin) + " udp " + std::to_string(timeouts.udp);
        case Kind::start_sync_daemon:
            return std::string("start sync daemon ") + role_name(sync_daemon.role) + " " +
                   sync_daemon.interface + " syncid " + std::to_string(sync_daemon.sync_id);
        case Kind::stop_sync_daemon:
            return std::string("stop sync daemon ") + role_name(sync_daemon.role);
    }
    return "unknown operation";
}

int apply_to_table(Table& table, const Operation& operation) {
    using Kind = Operation::Kind;
    auto service = table.find(operation.service);
    switch (operation.kind) {
    case Kind::add_service:
        if (service != table.end()) return EEXIST;
        table[operation.service].settings = operation.service_settings;
        return 0;
    case Kind::edit_service:
        if (service == table.end()) return ESRCH;
        service->second.settings = operation.service_settings;
        return 0;
    case Kind::delete_service:
        if (service == table.end()) return ESRCH;
        table.erase(service);
        return 0;
    case Kind::set_timeouts:
    case Kind::start_sync_daemon:
    case Kind::stop_sync_daemon:
        return 0;
    case Kind::add_destination:
    case Kind::edit_destination:
    case Kind::delete_destination:
        break;
    }
    if (service == table.end()) return ESRCH;
    auto& destinations = service->second.destinations;
    auto destination = destinations.find(operation.destination);
    if (operation.kind == Kind::add_destination) {
        if (destination != destinations.end()) return EEXIST;
        destinations[operation.destination].settings = operation.destination_settings;
        return 0;
    }
    if (destination == destinations.end()) return ENOENT;
    if (operation.kind == Kind::edit_destination)
        destination->second.settings = operation.destination_settings;
    else
        destinations.erase(destination);
    return 0;
}

}  // namespace hakeep::ipvsd
