// rtnetlink through libnl-route-3: what vrrpd knows of its interfaces (index,
// state, MAC, primary addresses) and the only place that adds or removes
// addresses. Both sockets are opened before the sandbox; afterwards only
// sendmsg/recvmsg on them are needed.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
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
    std::optional<LinkInfo> link(const std::string& name) const;
    std::string link_name(int index) const;
    bool has_address(int index, const Address& address) const;

    // 0 or an errno. Adding a present address and removing an absent one succeed.
    int add_address(int index, const VirtualAddress& vip);
    int delete_address(int index, const VirtualAddress& vip);

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
    std::set<std::pair<int, Address>> present_;
};

}  // namespace hakeep::vrrpd
