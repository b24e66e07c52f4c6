// The IPVS table in the kernel's own terms: services and their destinations,
// keyed the way the kernel keys them. Pure values, shared by the desired state
// (from ipvsd.conf and check states), the kernel dump, and the reconciler
// that turns their difference into operations.
#pragma once

#include <endian.h>
#include <netinet/in.h>

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hakeep::ipvsd {

// An IPv4 or IPv6 address in network byte order (IPv4 in the first 4 bytes).
struct Address {
    int family = AF_INET;
    std::array<std::uint8_t, 16> bytes{};
    // The order of the defaulted comparison (family, then the bytes in
    // order), computed on two 64-bit halves rather than by memcmp: every
    // table lookup and reconciliation step compares addresses, and the call
    // to memcmp was a tenth of a reload's instructions.
    std::strong_ordering operator<=>(const Address& other) const {
        if (family != other.family) return family <=> other.family;
        if (const auto order = half(0) <=> other.half(0); order != 0) return order;
        return half(8) <=> other.half(8);
    }
    bool operator==(const Address& other) const {
        return family == other.family && bytes == other.bytes;
    }
    std::string to_string() const;
    static std::optional<Address> parse(const std::string& text);

private:
    // Bytes [at, at + 8) as a big-endian number: its order is theirs.
    std::uint64_t half(std::size_t at) const {
        std::uint64_t value;
        std::memcpy(&value, bytes.data() + at, sizeof value);
        return be64toh(value);
    }
};

enum class Forwarding : std::uint32_t {
    // IP_VS_CONN_F_* values from <linux/ip_vs.h>
    masquerade = 0,  // NAT
    local = 1,
    tunnel = 2,      // TUN
    route = 3,       // DR
    bypass = 4,
};
const char* forwarding_name(Forwarding forwarding);  // "NAT", "DR", "TUN", ...

// What identifies a service to the kernel: fwmark (with family), or
// protocol + address + port.
struct ServiceKey {
    int family = AF_INET;
    std::uint16_t protocol = IPPROTO_TCP;  // 0 with fwmark
    Address address;
    std::uint16_t port = 0;
    std::uint32_t fwmark = 0;
    auto operator<=>(const ServiceKey&) const = default;
    std::string to_string() const;  // "TCP 192.0.2.100:80", "FWM 7 IPv6"
};

// As the kernel keeps them, so that desired and dumped settings compare
// equal (netlink_kernel.h): flags without the kernel's own IP_VS_SVC_F_HASHED;
// IP_VS_SVC_F_PERSISTENT set exactly when timeout > 0 (as ipvsadm does);
// netmask as on the wire, never 0 (the kernel refuses an IPv6 prefix of 0).
struct ServiceSettings {
    std::string scheduler = "wlc";
    std::uint32_t flags = 0;    // IP_VS_SVC_F_* (persistent, one-packet, scheduler flags)
    std::uint32_t timeout = 0;  // persistence, seconds; 0: not persistent
    std::uint32_t netmask = 0;  // persistence granularity: IPv4 mask in network byte order
                                // (0xffffffff: whole address) or IPv6 prefix length (128)
    std::string pe_name;        // persistence engine ("sip"), usually empty
    auto operator<=>(const ServiceSettings&) const = default;
};

struct DestinationKey {
    Address address;
    std::uint16_t port = 0;
    auto operator<=>(const DestinationKey&) const = default;
};

struct DestinationSettings {
    Forwarding forwarding = Forwarding::masquerade;
    std::int32_t weight = 1;
    std::uint32_t upper_threshold = 0;
    std::uint32_t lower_threshold = 0;
    std::uint8_t tunnel_type = 0;  // IP_VS_CONN_F_TUNNEL_TYPE_* (ipip, gue, gre)
    std::uint16_t tunnel_port = 0;
    std::uint16_t tunnel_flags = 0;
    auto operator<=>(const DestinationSettings&) const = default;
};

// Kernel counters, read on dumps; never part of the desired state.
struct Counters {
    std::uint64_t connections = 0;
    std::uint64_t packets_in = 0;
    std::uint64_t packets_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint32_t active_connections = 0;
    std::uint32_t inactive_connections = 0;
};

struct Destination {
    DestinationSettings settings;
    Counters counters;
};

struct Service {
    ServiceSettings settings;
    std::map<DestinationKey, Destination> destinations;
    Counters counters;
};

using Table = std::map<ServiceKey, Service>;

// lvs_timeouts: 0 leaves a value as it is.
struct Timeouts {
    std::uint32_t tcp = 0;
    std::uint32_t tcp_fin = 0;
    std::uint32_t udp = 0;
    auto operator<=>(const Timeouts&) const = default;
};

// The connection sync daemon (IPVS_DAEMON_ATTR_*).
struct SyncDaemon {
    enum class Role : std::uint32_t { master = 1, backup = 2 };  // IP_VS_STATE_MASTER/BACKUP
    Role role = Role::master;
    std::string interface;
    std::uint8_t sync_id = 0;
    auto operator<=>(const SyncDaemon&) const = default;
};

// One kernel operation. The reconciler emits them in a safe order.
struct Operation {
    enum class Kind {
        add_service,
        edit_service,
        delete_service,
        add_destination,
        edit_destination,
        delete_destination,
        set_timeouts,
        start_sync_daemon,
        stop_sync_daemon,
    };
    Kind kind;
    ServiceKey service;
    ServiceSettings service_settings;          // add/edit service
    DestinationKey destination;                // *_destination
    DestinationSettings destination_settings;  // add/edit destination
    Timeouts timeouts;                         // set_timeouts
    SyncDaemon sync_daemon;                    // start/stop (stop uses the role only)
    std::string to_string() const;             // for logs: "add destination TCP 192.0.2.1:80 -> ..."
};

// What the kernel does with a service or destination operation, on a Table:
// 0, or the errno the kernel would give (EEXIST, ESRCH, ENOENT). ipvsd keeps
// its view of the kernel current with it; the unit tests' FakeKernel is it.
// Timeouts and sync daemons are not part of a Table: they return 0.
int apply_to_table(Table& table, const Operation& operation);

}  // namespace hakeep::ipvsd
