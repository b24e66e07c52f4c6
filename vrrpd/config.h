// vrrpd.conf: keepalived's vrrp_instance, vrrp_sync_group and vrrp_track_file
// blocks, so that an operator can paste them. Parsing is pure: text in,
// VrrpdConfig or ConfigError (FILE:LINE:COL: message).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/global_defs.h"
#include "vrrpd/address.h"
#include "vrrpd/packet.h"

namespace hakeep::vrrpd {

enum class InitialState { backup, master };

// ADDR/PREFIX [dev IF] [label L] [scope S] [brd B] [no_track]
struct VirtualAddress {
    Prefix prefix;
    std::string device;           // empty: the instance's interface
    std::string label;
    int scope = 0;                // RT_SCOPE_UNIVERSE; host 254, link 253, site 200
    bool operator==(const VirtualAddress&) const = default;
    std::string to_string() const;
};

// virtual_routes entry, keepalived's subset of ip-route syntax:
// [blackhole] DEST/LEN [via GW] [dev IF] [table N] [metric N] [src A] [scope S] [blackhole]
// One path of a multipath route: `nexthop [via GW] [dev IF] [weight N] [onlink]`.
struct NextHop {
    std::optional<Address> via;
    std::string device;             // empty: as a route's (the kernel's choice with via)
    int weight = 1;                 // 1..256, ip-route's; the kernel keeps weight - 1
    bool onlink = false;
    bool operator==(const NextHop&) const = default;
};

struct VirtualRoute {
    Prefix destination;
    std::optional<Address> via;
    std::string device;             // empty: the instance's interface (or its VMAC) unless blackhole
    bool onlink = false;            // the gateway is on the link even if no prefix says so
    std::vector<NextHop> nexthops;  // a multipath route: then no via or dev of its own
    int table = 254;                // RT_TABLE_MAIN
    std::optional<std::uint32_t> metric;
    std::optional<Address> source;
    std::optional<int> scope;       // default: link without a gateway, else universe
    bool blackhole = false;
    bool operator==(const VirtualRoute&) const = default;
    std::string to_string() const;
};

// virtual_rules entry: from PREFIX | to PREFIX (one or both) [table N] [priority N]
struct VirtualRule {
    Family family = Family::ipv4;
    std::optional<Prefix> from;
    std::optional<Prefix> to;
    int table = 254;
    std::optional<std::uint32_t> priority;
    bool operator==(const VirtualRule&) const = default;
    std::string to_string() const;
};

struct UnicastPeer {
    Address address;
    std::optional<int> min_ttl;     // accept adverts from it only with TTL >= min_ttl
    std::optional<int> max_ttl;     // ... and <= max_ttl
    bool operator==(const UnicastPeer&) const = default;
};

struct TrackedScript {
    std::string name;   // any check of checkd.conf
    int weight = 0;     // 0: down means FAULT
    bool reverse = false;
    bool operator==(const TrackedScript&) const = default;
};

struct TrackedInterface {
    std::string name;
    int weight = 0;
    bool reverse = false;
    bool operator==(const TrackedInterface&) const = default;
};

struct TrackedFile {
    std::string name;   // vrrp_track_file NAME, or the path itself
    std::string path;
    int weight = 1;     // value × weight; 0: a non-zero value means FAULT
    bool reverse = false;
    bool operator==(const TrackedFile&) const = default;
};

struct GarpSettings {
    std::chrono::milliseconds master_delay{5000};   // vrrp_garp_master_delay
    int master_repeat = 5;                          // vrrp_garp_master_repeat
    std::chrono::milliseconds master_refresh{0};    // vrrp_garp_master_refresh (0: never)
    int master_refresh_repeat = 1;                  // vrrp_garp_master_refresh_repeat
    std::chrono::microseconds garp_interval{0};     // vrrp_garp_interval, between ARPs
    std::chrono::microseconds gna_interval{0};      // vrrp_gna_interval, between NAs
    bool operator==(const GarpSettings&) const = default;
};

struct VrrpInstanceConfig {
    std::string name;
    config::SourceLocation where;
    InitialState state = InitialState::backup;
    std::string interface;
    int virtual_router_id = 0;     // 1..255
    int priority = 100;            // 1..255 (255: address owner)
    int advert_int_centis = 100;   // v2 whole seconds, v3 0.01..40.95
    int version = 2;               // keepalived's default; global_defs vrrp_version
    Family family = Family::ipv4;  // of virtual_ipaddress (IPv6: always v3)
    bool preempt = true;
    std::chrono::milliseconds preempt_delay{0};
    std::vector<VirtualAddress> virtual_ipaddress;
    std::vector<VirtualAddress> virtual_ipaddress_excluded;
    std::vector<TrackedScript> track_script;
    std::vector<TrackedInterface> track_interface;
    std::vector<TrackedFile> track_file;
    std::optional<Address> unicast_src_ip;
    std::vector<Address> unicast_peer;
    std::vector<UnicastPeer> unicast_peer_ttl;  // unicast_peer with their TTL bounds, same order
    bool use_vmac = false;
    std::string vmac_name;         // default vrrp.VRID (IPv4), vrrp6.VRID (IPv6)
    std::optional<std::array<std::uint8_t, 6>> vmac_mac;  // use_vmac's MAC argument
    bool vmac_xmit_base = false;
    std::vector<VirtualRoute> virtual_routes;
    std::vector<VirtualRule> virtual_rules;
    AuthType auth_type = AuthType::none;
    std::string auth_pass;
    bool v3_checksum_as_v2 = false;
    bool skip_check_adv_addr = false;
    GarpSettings garp;
    std::string sync_group;        // filled from vrrp_sync_group

    bool unicast() const { return !unicast_peer.empty(); }
    // The VMAC's MAC: the one configured, else RFC 5798's 00-00-5E-00-01-VRID
    // (IPv4), 00-00-5E-00-02-VRID (IPv6).
    std::array<std::uint8_t, 6> vmac_address() const {
        if (vmac_mac) return *vmac_mac;
        return {0x00, 0x00, 0x5e, 0x00, static_cast<std::uint8_t>(family == Family::ipv4 ? 1 : 2),
                static_cast<std::uint8_t>(virtual_router_id)};
    }
    // What identifies the instance across reloads (keepalived's vrrp_exist):
    // VRID, family, interface (and unicast or not).
    bool same_identity(const VrrpInstanceConfig& other) const {
        return virtual_router_id == other.virtual_router_id && family == other.family &&
               interface == other.interface && unicast() == other.unicast();
    }
};

struct VrrpSyncGroupConfig {
    std::string name;
    std::vector<std::string> members;
};

struct VrrpdConfig {
    GlobalDefs global;
    GarpSettings garp;   // global_defs vrrp_garp_*
    std::vector<VrrpInstanceConfig> instances;
    std::vector<VrrpSyncGroupConfig> sync_groups;
};

const config::Schema& vrrpd_schema();
VrrpdConfig parse_vrrpd_config(const config::ParsedConfig& parsed);  // throws ConfigError
VrrpdConfig load_vrrpd_config(const std::string& path, config::FileSource& files);

}  // namespace hakeep::vrrpd
