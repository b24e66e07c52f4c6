// virtual_routes and virtual_rules through libnl-route-3: present only while
// MASTER, so vrrpd adds and removes exactly the entries its configuration
// names, tagged with its own routing protocol number.
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>

#include "vrrpd/netlink.h"

namespace hakeep::vrrpd {
namespace {

// keepalived's RTPROT_KEEPALIVED: `ip route show proto 18` lists what a VRRP
// daemon installed, and an operator's identical static route is not ours.
constexpr std::uint8_t rtprot_vrrp = 18;

struct RoutePut {
    void operator()(rtnl_route* route) const { rtnl_route_put(route); }
};
struct RulePut {
    void operator()(rtnl_rule* rule) const { rtnl_rule_put(rule); }
};
struct AddrPut {
    void operator()(nl_addr* address) const { nl_addr_put(address); }
};
using AddrPtr = std::unique_ptr<nl_addr, AddrPut>;

int af(Family family) { return family == Family::ipv4 ? AF_INET : AF_INET6; }

AddrPtr make(const Address& address, int length = -1) {
    AddrPtr built(nl_addr_build(af(address.family), address.bytes.data(), static_cast<unsigned>(address.size())));
    if (!built) throw std::bad_alloc();
    nl_addr_set_prefixlen(built.get(), length >= 0 ? length : static_cast<int>(address.size() * 8));
    return built;
}

int errno_of(int nl_error) {
    switch (-nl_error) {
    case NLE_EXIST: return EEXIST;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_NODEV: return ENODEV;
    case NLE_PERM: return EPERM;
    case NLE_INVAL: return EINVAL;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    default: return EIO;
    }
}

bool has_gateway(const VirtualRoute& route) {
    return route.via || std::ranges::any_of(route.nexthops, [](const NextHop& hop) { return hop.via.has_value(); });
}

void add_path(rtnl_route* route, const std::optional<Address>& via, int ifindex, int weight, bool onlink) {
    rtnl_nexthop* hop = rtnl_route_nh_alloc();
    if (!hop) throw std::bad_alloc();
    if (ifindex != 0) rtnl_route_nh_set_ifindex(hop, ifindex);
    if (via) rtnl_route_nh_set_gateway(hop, make(*via).get());
    // rtnh_hops carries weight - 1 (ip-route's "weight 1" is 0 on the wire).
    rtnl_route_nh_set_weight(hop, static_cast<std::uint8_t>(weight - 1));
    if (onlink) rtnl_route_nh_set_flags(hop, RTNH_F_ONLINK);
    rtnl_route_add_nexthop(route, hop);  // the route owns it now
}

std::unique_ptr<rtnl_route, RoutePut> make_route(const VirtualRoute& route, std::span<const int> ifindexes,
                                                 bool for_delete) {
    std::unique_ptr<rtnl_route, RoutePut> built(rtnl_route_alloc());
    if (!built) throw std::bad_alloc();
    const Family family = route.destination.address.family;
    rtnl_route_set_family(built.get(), static_cast<std::uint8_t>(af(family)));
    AddrPtr destination = make(route.destination.address, route.destination.length);
    rtnl_route_set_dst(built.get(), destination.get());
    rtnl_route_set_table(built.get(), static_cast<std::uint32_t>(route.table));
    rtnl_route_set_protocol(built.get(), rtprot_vrrp);
    if (route.metric) rtnl_route_set_priority(built.get(), *route.metric);
    if (route.source) rtnl_route_set_pref_src(built.get(), make(*route.source).get());
    // Deleting with scope "nowhere" matches whatever scope the kernel kept (as ip route del).
    std::uint8_t scope = RT_SCOPE_UNIVERSE;
    if (route.scope) scope = static_cast<std::uint8_t>(*route.scope);
    else if (!has_gateway(route) && !route.blackhole && family == Family::ipv4) scope = RT_SCOPE_LINK;
    rtnl_route_set_scope(built.get(), for_delete ? static_cast<std::uint8_t>(RT_SCOPE_NOWHERE) : scope);
    if (route.blackhole) {
        rtnl_route_set_type(built.get(), RTN_BLACKHOLE);
        return built;
    }
    rtnl_route_set_type(built.get(), RTN_UNICAST);
    if (route.nexthops.empty()) add_path(built.get(), route.via, ifindexes[0], 1, route.onlink);
    for (std::size_t path = 0; path < route.nexthops.size(); ++path) {
        const NextHop& hop = route.nexthops[path];
        add_path(built.get(), hop.via, ifindexes[path], hop.weight, hop.onlink);
    }
    // libnl sends a route of one path as RTA_GATEWAY and RTA_OIF, without the
    // path's flags: its onlink goes in the route's own flags (as ip-route's).
    const bool sole_path_onlink = route.nexthops.empty() ? route.onlink
                                  : route.nexthops.size() == 1 && route.nexthops[0].onlink;
    if (sole_path_onlink) rtnl_route_set_flags(built.get(), RTNH_F_ONLINK);
    return built;
}

std::unique_ptr<rtnl_rule, RulePut> make_rule(const VirtualRule& rule) {
    std::unique_ptr<rtnl_rule, RulePut> built(rtnl_rule_alloc());
    if (!built) throw std::bad_alloc();
    rtnl_rule_set_family(built.get(), af(rule.family));
    if (rule.from) rtnl_rule_set_src(built.get(), make(rule.from->address, rule.from->length).get());
    if (rule.to) rtnl_rule_set_dst(built.get(), make(rule.to->address, rule.to->length).get());
    rtnl_rule_set_table(built.get(), static_cast<std::uint32_t>(rule.table));
    rtnl_rule_set_action(built.get(), FR_ACT_TO_TBL);
    if (rule.priority) rtnl_rule_set_prio(built.get(), *rule.priority);
    rtnl_rule_set_protocol(built.get(), rtprot_vrrp);
    return built;
}

}  // namespace

int Netlink::add_route(const VirtualRoute& route, std::span<const int> ifindexes) {
    auto built = make_route(route, ifindexes, false);
    const int rc = rtnl_route_add(request_.get(), built.get(), NLM_F_CREATE | NLM_F_REPLACE);
    return rc < 0 ? errno_of(rc) : 0;
}

int Netlink::delete_route(const VirtualRoute& route, std::span<const int> ifindexes) {
    auto built = make_route(route, ifindexes, true);
    const int rc = rtnl_route_delete(request_.get(), built.get(), 0);
    if (rc < 0 && errno_of(rc) != ENOENT && errno_of(rc) != ESRCH) return errno_of(rc);
    return 0;
}

int Netlink::add_rule(const VirtualRule& rule) {
    // Rules may be duplicated: remove ours first, so that a restart adds one, not two.
    delete_rule(rule);
    auto built = make_rule(rule);
    const int rc = rtnl_rule_add(request_.get(), built.get(), NLM_F_CREATE);
    return rc < 0 && errno_of(rc) != EEXIST ? errno_of(rc) : 0;
}

int Netlink::delete_rule(const VirtualRule& rule) {
    auto built = make_rule(rule);
    const int rc = rtnl_rule_delete(request_.get(), built.get(), 0);
    if (rc < 0 && errno_of(rc) != ENOENT) return errno_of(rc);
    return 0;
}

}  // namespace hakeep::vrrpd
