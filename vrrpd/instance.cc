#include "vrrpd/instance.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"

namespace hakeep::vrrpd {

ElectionConfig election_config(const VrrpInstanceConfig& config) {
    ElectionConfig election;
    election.name = config.name;
    election.version = config.version;
    election.advert_interval_centis = static_cast<std::uint16_t>(config.advert_int_centis);
    election.base_priority = static_cast<std::uint8_t>(config.priority);
    election.start_as_master = config.state == InitialState::master;
    election.preempt = config.preempt;
    election.preempt_delay = config.preempt_delay;
    return election;
}

Instance::Instance(Io& io, VrrpInstanceConfig config, TransitionSink sink)
    : io_(io), config_(std::move(config)), sink_(std::move(sink)),
      machine_(io.loop, *this, election_config(config_)) {
    tracking_.priority = config_.priority;
}

Instance::~Instance() { cancel_garp(); }

std::optional<Address> Instance::source_address() const {
    if (config_.unicast_src_ip) return config_.unicast_src_ip;
    if (!link_) return std::nullopt;
    return config_.family == Family::ipv4 ? link_->ipv4_primary : link_->ipv6_link_local;
}

std::vector<VirtualAddress> Instance::all_vips() const {
    std::vector<VirtualAddress> vips = config_.virtual_ipaddress;
    vips.insert(vips.end(), config_.virtual_ipaddress_excluded.begin(),
                config_.virtual_ipaddress_excluded.end());
    return vips;
}

int Instance::device_index(const VirtualAddress& vip) const {
    if (vip.device.empty()) return vip_index();
    if (vip.device == config_.interface) return ifindex();
    auto other = io_.netlink.link(vip.device);
    return other ? other->index : 0;
}

int Instance::vip_index() const { return config_.use_vmac ? vmac_index_ : ifindex(); }

int Instance::advert_index() const {
    // IPv6 adverts leave from the interface: their source must be its link-local
    // address, and the VMAC has none (a backup's VMAC must stay silent).
    if (config_.use_vmac && !config_.vmac_xmit_base && config_.family == Family::ipv4 && vmac_index_ != 0)
        return vmac_index_;
    return ifindex();
}

std::optional<std::vector<int>> Instance::route_indexes(const VirtualRoute& route) const {
    auto path_index = [&](const std::string& device, bool has_gateway) {
        if (device.empty()) return has_gateway ? 0 : vip_index();
        if (device == config_.interface) return ifindex();
        auto other = io_.netlink.link(device);
        return other ? other->index : -1;
    };
    std::vector<int> indexes;
    if (route.blackhole) indexes.push_back(0);
    else if (route.nexthops.empty()) indexes.push_back(path_index(route.device, route.via.has_value()));
    for (const NextHop& hop : route.nexthops) indexes.push_back(path_index(hop.device, hop.via.has_value()));
    if (std::ranges::find(indexes, -1) != indexes.end()) return std::nullopt;
    return indexes;
}

void Instance::acquire_vmac() {
    if (!config_.use_vmac) return;
    if (!link_ || !io_.vmacs) {
        vmac_index_ = 0;
        return;
    }
    if (vmac_parent_ != 0) io_.vmacs->release(config_, vmac_parent_);  // gone with its parent
    const Vmacs::Acquired got = io_.vmacs->acquire(config_, link_->index);
    if (!got.error.empty() && got.error != vmac_error_)
        HK_LOG_ERROR("%s: %s", config_.name.c_str(), got.error.c_str());
    vmac_error_ = got.error;
    vmac_index_ = got.index;
    vmac_parent_ = got.index != 0 ? link_->index : 0;
}

void Instance::release() {
    if (config_.use_vmac && io_.vmacs && vmac_parent_ != 0) io_.vmacs->release(config_, vmac_parent_);
    vmac_parent_ = 0;
    vmac_index_ = 0;
}

void Instance::add_routes(const std::vector<VirtualRoute>& routes, const std::vector<VirtualRule>& rules) {
    for (const VirtualRoute& route : routes) {
        const auto indexes = route_indexes(route);
        if (!indexes) {
            HK_LOG_WARNING("%s: no interface for route %s", config_.name.c_str(), route.to_string().c_str());
            continue;
        }
        if (int rc = io_.netlink.add_route(route, *indexes); rc != 0)
            HK_LOG_ERROR("%s: cannot add route %s: %s", config_.name.c_str(), route.to_string().c_str(),
                         std::strerror(rc));
    }
    for (const VirtualRule& rule : rules)
        if (int rc = io_.netlink.add_rule(rule); rc != 0)
            HK_LOG_ERROR("%s: cannot add rule %s: %s", config_.name.c_str(), rule.to_string().c_str(),
                         std::strerror(rc));
}

void Instance::remove_routes(const std::vector<VirtualRoute>& routes, const std::vector<VirtualRule>& rules) {
    for (const VirtualRule& rule : rules)
        if (int rc = io_.netlink.delete_rule(rule); rc != 0)
            HK_LOG_ERROR("%s: cannot remove rule %s: %s", config_.name.c_str(), rule.to_string().c_str(),
                         std::strerror(rc));
    for (const VirtualRoute& route : routes) {
        const auto indexes = route_indexes(route);
        if (!indexes) continue;
        if (int rc = io_.netlink.delete_route(route, *indexes); rc != 0)
            HK_LOG_ERROR("%s: cannot remove route %s: %s", config_.name.c_str(), route.to_string().c_str(),
                         std::strerror(rc));
    }
}

void Instance::start() {
    link_ = io_.netlink.link(config_.interface);
    acquire_vmac();
    // A vrrpd killed while MASTER left its VIPs behind: remove them now; they
    // come back if this node becomes MASTER.
    if (!config_.virtual_ipaddress.empty() || !config_.virtual_ipaddress_excluded.empty()) {
        std::vector<VirtualAddress> stale;
        for (const VirtualAddress& vip : all_vips()) {
            const int index = device_index(vip);
            if (index != 0 && io_.netlink.has_address(index, vip.prefix.address)) stale.push_back(vip);
        }
        if (!stale.empty()) {
            HK_LOG_NOTICE("%s: removing %zu stale virtual address(es) left by a previous run",
                          config_.name.c_str(), stale.size());
            remove_vips(stale);
        }
    }
    // Routes and rules of a killed MASTER go too (only ours: proto 18).
    if (!config_.virtual_routes.empty() || !config_.virtual_rules.empty())
        remove_routes(config_.virtual_routes, config_.virtual_rules);
    links_changed();
    if (auto source = source_address()) machine_.set_local_address(*source);
    machine_.start(own_fault().has_value());
    fault_reason_ = own_fault().value_or("");
}

std::optional<std::string> Instance::own_fault(bool include_group) const {
    if (!link_) return "interface " + config_.interface + " is missing";
    if (!link_->up) return "interface " + config_.interface + " is down";
    if (!source_address())
        return std::string("interface ") + config_.interface + " has no " +
               (config_.family == Family::ipv4 ? "IPv4 address" : "IPv6 link-local address");
    if (config_.use_vmac && vmac_index_ == 0)
        return vmac_error_.empty() ? "VMAC " + config_.vmac_name + " is missing" : vmac_error_;
    if (tracking_.fault) return *tracking_.fault;
    if (include_group && group_fault_) return *group_fault_;
    return std::nullopt;
}

void Instance::links_changed() {
    link_ = io_.netlink.link(config_.interface);
    if (config_.use_vmac && vmac_parent_ != 0) {
        // Deleted by someone, or with its parent: make it again once the parent is back.
        auto vmac = io_.netlink.link(config_.vmac_name);
        vmac_index_ = vmac ? vmac->index : 0;
        if (!vmac && link_) acquire_vmac();
    } else if (config_.use_vmac && link_ && vmac_index_ == 0 && machine_.last_transition()) {
        acquire_vmac();
    }
    if (link_ && link_->up && !config_.unicast()) {
        VrrpSocket* socket = config_.family == Family::ipv4 ? io_.socket4 : io_.socket6;
        // Joining again after the interface came back is harmless (EADDRINUSE).
        if (socket) {
            const int rc = socket->join(link_->index);
            if (rc != 0 && rc != EADDRINUSE && !joined_)
                HK_LOG_WARNING("%s: cannot join the VRRP group on %s: %s", config_.name.c_str(),
                               config_.interface.c_str(), std::strerror(rc));
            joined_ = rc == 0 || rc == EADDRINUSE;
            if (socket && vmac_index_ != 0 && advert_index() == vmac_index_)
                if (int vmac_rc = socket->join(vmac_index_); vmac_rc != 0 && vmac_rc != EADDRINUSE)
                    HK_LOG_WARNING("%s: cannot join the VRRP group on %s: %s", config_.name.c_str(),
                                   config_.vmac_name.c_str(), std::strerror(vmac_rc));
        }
    }
    if (auto source = source_address()) machine_.set_local_address(*source);
    apply_faults();
}

void Instance::set_trackers(std::vector<TrackerState> trackers) {
    trackers_ = std::move(trackers);
    update_priority();
    apply_faults();
}

void Instance::update_priority() {
    tracking_ = evaluate_tracking(base_priority(), trackers_, !config_.sync_group.empty());
    machine_.set_priority(static_cast<std::uint8_t>(tracking_.priority));
}

void Instance::set_runtime_priority(std::optional<int> value) {
    if (value == config_.priority) value.reset();
    runtime_priority_ = value;
    const std::uint8_t before = machine_.priority();
    update_priority();
    if (machine_.priority() != before) machine_.advertise_now();
}

void Instance::set_group_fault(std::optional<std::string> reason) {
    group_fault_ = std::move(reason);
    apply_faults();
}

void Instance::apply_faults() {
    if (machine_.state() == State::init && !machine_.last_transition()) return;  // not started
    const auto fault = own_fault();
    if (fault) fault_reason_ = *fault;
    machine_.set_fault(fault.has_value(), fault ? *fault : "fault cleared: " + fault_reason_);
    if (!fault) fault_reason_.clear();
}

Expectation Instance::expectation() const {
    Expectation expected;
    expected.version = config_.version;
    expected.priority = static_cast<std::uint8_t>(config_.priority);
    expected.interval_centis = static_cast<std::uint16_t>(config_.advert_int_centis);
    expected.auth_type = config_.auth_type;
    expected.auth_data = pass_auth_data(config_.auth_pass);
    for (const VirtualAddress& vip : config_.virtual_ipaddress) expected.addresses.push_back(vip.prefix.address);
    expected.check_addresses = !config_.skip_check_adv_addr;
    return expected;
}

void Instance::count_drop(DropReason reason) {
    ++machine_.counters().drops[static_cast<std::size_t>(reason)];
}

bool Instance::ttl_allowed(const Address& source, std::optional<int> ttl) const {
    for (const UnicastPeer& peer : config_.unicast_peer_ttl) {
        if (peer.address != source) continue;
        if (!peer.min_ttl && !peer.max_ttl) return true;
        if (!ttl) return false;
        return (!peer.min_ttl || *ttl >= *peer.min_ttl) && (!peer.max_ttl || *ttl <= *peer.max_ttl);
    }
    return true;
}

void Instance::receive(const Received& received) {
    if (auto reason = check_advert(received.advert, expectation())) {
        count_drop(*reason);
        HK_LOG_DEBUG("%s: advert from %s dropped: %s", config_.name.c_str(),
                     received.source.to_string().c_str(), drop_reason_name(*reason));
        return;
    }
    machine_.advert_received(received.advert, received.source);
}

void Instance::send_advert(std::uint8_t priority) {
    auto source = source_address();
    VrrpSocket* socket = config_.family == Family::ipv4 ? io_.socket4 : io_.socket6;
    if (!source || !socket || ifindex() == 0) return;
    Advert advert;
    advert.version = config_.version;
    advert.family = config_.family;
    advert.vrid = static_cast<std::uint8_t>(config_.virtual_router_id);
    advert.priority = priority;
    advert.interval_centis = static_cast<std::uint16_t>(config_.advert_int_centis);
    for (const VirtualAddress& vip : config_.virtual_ipaddress) advert.addresses.push_back(vip.prefix.address);
    advert.auth_type = config_.auth_type;
    advert.auth_data = pass_auth_data(config_.auth_pass);
    std::vector<Address> destinations = config_.unicast_peer;
    if (destinations.empty()) destinations.push_back(vrrp_group(config_.family));
    for (const Address& destination : destinations) {
        // The pseudo-header names the actual destination (the peer in unicast).
        const auto message = build_advert(advert, *source, destination, config_.v3_checksum_as_v2);
        if (int rc = socket->send(advert_index(), *source, destination, message); rc != 0) {
            if (send_errors_++ == 0)
                HK_LOG_WARNING("%s: cannot send advert to %s: %s", config_.name.c_str(),
                               destination.to_string().c_str(), std::strerror(rc));
        }
    }
}

void Instance::add_vips(const std::vector<VirtualAddress>& vips) {
    for (const VirtualAddress& vip : vips) {
        const int index = device_index(vip);
        if (index == 0) {
            HK_LOG_WARNING("%s: no interface for %s", config_.name.c_str(), vip.to_string().c_str());
            continue;
        }
        if (int rc = io_.netlink.add_address(index, vip); rc != 0)
            HK_LOG_ERROR("%s: cannot add %s: %s", config_.name.c_str(), vip.to_string().c_str(),
                         std::strerror(rc));
    }
}

void Instance::remove_vips(const std::vector<VirtualAddress>& vips) {
    for (const VirtualAddress& vip : vips) {
        const int index = device_index(vip);
        if (index == 0) continue;
        if (int rc = io_.netlink.delete_address(index, vip); rc != 0)
            HK_LOG_ERROR("%s: cannot remove %s: %s", config_.name.c_str(), vip.to_string().c_str(),
                         std::strerror(rc));
    }
}

void Instance::take_over() {
    add_vips(all_vips());
    add_routes(config_.virtual_routes, config_.virtual_rules);
    send_garp_burst(config_.garp.master_repeat);
    // keepalived's vrrp_garp_master_delay: a second burst, for switches that
    // learnt the old port late.
    if (config_.garp.master_delay.count() > 0)
        garp_timers_.push_back(io_.loop.schedule(config_.garp.master_delay, [this] {
            if (machine_.state() == State::master) send_garp_burst(config_.garp.master_repeat);
        }));
    schedule_garp_refresh();
}

void Instance::schedule_garp_refresh() {
    if (config_.garp.master_refresh.count() <= 0) return;
    garp_timers_.push_back(io_.loop.schedule(config_.garp.master_refresh, [this] {
        if (machine_.state() != State::master) return;
        send_garp_burst(config_.garp.master_refresh_repeat);
        schedule_garp_refresh();
    }));
}

void Instance::give_up() {
    cancel_garp();
    remove_routes(config_.virtual_routes, config_.virtual_rules);
    remove_vips(all_vips());
}

void Instance::cancel_garp() {
    for (EventLoop::TimerId id : garp_timers_) io_.loop.cancel(id);
    garp_timers_.clear();
}

void Instance::send_garp_burst(int repeat) {
    if (!io_.packet) return;
    struct Frame {
        int index;
        Mac destination;
        std::vector<std::uint8_t> bytes;
        bool arp;
    };
    auto frames = std::make_shared<std::vector<Frame>>();
    for (int round = 0; round < repeat; ++round)
        for (const VirtualAddress& vip : all_vips()) {
            const int index = device_index(vip);
            std::optional<LinkInfo> device = index == ifindex() ? link_ : io_.netlink.link(io_.netlink.link_name(index));
            if (index == 0 || !device) continue;
            // A VMAC has no link-local address of its own: the NA names the interface's.
            if (!device->ipv6_link_local && link_) device->ipv6_link_local = link_->ipv6_link_local;
            if (vip.prefix.address.family == Family::ipv4)
                frames->push_back({index, broadcast_mac, build_gratuitous_arp(device->mac, vip.prefix.address), true});
            else if (device->ipv6_link_local)
                frames->push_back({index, all_nodes_mac,
                                   build_unsolicited_na(device->mac, *device->ipv6_link_local, vip.prefix.address),
                                   false});
        }
    // vrrp_garp_interval / vrrp_gna_interval space the frames; zero sends them at once.
    auto send_from = std::make_shared<std::function<void(std::size_t)>>();
    *send_from = [this, frames, weak = std::weak_ptr(send_from)](std::size_t next) {
        for (; next < frames->size(); ++next) {
            const Frame& frame = (*frames)[next];
            if (io_.packet->send(frame.index, frame.destination, frame.bytes) == 0) ++garp_sent_;
            const Duration gap = frame.arp ? Duration(config_.garp.garp_interval) : Duration(config_.garp.gna_interval);
            if (gap.count() > 0 && next + 1 < frames->size()) {
                auto self = weak.lock();
                garp_timers_.push_back(io_.loop.schedule(gap, [self, next] { (*self)(next + 1); }));
                return;
            }
        }
    };
    (*send_from)(0);
}

void Instance::state_changed(State from, State to, const std::string&) {
    if (sink_) sink_(*this, from, to);
}

void Instance::reconfigure(VrrpInstanceConfig config) {
    const int old_priority = config_.priority;
    if (machine_.state() == State::master) {
        // Diff the VIPs: only what changed is touched, nothing flaps.
        std::vector<VirtualAddress> old_vips = all_vips();
        VrrpInstanceConfig old = std::move(config_);
        config_ = std::move(config);
        std::vector<VirtualAddress> new_vips = all_vips();
        std::vector<VirtualAddress> removed, added;
        for (const VirtualAddress& vip : old_vips)
            if (std::find(new_vips.begin(), new_vips.end(), vip) == new_vips.end()) removed.push_back(vip);
        for (const VirtualAddress& vip : new_vips)
            if (std::find(old_vips.begin(), old_vips.end(), vip) == old_vips.end()) added.push_back(vip);
        // Routes and rules likewise: rules before routes before VIPs on the way out.
        std::vector<VirtualRoute> routes_out, routes_in;
        std::vector<VirtualRule> rules_out, rules_in;
        for (const VirtualRoute& route : old.virtual_routes)
            if (std::find(config_.virtual_routes.begin(), config_.virtual_routes.end(), route) == config_.virtual_routes.end())
                routes_out.push_back(route);
        for (const VirtualRoute& route : config_.virtual_routes)
            if (std::find(old.virtual_routes.begin(), old.virtual_routes.end(), route) == old.virtual_routes.end())
                routes_in.push_back(route);
        for (const VirtualRule& rule : old.virtual_rules)
            if (std::find(config_.virtual_rules.begin(), config_.virtual_rules.end(), rule) == config_.virtual_rules.end())
                rules_out.push_back(rule);
        for (const VirtualRule& rule : config_.virtual_rules)
            if (std::find(old.virtual_rules.begin(), old.virtual_rules.end(), rule) == old.virtual_rules.end())
                rules_in.push_back(rule);
        remove_routes(routes_out, rules_out);
        remove_vips(removed);
        add_vips(added);
        add_routes(routes_in, rules_in);
    } else {
        config_ = std::move(config);
    }
    // Reloads change only what changed: a new `priority` in vrrpd.conf wins
    // over the runtime one, the same `priority` keeps it.
    if (runtime_priority_ && config_.priority != old_priority) {
        HK_LOG_NOTICE("%s: priority in vrrpd.conf changed %d -> %d: the priority set at runtime (%d) no longer applies",
                      config_.name.c_str(), old_priority, config_.priority, *runtime_priority_);
        runtime_priority_.reset();
    }
    machine_.reconfigure(election_config(config_));
    update_priority();
    links_changed();
}

proto::VrrpInstanceStatus Instance::status() const {
    proto::VrrpInstanceStatus out;
    out.set_name(config_.name);
    out.set_state(state_name(machine_.state()));
    out.set_priority(static_cast<std::uint32_t>(config_.priority));
    out.set_effective_priority(machine_.priority());
    if (runtime_priority_) out.set_runtime_priority(static_cast<std::uint32_t>(*runtime_priority_));
    out.set_vrid(static_cast<std::uint32_t>(config_.virtual_router_id));
    out.set_interface(config_.interface);
    out.set_version(static_cast<std::uint32_t>(config_.version));
    out.set_family(config_.family == Family::ipv4 ? "inet" : "inet6");
    for (const VirtualAddress& vip : config_.virtual_ipaddress) out.add_vips(vip.prefix.to_string());
    for (const VirtualAddress& vip : config_.virtual_ipaddress_excluded)
        out.add_excluded_vips(vip.prefix.to_string());
    if (machine_.master_address()) out.set_master_address(machine_.master_address()->to_string());
    out.set_advert_int_centis(static_cast<std::uint32_t>(config_.advert_int_centis));
    out.set_master_adver_int_centis(machine_.timers().master_adver_interval_centis);
    out.set_unicast(config_.unicast());
    out.set_sync_group(config_.sync_group);
    const Counters& counters = machine_.counters();
    out.set_adverts_sent(counters.adverts_sent);
    out.set_adverts_received(counters.adverts_received);
    out.set_priority_zero_sent(counters.priority_zero_sent);
    out.set_priority_zero_received(counters.priority_zero_received);
    out.set_became_master(counters.became_master);
    out.set_released_master(counters.released_master);
    out.set_transitions(counters.transitions);
    for (std::size_t index = 0; index < counters.drops.size(); ++index) {
        proto::VrrpDrop& drop = *out.add_drops();
        drop.set_reason(drop_reason_name(static_cast<DropReason>(index)));
        drop.set_count(counters.drops[index]);
    }
    if (auto when = machine_.last_transition()) {
        const auto ago = std::chrono::duration_cast<std::chrono::milliseconds>(io_.loop.now() - *when);
        out.set_last_transition_unix_ms(static_cast<std::uint64_t>(unix_time_ms() - ago.count()));
    }
    out.set_last_transition_reason(machine_.last_reason());
    if (machine_.state() == State::fault) out.set_fault_reason(fault_reason_);
    for (const TrackerState& tracker : trackers_) {
        std::string text = tracker.label + " weight " + std::to_string(tracker.weight) +
                           (tracker.reverse ? " reverse" : "") + ": ";
        text += tracker.is_file ? std::to_string(tracker.value.value_or(0)) : tracker.up ? "UP" : "DOWN";
        out.add_trackers(text);
    }
    for (std::size_t index = 0; index < trackers_.size(); ++index) {
        const TrackerState& tracker = trackers_[index];
        proto::VrrpTracker& detail = *out.add_tracker_details();
        const std::size_t space = tracker.label.find(' ');
        detail.set_kind(tracker.label.substr(0, space));
        detail.set_name(space == std::string::npos ? "" : tracker.label.substr(space + 1));
        detail.set_weight(tracker.weight);
        detail.set_reverse(tracker.reverse);
        detail.set_up(tracker.up);
        detail.set_has_value(tracker.value.has_value());
        detail.set_value(tracker.value.value_or(0));
        if (index < tracking_.effects.size()) {
            detail.set_contribution(tracking_.effects[index].contribution);
            detail.set_faults(tracking_.effects[index].faults);
        }
    }
    if (auto priority = machine_.master_priority()) out.set_master_priority(*priority);
    out.set_preempt(config_.preempt);
    out.set_preempt_delay_ms(static_cast<std::uint32_t>(config_.preempt_delay.count()));
    out.set_configured_state(config_.state == InitialState::master ? "MASTER" : "BACKUP");
    out.set_weights_ignored(!config_.sync_group.empty());
    if (group_fault_ && !own_fault(false)) out.set_group_fault(*group_fault_);
    return out;
}

}  // namespace hakeep::vrrpd
