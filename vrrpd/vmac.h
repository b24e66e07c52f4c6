// keepalived's use_vmac: a macvlan (private mode) on the instance's interface
// carrying the virtual MAC 00-00-5E-00-01-VRID (IPv4) or 00-00-5E-00-02-VRID
// (IPv6), so that the VIPs answer ARP / ND with the virtual MAC and hosts'
// neighbour entries survive a failover. The settings keepalived makes, made
// through rtnetlink (IFLA_INET_CONF) rather than /proc/sys:
//   the VMAC:  arp_ignore 1, accept_local 1, rp_filter 0, promote_secondaries 1,
//              no IPv6 link-local (the backup's VMAC must never send from the
//              virtual MAC)
//   its base:  arp_ignore 1, arp_filter 1 (the base must not answer ARP for
//              the VIPs with its own MAC), and, beyond keepalived, arp_announce
//              2: replies to clients leave through the base (its connected
//              route is older), and the ARP it sends for them must not name a
//              VIP as sender, which would teach the client the base's MAC for
//              the VIP. Restored when its last VMAC goes.
//   all:       rp_filter 0 (the kernel uses max(all, interface)); each other
//              interface keeps its effective value. Written through a
//              descriptor opened before the sandbox; not restored.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "common/unique_fd.h"
#include "vrrpd/config.h"
#include "vrrpd/netlink.h"

namespace hakeep::vrrpd {

class Vmacs {
public:
    // `all_rp_filter`: /proc/sys/net/ipv4/conf/all/rp_filter opened read-write, or invalid.
    Vmacs(Netlink& netlink, UniqueFd all_rp_filter);
    // Creates the instance's VMAC (or adopts one a killed vrrpd left, if its
    // parent and MAC match) and makes the settings. Its ifindex, or why not.
    struct Acquired {
        int index = 0;
        std::string error;
    };
    Acquired acquire(const VrrpInstanceConfig& config, int parent);
    // Deletes the VMAC; the base's settings come back with its last VMAC.
    void release(const VrrpInstanceConfig& config, int parent);

private:
    void clear_all_rp_filter();

    Netlink& netlink_;
    UniqueFd all_rp_filter_;
    bool all_rp_filter_done_ = false;
    struct Base {
        int users = 0;
        std::optional<std::uint32_t> arp_ignore;
        std::optional<std::uint32_t> arp_filter;
        std::optional<std::uint32_t> arp_announce;
    };
    std::map<int, Base> bases_;
    std::map<std::string, bool> mine_;  // VMAC names acquired and not released
};

}  // namespace hakeep::vrrpd
