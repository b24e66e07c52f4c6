// rtnetlink through libnl-route-3: what vrrpd knows of its interfaces (index,
// state, MAC, primary addresses) and the only place that adds or removes
// addresses. Both sockets are opened before the sandbox; afterwards only
// sendmsg/recvmsg on them are needed.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <set>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "vrrpd/address.h"
#include "vrrpd/config.h"

struct nl_sock;
struct nl_cache;

namespace hakeep::vrrpd {

struct LinkInfo {
    int index = 0;
    bool up = false;  // IFF_UP and IFF_RUNNING (carrier)
    std::array<std::uint8_t, 6> mac{};
    std::optional<Address> ipv4_primary;     // first non-secondary IPv4 address
    std::optional<Address> ipv6_link_local;  // first fe80:: address, not tentative
    std::string kind;                        // "macvlan", "veth", ... (empty: none)
    int parent = 0;                          // IFLA_LINK: a macvlan's lower device
};

// One IPv4 per-interface setting (net.ipv4.conf.IF.NAME), by IPV4_DEVCONF_* id.
struct Ipv4Conf {
    int id;
    std::uint32_t value;
};

class Netlink {
public:
    Netlink();  // opens the sockets: throws std::runtime_error
    ~Netlink();
    Netlink(const Netlink&) = delete;
    Netlink& operator=(const Netlink&) = delete;

    // Re-reads links and addresses. `ignore` is left out of the primary
    // address choice: our own VIPs are never the advert source.
    void refresh(const std::set<Address>& ignore);
    void refresh() { refresh(std::set<Address>(ignore_)); }  // with the last `ignore`
    std::optional<LinkInfo> link(const std::string& name) const;
    std::string link_name(int index) const;
    bool has_address(int index, const Address& address) const;

    // 0 or an errno. Adding a present address and removing an absent one succeed.
    int add_address(int index, const VirtualAddress& vip);
    int delete_address(int index, const VirtualAddress& vip);

    // VMACs (use_vmac). A macvlan in private mode on `parent` with `mac`,
    // created down; 0 or an errno (EEXIST: the name is taken).
    int add_macvlan(const std::string& name, int parent, const std::array<std::uint8_t, 6>& mac);
    int delete_link(int index);
    // Sets IPv4 per-interface settings through rtnetlink (IFLA_INET_CONF: no
    // /proc/sys write needed), optionally no automatic IPv6 link-local address
    // (addr_gen_mode none) and the link up. 0 or an errno.
    int change_link(int index, const std::vector<Ipv4Conf>& conf, bool no_ipv6_link_local, bool up);
    std::optional<std::uint32_t> ipv4_conf(int index, int id) const;
    std::vector<int> link_indexes() const;

    // virtual_routes and virtual_rules (netlink_routes.cc). `ifindexes` holds
    // the device of each path (Instance::route_indexes: the route's own, or
    // one per nexthop; 0: let the kernel choose). Adding what is present and
    // removing what is absent succeed.
    int add_route(const VirtualRoute& route, std::span<const int> ifindexes);
    int delete_route(const VirtualRoute& route, std::span<const int> ifindexes);
    int add_rule(const VirtualRule& rule);
    int delete_rule(const VirtualRule& rule);

    // Link and address notifications: the loop calls `changed` after a refresh.
    void watch(EventLoop& loop, std::function<void()> changed);

private:
    struct NlSockFree {
        void operator()(nl_sock* sock) const;
    };
    struct NlCacheFree {
        void operator()(nl_cache* cache) const;
    };
    std::unique_ptr<nl_sock, NlSockFree> request_;
    std::unique_ptr<nl_sock, NlSockFree> monitor_;
    std::unique_ptr<nl_cache, NlCacheFree> links_;
    std::unique_ptr<nl_cache, NlCacheFree> addresses_;
    std::vector<std::pair<std::string, LinkInfo>> known_;
    std::map<std::pair<int, int>, std::uint32_t> ipv4_conf_;  // (ifindex, id) -> value
    std::set<std::pair<int, Address>> present_;
    std::set<Address> ignore_;
};

}  // namespace hakeep::vrrpd
