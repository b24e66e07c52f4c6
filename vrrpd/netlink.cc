#include "vrrpd/netlink.h"

#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/macvlan.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

#include "common/log.h"

namespace hakeep::vrrpd {
namespace {

struct RtnlAddrPut {
    void operator()(rtnl_addr* address) const { rtnl_addr_put(address); }
};
struct RtnlLinkPut {
    void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
struct NlAddrPut {
    void operator()(nl_addr* address) const { nl_addr_put(address); }
};

int to_errno(int nl_error) {
    switch (-nl_error) {
    case NLE_EXIST: return EEXIST;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_NODEV: return ENODEV;
    case NLE_PERM: return EPERM;
    case NLE_INVAL: return EINVAL;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    default: return EIO;
    }
}

std::unique_ptr<rtnl_addr, RtnlAddrPut> make_address(int index, const VirtualAddress& vip) {
    std::unique_ptr<rtnl_addr, RtnlAddrPut> address(rtnl_addr_alloc());
    if (!address) throw std::bad_alloc();
    const Address& ip = vip.prefix.address;
    const int family = ip.family == Family::ipv4 ? AF_INET : AF_INET6;
    std::unique_ptr<nl_addr, NlAddrPut> local(
        nl_addr_build(family, ip.bytes.data(), static_cast<unsigned>(ip.size())));
    if (!local) throw std::bad_alloc();
    nl_addr_set_prefixlen(local.get(), vip.prefix.length);
    rtnl_addr_set_ifindex(address.get(), index);
    rtnl_addr_set_family(address.get(), family);
    rtnl_addr_set_local(address.get(), local.get());
    rtnl_addr_set_prefixlen(address.get(), vip.prefix.length);
    if (vip.scope != 0) rtnl_addr_set_scope(address.get(), vip.scope);
    if (!vip.label.empty() && ip.family == Family::ipv4) rtnl_addr_set_label(address.get(), vip.label.c_str());
    // keepalived adds IPv6 VIPs with nodad: a VIP must work at once on takeover.
    if (ip.family == Family::ipv6) rtnl_addr_set_flags(address.get(), IFA_F_NODAD);
    return address;
}

}  // namespace

void Netlink::NlSockFree::operator()(nl_sock* sock) const { nl_socket_free(sock); }
void Netlink::NlCacheFree::operator()(nl_cache* cache) const { nl_cache_free(cache); }

Netlink::Netlink() : request_(nl_socket_alloc()), monitor_(nl_socket_alloc()) {
    if (!request_ || !monitor_) throw std::bad_alloc();
    if (int rc = nl_connect(request_.get(), NETLINK_ROUTE); rc < 0)
        throw std::runtime_error(std::string("rtnetlink: ") + nl_geterror(rc));
    nl_socket_disable_seq_check(monitor_.get());
    if (int rc = nl_connect(monitor_.get(), NETLINK_ROUTE); rc < 0)
        throw std::runtime_error(std::string("rtnetlink monitor: ") + nl_geterror(rc));
    if (int rc = nl_socket_add_memberships(monitor_.get(), RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
                                           RTNLGRP_IPV6_IFADDR, 0);
        rc < 0)
        throw std::runtime_error(std::string("rtnetlink groups: ") + nl_geterror(rc));
    nl_socket_set_nonblocking(monitor_.get());
    nl_socket_set_buffer_size(monitor_.get(), 1 << 20, 0);
    nl_cache* links = nullptr;
    nl_cache* addresses = nullptr;
    if (int rc = rtnl_link_alloc_cache(request_.get(), AF_UNSPEC, &links); rc < 0)
        throw std::runtime_error(std::string("rtnetlink links: ") + nl_geterror(rc));
    links_.reset(links);
    if (int rc = rtnl_addr_alloc_cache(request_.get(), &addresses); rc < 0)
        throw std::runtime_error(std::string("rtnetlink addresses: ") + nl_geterror(rc));
    addresses_.reset(addresses);
}

Netlink::~Netlink() = default;

void Netlink::refresh(const std::set<Address>& ignore) {
    ignore_ = ignore;
    if (int rc = nl_cache_refill(request_.get(), links_.get()); rc < 0)
        HK_LOG_WARNING("rtnetlink: cannot read links: %s", nl_geterror(rc));
    if (int rc = nl_cache_refill(request_.get(), addresses_.get()); rc < 0)
        HK_LOG_WARNING("rtnetlink: cannot read addresses: %s", nl_geterror(rc));
    known_.clear();
    present_.clear();
    ipv4_conf_.clear();
    for (nl_object* object = nl_cache_get_first(links_.get()); object; object = nl_cache_get_next(object)) {
        auto* link = reinterpret_cast<rtnl_link*>(object);
        LinkInfo info;
        info.index = rtnl_link_get_ifindex(link);
        const unsigned flags = rtnl_link_get_flags(link);
        info.up = (flags & IFF_UP) && (flags & IFF_RUNNING);
        if (nl_addr* mac = rtnl_link_get_addr(link); mac && nl_addr_get_len(mac) == 6)
            std::memcpy(info.mac.data(), nl_addr_get_binary_addr(mac), 6);
        if (const char* kind = rtnl_link_get_type(link)) info.kind = kind;
        info.parent = rtnl_link_get_link(link);
        for (int id : {IPV4_DEVCONF_ARP_IGNORE, IPV4_DEVCONF_ARPFILTER, IPV4_DEVCONF_RP_FILTER,
                       IPV4_DEVCONF_ACCEPT_LOCAL, IPV4_DEVCONF_ARP_ANNOUNCE}) {
            std::uint32_t value = 0;
            if (rtnl_link_inet_get_conf(link, static_cast<unsigned>(id), &value) == 0)
                ipv4_conf_[{info.index, id}] = value;
        }
        known_.emplace_back(rtnl_link_get_name(link) ? rtnl_link_get_name(link) : "", info);
    }
    for (nl_object* object = nl_cache_get_first(addresses_.get()); object; object = nl_cache_get_next(object)) {
        auto* entry = reinterpret_cast<rtnl_addr*>(object);
        nl_addr* local = rtnl_addr_get_local(entry);
        if (!local) continue;
        const int family = rtnl_addr_get_family(entry);
        if ((family != AF_INET || nl_addr_get_len(local) != 4) &&
            (family != AF_INET6 || nl_addr_get_len(local) != 16))
            continue;
        const Address address = Address::from_bytes(family == AF_INET ? Family::ipv4 : Family::ipv6,
                                                     static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(local)));
        const int index = rtnl_addr_get_ifindex(entry);
        present_.insert({index, address});
        if (ignore.contains(address)) continue;
        const unsigned flags = static_cast<unsigned>(rtnl_addr_get_flags(entry));
        for (auto& [name, info] : known_) {
            if (info.index != index) continue;
            if (family == AF_INET && !(flags & IFA_F_SECONDARY) && !info.ipv4_primary)
                info.ipv4_primary = address;
            if (family == AF_INET6 && address.is_link_local() && !(flags & IFA_F_TENTATIVE) &&
                !info.ipv6_link_local)
                info.ipv6_link_local = address;
        }
    }
}

std::optional<LinkInfo> Netlink::link(const std::string& name) const {
    for (const auto& [known_name, info] : known_)
        if (known_name == name) return info;
    return std::nullopt;
}

std::string Netlink::link_name(int index) const {
    for (const auto& [name, info] : known_)
        if (info.index == index) return name;
    return {};
}

bool Netlink::has_address(int index, const Address& address) const {
    return present_.contains({index, address});
}

int Netlink::add_address(int index, const VirtualAddress& vip) {
    auto address = make_address(index, vip);
    const int rc = rtnl_addr_add(request_.get(), address.get(), NLM_F_CREATE | NLM_F_REPLACE);
    if (rc < 0 && to_errno(rc) != EEXIST) return to_errno(rc);
    present_.insert({index, vip.prefix.address});
    return 0;
}

int Netlink::delete_address(int index, const VirtualAddress& vip) {
    auto address = make_address(index, vip);
    const int rc = rtnl_addr_delete(request_.get(), address.get(), 0);
    present_.erase({index, vip.prefix.address});
    if (rc < 0 && to_errno(rc) != EADDRNOTAVAIL && to_errno(rc) != ENOENT) return to_errno(rc);
    return 0;
}

int Netlink::add_macvlan(const std::string& name, int parent, const std::array<std::uint8_t, 6>& mac) {
    std::unique_ptr<rtnl_link, RtnlLinkPut> link(rtnl_link_macvlan_alloc());
    if (!link) throw std::bad_alloc();
    std::unique_ptr<nl_addr, NlAddrPut> address(nl_addr_build(AF_LLC, mac.data(), 6));
    if (!address) throw std::bad_alloc();
    rtnl_link_set_name(link.get(), name.c_str());
    rtnl_link_set_link(link.get(), parent);
    rtnl_link_set_addr(link.get(), address.get());
    // keepalived's mode: the VMAC neither talks to nor hears other macvlans of its parent.
    rtnl_link_macvlan_set_mode(link.get(), MACVLAN_MODE_PRIVATE);
    const int rc = rtnl_link_add(request_.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (rc < 0) return to_errno(rc);
    nl_cache_refill(request_.get(), links_.get());
    return 0;
}

int Netlink::delete_link(int index) {
    std::unique_ptr<rtnl_link, RtnlLinkPut> link(rtnl_link_alloc());
    if (!link) throw std::bad_alloc();
    rtnl_link_set_ifindex(link.get(), index);
    const int rc = rtnl_link_delete(request_.get(), link.get());
    if (rc < 0 && to_errno(rc) != ENODEV && to_errno(rc) != ENOENT) return to_errno(rc);
    return 0;
}

int Netlink::change_link(int index, const std::vector<Ipv4Conf>& conf, bool no_ipv6_link_local, bool up) {
    if (int rc = nl_cache_refill(request_.get(), links_.get()); rc < 0) return to_errno(rc);
    std::unique_ptr<rtnl_link, RtnlLinkPut> original(rtnl_link_get(links_.get(), index));
    if (!original) return ENODEV;
    std::unique_ptr<rtnl_link, RtnlLinkPut> change(rtnl_link_alloc());
    if (!change) throw std::bad_alloc();
    for (const Ipv4Conf& entry : conf)
        if (int rc = rtnl_link_inet_set_conf(change.get(), static_cast<unsigned>(entry.id), entry.value); rc < 0)
            return to_errno(rc);
    if (no_ipv6_link_local)
        if (int rc = rtnl_link_inet6_set_addr_gen_mode(change.get(), IN6_ADDR_GEN_MODE_NONE); rc < 0)
            return to_errno(rc);
    if (up) rtnl_link_set_flags(change.get(), IFF_UP);
    const int rc = rtnl_link_change(request_.get(), original.get(), change.get(), 0);
    if (rc < 0) return to_errno(rc);
    for (const Ipv4Conf& entry : conf) ipv4_conf_[{index, entry.id}] = entry.value;
    return 0;
}

std::optional<std::uint32_t> Netlink::ipv4_conf(int index, int id) const {
    auto found = ipv4_conf_.find({index, id});
    if (found == ipv4_conf_.end()) return std::nullopt;
    return found->second;
}

std::vector<int> Netlink::link_indexes() const {
    std::vector<int> indexes;
    for (const auto& [name, info] : known_) indexes.push_back(info.index);
    return indexes;
}

void Netlink::watch(EventLoop& loop, std::function<void()> changed) {
    const int fd = nl_socket_get_fd(monitor_.get());
    loop.watch(fd, EPOLLIN, [fd, changed = std::move(changed)](std::uint32_t) {
        // The notifications only say "something changed": drain them and re-read.
        std::uint8_t buffer[8192];
        while (recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
        }
        changed();
    });
}

}  // namespace hakeep::vrrpd
