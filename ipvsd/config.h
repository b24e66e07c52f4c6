// ipvsd.conf: keepalived's virtual_server blocks, with checkers replaced by
// `track_check NAME` (the checks live in checkd.conf). Pure parsing: text in,
// IpvsdConfig or ConfigError (FILE:LINE:COL: message) out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/global_defs.h"
#include "ipvsd/ipvs_table.h"

namespace hakeep::ipvsd {

struct ForwardingConfig {
    Forwarding method = Forwarding::masquerade;
    std::uint8_t tunnel_type = 0;  // TUN: ipip (0), gue (1), gre (2)
    std::uint16_t tunnel_port = 0; // gue
    std::uint16_t tunnel_flags = 0;
    auto operator<=>(const ForwardingConfig&) const = default;
};

struct RealServerConfig {
    Address address;
    std::uint16_t port = 0;
    int weight = 1;
    std::string track_check;  // empty: always up
    std::optional<ForwardingConfig> forwarding;  // else the virtual server's
    std::uint32_t upper_threshold = 0;
    std::uint32_t lower_threshold = 0;
    std::optional<bool> inhibit_on_failure;      // else the virtual server's
    config::SourceLocation where;
    std::string label() const;  // "203.0.113.11:8080"
};

// One address of a virtual_server_group: ADDR [PORT], a range a.b.c.d-e, or fwmark.
struct GroupMember {
    Address first;
    std::uint8_t range_end = 0;  // last byte of an IPv4 range, 0 if none
    std::uint16_t port = 0;
    std::uint32_t fwmark = 0;
    int family = AF_INET;
    config::SourceLocation where;
};

struct VirtualServerConfig {
    // Exactly one of: address+port, fwmark, group.
    std::optional<Address> address;
    std::uint16_t port = 0;
    std::uint32_t fwmark = 0;
    std::string group;
    int family = AF_INET;                  // fwmark: from the addresses of its real servers
    std::uint16_t protocol = IPPROTO_TCP;
    std::string scheduler = "wlc";         // keepalived's default
    std::uint32_t scheduler_flags = 0;     // sh-port, sh-fallback, mh-*, flag-1..3
    bool one_packet = false;               // ops
    ForwardingConfig forwarding;
    std::uint32_t persistence_timeout = 0; // 0: not persistent
    std::uint32_t persistence_granularity = 0;
    int quorum = 1;
    int hysteresis = 0;
    std::optional<RealServerConfig> sorry_server;
    bool inhibit_on_failure = false;
    bool alpha = false;
    bool ha_suspend = false;
    std::vector<RealServerConfig> real_servers;
    config::SourceLocation where;
    // Its block's text as last read (length and hash; 0: not known), so that
    // a reload can take it over when that text is still there, unchanged.
    std::size_t source_length = 0;
    std::size_t source_hash = 0;
    // How hactl, drains, quorum events and logs name it: the address and the
    // protocol, since TCP and UDP on one address and port are two services.
    // "192.0.2.100:80/tcp", "[2001:db8::1]:53/udp", "fwmark 7", "group web/tcp".
    std::string label() const;
    std::string label_without_protocol() const;  // "192.0.2.100:80", "group web"
};

struct SyncDaemonConfig {
    std::string interface;
    std::string instance;  // the vrrp_instance whose state it follows
    std::uint8_t sync_id = 0;
};

struct IpvsdConfig {
    GlobalDefs global;
    std::vector<VirtualServerConfig> virtual_servers;
    std::map<std::string, std::vector<GroupMember>> virtual_server_groups;
    Timeouts timeouts;
    std::optional<SyncDaemonConfig> sync_daemon;
    // At start, real servers whose check has not reported keep the kernel's
    // state until checkd's first snapshot, or this long (0: not at all).
    std::chrono::seconds check_snapshot_wait{5};
};

// The virtual server an operator names (hactl drain VS RS): its label
// ("192.0.2.100:80/udp"), the protocol first ("udp:192.0.2.100:80"), or the
// address alone when only one protocol has it. Its index in
// config.virtual_servers, or the reason there is none (not found; ambiguous).
struct VirtualServerLookup {
    std::optional<std::size_t> index;
    std::string problem;
};
VirtualServerLookup find_virtual_server(const IpvsdConfig& config, const std::string& name);

const config::Schema& ipvsd_schema();
IpvsdConfig parse_ipvsd_config(const config::ParsedConfig& parsed);  // throws ConfigError
IpvsdConfig load_ipvsd_config(const std::string& path, config::FileSource& files);
// A reload: virtual_server blocks whose text and place are those `previous`
// was read from are taken from it rather than parsed again. Their real
// servers move to the result: `previous` keeps every virtual server with its
// keys and labels, but only the real servers of blocks that changed, until it
// is replaced. If the file is refused (ConfigError), `previous` is whole again.
IpvsdConfig reload_ipvsd_config(const std::string& path, config::FileSource& files,
                                IpvsdConfig& previous);

}  // namespace hakeep::ipvsd
