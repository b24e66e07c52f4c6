#include "vrrpd/netlink.h"

#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

#include "common/log.h"

namespace hakeep::vrrpd {
namespace {

struct RtnlAddrPut {
    void operator()(rtnl_addr* address) const { rtnl_addr_put(address); }
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
    if (int rc = nl_cache_refill(request_.get(), links_.get()); rc < 0)
        HK_LOG_WARNING("rtnetlink: cannot read links: %s", nl_geterror(rc));
    if (int rc = nl_cache_refill(request_.get(), addresses_.get()); rc < 0)
        HK_LOG_WARNING("rtnetlink: cannot read addresses: %s", nl_geterror(rc));
    known_.clear();
    present_.clear();
    for (nl_object* object = nl_cache_get_first(links_.get()); object; object = nl_cache_get_next(object)) {
        auto* link = reinterpret_cast<rtnl_link*>(object);
        LinkInfo info;
        info.index = rtnl_link_get_ifindex(link);
        const unsigned flags = rtnl_link_get_flags(link);
        info.up = (flags & IFF_UP) && (flags & IFF_RUNNING);
        if (nl_addr* mac = rtnl_link_get_addr(link); mac && nl_addr_get_len(mac) == 6)
            std::memcpy(info.mac.data(), nl_addr_get_binary_addr(mac), 6);
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
