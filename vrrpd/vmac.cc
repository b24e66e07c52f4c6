#include "vrrpd/vmac.h"

#include <linux/ip.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/log.h"

namespace hakeep::vrrpd {
namespace {

std::string mac_text(const std::array<std::uint8_t, 6>& mac) {
    char text[18];
    std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                  mac[4], mac[5]);
    return text;
}

}  // namespace

Vmacs::Vmacs(Netlink& netlink, UniqueFd all_rp_filter)
    : netlink_(netlink), all_rp_filter_(std::move(all_rp_filter)) {}

Vmacs::Acquired Vmacs::acquire(const VrrpInstanceConfig& config, int parent) {
    const std::string& name = config.vmac_name;
    const auto mac = config.vmac_address();
    if (mine_.contains(name)) return {netlink_.link(name) ? netlink_.link(name)->index : 0, ""};
    if (auto existing = netlink_.link(name)) {
        if (existing->kind != "macvlan" || existing->parent != parent || existing->mac != mac)
            return {0, "interface " + name + " exists and is not this instance's VMAC (macvlan of " +
                           config.interface + " with " + mac_text(mac) + ")"};
        HK_LOG_NOTICE("%s: adopting VMAC %s left by a previous run", config.name.c_str(), name.c_str());
    } else if (int rc = netlink_.add_macvlan(name, parent, mac); rc != 0) {
        return {0, "cannot create VMAC " + name + ": " + std::strerror(rc)};
    }
    netlink_.refresh();
    auto created = netlink_.link(name);
    if (!created) return {0, "VMAC " + name + " vanished after its creation"};
    mine_[name] = true;
    std::vector<Ipv4Conf> settings = {{IPV4_DEVCONF_ARP_IGNORE, 1},
                                      {IPV4_DEVCONF_ACCEPT_LOCAL, 1},
                                      {IPV4_DEVCONF_RP_FILTER, 0},
                                      {IPV4_DEVCONF_PROMOTE_SECONDARIES, 1}};
    // Two requests: the kernel raises the link before it reads addr_gen_mode,
    // and a link raised with the default mode gets its link-local at once.
    int rc = netlink_.change_link(created->index, settings, true, false);
    if (rc == 0) rc = netlink_.change_link(created->index, {}, false, true);
    if (rc != 0) return {created->index, "cannot set up VMAC " + name + ": " + std::strerror(rc)};
    Base& base = bases_[parent];
    if (base.users++ == 0) {
        base.arp_ignore = netlink_.ipv4_conf(parent, IPV4_DEVCONF_ARP_IGNORE);
        base.arp_filter = netlink_.ipv4_conf(parent, IPV4_DEVCONF_ARPFILTER);
        base.arp_announce = netlink_.ipv4_conf(parent, IPV4_DEVCONF_ARP_ANNOUNCE);
        if (int base_rc = netlink_.change_link(parent,
                                               {{IPV4_DEVCONF_ARP_IGNORE, 1},
                                                {IPV4_DEVCONF_ARPFILTER, 1},
                                                {IPV4_DEVCONF_ARP_ANNOUNCE, 2}},
                                               false, false);
            base_rc != 0)
            HK_LOG_WARNING("%s: cannot set arp_ignore/arp_filter/arp_announce on %s: %s", config.name.c_str(),
                           config.interface.c_str(), std::strerror(base_rc));
    }
    clear_all_rp_filter();
    HK_LOG_INFO("%s: VMAC %s (%s) on %s", config.name.c_str(), name.c_str(), mac_text(mac).c_str(),
                config.interface.c_str());
    return {created->index, ""};
}

void Vmacs::clear_all_rp_filter() {
    if (all_rp_filter_done_ || !all_rp_filter_) return;
    all_rp_filter_done_ = true;
    char text[16] = {};
    // lseek + read/write rather than pread/pwrite: the sandbox's runtime list has them.
    const int fd = all_rp_filter_.get();
    if (lseek(fd, 0, SEEK_SET) != 0 || read(fd, text, sizeof text - 1) <= 0) return;
    const long all = std::strtol(text, nullptr, 10);
    if (all <= 0) return;
    // The kernel uses max(all, interface): raise each interface to keep what
    // it had, then lower all, so that only the VMACs (set to 0) change.
    for (int index : netlink_.link_indexes()) {
        const std::string name = netlink_.link_name(index);
        if (mine_.contains(name)) continue;
        const auto current = netlink_.ipv4_conf(index, IPV4_DEVCONF_RP_FILTER);
        if (current && *current < static_cast<std::uint32_t>(all))
            netlink_.change_link(index, {{IPV4_DEVCONF_RP_FILTER, static_cast<std::uint32_t>(all)}}, false, false);
    }
    if (lseek(fd, 0, SEEK_SET) != 0 || write(fd, "0\n", 2) != 2)
        HK_LOG_WARNING("cannot clear net.ipv4.conf.all.rp_filter (%ld): %s; VMACs need it 0 "
                       "(set it with sysctl, e.g. from a sysctl.d file)",
                       all, std::strerror(errno));
    else
        HK_LOG_NOTICE("net.ipv4.conf.all.rp_filter %ld -> 0 for the VMACs (other interfaces keep %ld)", all, all);
}

void Vmacs::release(const VrrpInstanceConfig& config, int parent) {
    if (!mine_.erase(config.vmac_name)) return;
    if (auto link = netlink_.link(config.vmac_name))
        if (int rc = netlink_.delete_link(link->index); rc != 0)
            HK_LOG_WARNING("%s: cannot delete VMAC %s: %s", config.name.c_str(), config.vmac_name.c_str(),
                           std::strerror(rc));
    auto base = bases_.find(parent);
    if (base == bases_.end() || --base->second.users > 0) return;
    std::vector<Ipv4Conf> restore;
    if (base->second.arp_ignore) restore.push_back({IPV4_DEVCONF_ARP_IGNORE, *base->second.arp_ignore});
    if (base->second.arp_filter) restore.push_back({IPV4_DEVCONF_ARPFILTER, *base->second.arp_filter});
    if (base->second.arp_announce) restore.push_back({IPV4_DEVCONF_ARP_ANNOUNCE, *base->second.arp_announce});
    if (!restore.empty()) netlink_.change_link(parent, restore, false, false);
    bases_.erase(base);
}

}  // namespace hakeep::vrrpd
