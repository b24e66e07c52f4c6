// One vrrp_instance at work: its election (StateMachine) wired to the wire
// (adverts through VrrpSocket), to rtnetlink (VIPs) and to AF_PACKET
// (gratuitous ARP / unsolicited NA), with its faults and priority from its
// trackers. The daemon (vrrpd.cc) owns the instances and feeds them.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/event_loop.h"
#include "common/proto/hakeep.pb.h"
#include "vrrpd/config.h"
#include "vrrpd/garp.h"
#include "vrrpd/netlink.h"
#include "vrrpd/sockets.h"
#include "vrrpd/state_machine.h"
#include "vrrpd/tracking.h"
#include "vrrpd/vmac.h"

namespace hakeep::vrrpd {

struct Io {
    EventLoop& loop;
    Netlink& netlink;
    VrrpSocket* socket4 = nullptr;
    VrrpSocket* socket6 = nullptr;
    PacketSocket* packet = nullptr;
    Vmacs* vmacs = nullptr;
};

class Instance;
using TransitionSink = std::function<void(Instance&, State from, State to)>;

class Instance final : public Actions {
public:
    Instance(Io& io, VrrpInstanceConfig config, TransitionSink sink);
    ~Instance() override;

    const VrrpInstanceConfig& config() const { return config_; }
    StateMachine& machine() { return machine_; }
    const StateMachine& machine() const { return machine_; }
    int ifindex() const { return link_ ? link_->index : 0; }
    // Adverts sent from a VMAC carry its MAC, which the peer's own VMAC
    // claims: the peer's macvlan hands them to its VMAC, not to the interface.
    // So adverts are received on either.
    bool receives_on(int index) const {
        return index != 0 && (index == ifindex() || (index == vmac_index_ && advert_index() == vmac_index_));
    }
    std::optional<Address> source_address() const;

    // Removes VIPs a killed vrrpd left behind, joins the group, starts the election.
    void start();
    // Interfaces or addresses changed: the interface's state, our source address.
    void links_changed();
    void set_trackers(std::vector<TrackerState> trackers);
    void set_group_fault(std::optional<std::string> reason);
    // Why the instance is (or would be) in FAULT; the group's part optional.
    std::optional<std::string> own_fault(bool include_group = true) const;

    void receive(const Received& received);
    // unicast_peer SOURCE min_ttl / max_ttl: false if the TTL is out of bounds (or unknown).
    bool ttl_allowed(const Address& source, std::optional<int> ttl) const;
    void count_drop(DropReason reason);
    void resign(const std::string& reason) { machine_.resign(reason); }
    // hactl set-priority: `value` (allowed by refuse_runtime_priority) becomes
    // the base priority that trackers move; a MASTER advertises the result at
    // once. The configured priority, or nothing, returns to vrrpd.conf's.
    void set_runtime_priority(std::optional<int> value);
    std::optional<int> runtime_priority() const { return runtime_priority_; }
    // The runtime priority if set, else the configured one.
    int base_priority() const { return runtime_priority_.value_or(config_.priority); }
    void stop(const std::string& reason) { machine_.stop(reason); }
    // After stop(): deletes the VMAC (use_vmac).
    void release();
    // Same identity, new settings: no flap. VIPs of a MASTER are diffed. A
    // runtime priority stays unless the new `priority` differs from the old.
    void reconfigure(VrrpInstanceConfig config);

    proto::VrrpInstanceStatus status() const;

    // Actions
    void send_advert(std::uint8_t priority) override;
    void take_over() override;
    void give_up() override;
    void state_changed(State from, State to, const std::string& reason) override;

private:
    void apply_faults();
    void update_priority();  // from base_priority() and the trackers
    Expectation expectation() const;
    std::vector<VirtualAddress> all_vips() const;
    int device_index(const VirtualAddress& vip) const;
    int vip_index() const;     // where VIPs without `dev` go: the VMAC or the interface
    int advert_index() const;  // where adverts leave: the VMAC unless vmac_xmit_base (IPv4)
    // The interface index of each path (one for a single-path route, one per
    // nexthop otherwise; 0: the kernel's choice), or nothing when a named
    // interface does not exist.
    std::optional<std::vector<int>> route_indexes(const VirtualRoute& route) const;
    void acquire_vmac();
    void add_routes(const std::vector<VirtualRoute>& routes, const std::vector<VirtualRule>& rules);
    void remove_routes(const std::vector<VirtualRoute>& routes, const std::vector<VirtualRule>& rules);
    void add_vips(const std::vector<VirtualAddress>& vips);
    void remove_vips(const std::vector<VirtualAddress>& vips);
    void send_garp_burst(int repeat);
    void schedule_garp_refresh();
    void cancel_garp();

    Io& io_;
    VrrpInstanceConfig config_;
    TransitionSink sink_;
    StateMachine machine_;
    std::optional<LinkInfo> link_;
    std::vector<TrackerState> trackers_;
    std::optional<int> runtime_priority_;  // hactl set-priority, until restart or a new `priority`
    Tracking tracking_;
    std::optional<std::string> group_fault_;
    std::string fault_reason_;
    std::vector<EventLoop::TimerId> garp_timers_;
    std::uint64_t garp_sent_ = 0;
    std::uint64_t send_errors_ = 0;
    bool joined_ = false;
    int vmac_index_ = 0;
    int vmac_parent_ = 0;
    std::string vmac_error_;
};

ElectionConfig election_config(const VrrpInstanceConfig& config);

}  // namespace hakeep::vrrpd
