#include "vrrpd/vrrpd.h"

#include <fcntl.h>

#include <fstream>

#include "common/check_feed.h"
#include "common/log.h"
#include "vrrpd/runtime_priority.h"

namespace hakeep::vrrpd {
namespace {

constexpr Duration tick_interval = std::chrono::seconds(1);  // track_file poll, staleness
constexpr int max_packets_per_wake = 256;

proto::VrrpState to_proto(State state) {
    switch (state) {
    case State::init: return proto::VRRP_STATE_STOP;
    case State::backup: return proto::VRRP_STATE_BACKUP;
    case State::master: return proto::VRRP_STATE_MASTER;
    case State::fault: return proto::VRRP_STATE_FAULT;
    }
    return proto::VRRP_STATE_INIT;
}

std::optional<long long> read_track_file(const std::string& path) {
    std::ifstream file(path);
    long long value = 0;
    if (!(file >> value)) return std::nullopt;
    return value;
}

// A VMAC added, removed or renamed by a reload makes a new instance: the old
// one gives up (its VMAC goes), the new one starts with its own.
bool same_vmac(const VrrpInstanceConfig& a, const VrrpInstanceConfig& b) {
    return a.use_vmac == b.use_vmac && a.vmac_name == b.vmac_name;
}

}  // namespace

const DaemonSpec& vrrpd_spec() {
    static const DaemonSpec spec{"vrrpd", proto::DAEMON_VRRPD, "hakeep-vrrp",
                                 {CAP_NET_ADMIN, CAP_NET_RAW}, &vrrpd_syscalls()};
    return spec;
}

Vrrpd::Vrrpd() = default;
Vrrpd::~Vrrpd() { instances_.clear(); }

void Vrrpd::load_config(const std::string& path) {
    config::DiskFileSource files;
    config_ = load_vrrpd_config(path, files);  // assigned only if it parsed
}

void Vrrpd::open_privileged(DaemonContext& context) {
    netlink_ = std::make_unique<Netlink>();
    socket4_ = std::make_unique<VrrpSocket>(Family::ipv4);
    try {
        socket6_ = std::make_unique<VrrpSocket>(Family::ipv6);
    } catch (const std::exception& error) {
        HK_LOG_WARNING("no IPv6: %s", error.what());
    }
    packet_ = std::make_unique<PacketSocket>();
    // use_vmac may need net.ipv4.conf.all.rp_filter lowered (vmac.h): the one
    // /proc/sys file vrrpd writes, opened now so that the sandbox allows no
    // file writes at all.
    UniqueFd all_rp_filter(open("/proc/sys/net/ipv4/conf/all/rp_filter", O_RDWR | O_CLOEXEC));
    // A read-only /proc/sys (systemd's ProtectKernelTunables): still read it,
    // so that a VMAC that needs it lowered says so.
    if (!all_rp_filter) all_rp_filter.reset(open("/proc/sys/net/ipv4/conf/all/rp_filter", O_RDONLY | O_CLOEXEC));
    vmacs_ = std::make_unique<Vmacs>(*netlink_, std::move(all_rp_filter));
    io_ = std::make_unique<Io>(Io{context.loop, *netlink_, socket4_.get(), socket6_.get(), packet_.get(), vmacs_.get()});
}

std::set<Address> Vrrpd::all_vip_addresses() const {
    std::set<Address> addresses;
    for (const VrrpInstanceConfig& instance : config_.instances) {
        for (const VirtualAddress& vip : instance.virtual_ipaddress) addresses.insert(vip.prefix.address);
        for (const VirtualAddress& vip : instance.virtual_ipaddress_excluded)
            addresses.insert(vip.prefix.address);
    }
    return addresses;
}

std::unique_ptr<Instance> Vrrpd::make_instance(const VrrpInstanceConfig& config) {
    return std::make_unique<Instance>(*io_, config, [this](Instance& instance, State from, State to) {
        on_transition(instance, from, to);
    });
}

void Vrrpd::start(DaemonContext& context) {
    loop_ = &context.loop;
    server_ = &context.server;
    feed_check_states(context.server, context.loop, checks_, [this](const std::vector<CheckChange>& changes) {
        for (const CheckChange& change : changes)
            HK_LOG_INFO("%s", describe(change, "gone").c_str());
        update_trackers();
    });
    context.server.handle(ipc::Body::kQuorumEvent, [](ipc::Connection&, const proto::Envelope& envelope) {
        HK_LOG_NOTICE("virtual server %s quorum %s", envelope.quorum_event().virtual_server().c_str(),
                      envelope.quorum_event().up() ? "UP" : "DOWN");
    });
    context.server.handle(ipc::Body::kVrrpRequest, [this](ipc::Connection& from, const proto::Envelope&) {
        proto::Envelope reply;
        *reply.mutable_vrrp_reply() = vrrp_reply();
        from.send(reply);
    });
    context.server.handle(ipc::Body::kResign, [this](ipc::Connection& from, const proto::Envelope& envelope) {
        proto::Envelope reply;
        proto::CommandReply& outcome = *reply.mutable_command_reply();
        const std::string& name = envelope.resign().instance();
        Instance* found = instance_named(name);
        if (!found) {
            outcome.set_ok(false);
            outcome.set_message("vrrpd: no vrrp_instance '" + name + "'");
        } else if (found->machine().state() != State::master) {
            outcome.set_ok(false);
            outcome.set_message("vrrpd: " + name + " is " + state_name(found->machine().state()) +
                                ", not MASTER: nothing to resign");
        } else {
            found->resign("resigned by hactl");
            outcome.set_ok(true);
            const std::size_t vips = found->config().virtual_ipaddress.size();
            outcome.set_message("vrrpd: " + name + " resigned: MASTER -> " + state_name(found->machine().state()) +
                                ", priority-0 advert sent, " + std::to_string(vips) +
                                " VIP(s) released; a backup takes over");
            outcome.add_changes(name + ": MASTER -> " + std::string(state_name(found->machine().state())));
        }
        from.send(reply);
    });
    context.server.handle(ipc::Body::kSetPriority, [this](ipc::Connection& from, const proto::Envelope& envelope) {
        proto::Envelope reply;
        *reply.mutable_command_reply() = set_priority(envelope.set_priority());
        from.send(reply);
    });
    checkd_ = &context.add_peer("checkd");
    ipvsd_ = &context.add_peer("ipvsd");
    // Both peers get every instance's current state on every (re)connect:
    // ipvsd's sync daemon follows it, and a restarted checkd learns what its
    // notify scripts missed (it runs them for these events as for any other).
    auto resend = [this](ipc::PeerLink& peer) {
        for (const auto& instance : instances_)
            if (instance->machine().state() != State::init)
                peer.send(event_of(*instance, instance->machine().state()));
    };
    checkd_->on_connect(resend);
    ipvsd_->on_connect(resend);

    if (socket4_) context.loop.watch(socket4_->fd(), EPOLLIN, [this](std::uint32_t) { on_readable(*socket4_); });
    if (socket6_) context.loop.watch(socket6_->fd(), EPOLLIN, [this](std::uint32_t) { on_readable(*socket6_); });
    netlink_->watch(context.loop, [this] { refresh_links(); });
    netlink_->refresh(all_vip_addresses());

    for (const VrrpInstanceConfig& config : config_.instances) instances_.push_back(make_instance(config));
    update_trackers();
    for (auto& instance : instances_) instance->start();
    update_group_faults();
    context.loop.schedule(tick_interval, [this] { tick(); });
}

void Vrrpd::tick() {
    update_trackers();
    loop_->schedule(tick_interval, [this] { tick(); });
}

void Vrrpd::refresh_links() {
    netlink_->refresh(all_vip_addresses());
    for (auto& instance : instances_) instance->links_changed();
    update_trackers();
}

void Vrrpd::update_trackers() {
    const bool stale = checks_.stale(loop_->now(), config_.global.peer_stale_timeout);
    for (auto& instance : instances_) {
        const VrrpInstanceConfig& config = instance->config();
        std::vector<TrackerState> trackers;
        for (const TrackedScript& script : config.track_script) {
            const CheckStatus* status = checks_.find(script.name);
            // Never reported, or checkd gone longer than peer_stale_timeout: failed.
            const bool up = status && status->up && !stale;
            trackers.push_back({"track_script " + script.name, script.weight, script.reverse, up, std::nullopt, false});
        }
        for (const TrackedInterface& tracked : config.track_interface) {
            auto link = netlink_->link(tracked.name);
            trackers.push_back({"track_interface " + tracked.name, tracked.weight, tracked.reverse,
                                link && link->up, std::nullopt, false});
        }
        for (const TrackedFile& file : config.track_file) {
            const auto value = read_track_file(file.path);
            auto& last = file_values_[file.path];
            if (value != last)
                HK_LOG_INFO("track_file %s: %s", file.path.c_str(),
                            value ? std::to_string(*value).c_str() : "unreadable (counts as 0)");
            last = value;
            trackers.push_back({"track_file " + file.name, file.weight, file.reverse, false, value, true});
        }
        instance->set_trackers(std::move(trackers));
    }
    update_group_faults();
}

void Vrrpd::update_group_faults() {
    for (const VrrpSyncGroupConfig& group : config_.sync_groups) {
        std::optional<std::string> fault;
        for (auto& instance : instances_)
            if (instance->config().sync_group == group.name)
                if (auto reason = instance->own_fault(false); reason && !fault)
                    fault = "sync group " + group.name + ": " + instance->config().name + " in FAULT (" + *reason + ")";
        for (auto& instance : instances_)
            if (instance->config().sync_group == group.name) {
                // The faulty member keeps its own reason; the others take the group's.
                if (instance->own_fault(false)) instance->set_group_fault(std::nullopt);
                else instance->set_group_fault(fault);
            }
    }
}

Instance* Vrrpd::instance_named(const std::string& name) {
    for (auto& instance : instances_)
        if (instance->config().name == name) return instance.get();
    return nullptr;
}

proto::CommandReply Vrrpd::set_priority(const proto::SetPriority& request) {
    proto::CommandReply outcome;
    const std::string& name = request.instance();
    Instance* found = instance_named(name);
    if (!found) {
        outcome.set_message("vrrpd: no vrrp_instance '" + name + "' (hactl vrrp lists them)");
        return outcome;
    }
    const int configured = found->config().priority;
    if (auto refusal = refuse_runtime_priority(name, configured, request.value())) {
        outcome.set_message("vrrpd: " + *refusal);
        return outcome;
    }
    const int before = found->base_priority();
    const int value = static_cast<int>(request.value());
    outcome.set_ok(true);
    if (value == before) {
        outcome.set_message("vrrpd: " + name + " has priority " + std::to_string(value) + " already" +
                            (found->runtime_priority() ? " (set at runtime)" : "") + ": nothing changed");
        return outcome;
    }
    found->set_runtime_priority(value);
    HK_LOG_NOTICE("%s: priority %d -> %d set by hactl (configured %d), effective %u", name.c_str(), before, value,
                  configured, found->machine().priority());
    const std::string now = "effective " + std::to_string(found->machine().priority()) + ", " +
                            state_name(found->machine().state());
    if (found->runtime_priority())
        outcome.set_message("vrrpd: " + name + " priority " + std::to_string(before) + " -> " + std::to_string(value) +
                            " (" + now + "); runtime only: a restart, or a reload that changes its priority in " +
                            "vrrpd.conf, returns to " + std::to_string(configured));
    else
        outcome.set_message("vrrpd: " + name + " priority " + std::to_string(before) + " -> " + std::to_string(value) +
                            ", its configured priority again (" + now + ")");
    outcome.add_changes(name + ": priority " + std::to_string(before) + " -> " + std::to_string(value));
    return outcome;
}

Instance* Vrrpd::find_instance(int ifindex, Family family, std::uint8_t vrid) {
    for (auto& instance : instances_) {
        const VrrpInstanceConfig& config = instance->config();
        if (config.family == family && config.virtual_router_id == vrid && instance->receives_on(ifindex))
            return instance.get();
    }
    return nullptr;
}

void Vrrpd::on_readable(VrrpSocket& socket) {
    for (int count = 0; count < max_packets_per_wake; ++count) {
        auto raw = socket.receive();
        if (!raw) return;
        Datagram datagram;
        if (socket.family() == Family::ipv4) {
            auto split = split_ipv4(raw->bytes);
            if (auto* failure = std::get_if<ParseFailure>(&split)) {
                ++unassigned_drops_[static_cast<std::size_t>(failure->reason)];
                continue;
            }
            datagram = std::get<Datagram>(split);
        } else {
            datagram = Datagram{raw->bytes, raw->source, raw->destination, raw->hop_limit};
        }
        // keepalived skips the TTL check in unicast; multicast must be 255.
        const bool multicast = datagram.destination.is_multicast();
        auto parsed = parse_advert(datagram, multicast);
        if (auto* failure = std::get_if<ParseFailure>(&parsed)) {
            Instance* owner = failure->vrid ? find_instance(raw->ifindex, socket.family(), *failure->vrid) : nullptr;
            if (owner) owner->count_drop(failure->reason);
            else ++unassigned_drops_[static_cast<std::size_t>(failure->reason)];
            continue;
        }
        const Received& received = std::get<Received>(parsed);
        Instance* instance = find_instance(raw->ifindex, socket.family(), received.advert.vrid);
        if (!instance) {
            ++unassigned_drops_[static_cast<std::size_t>(DropReason::vrid_unknown)];
            continue;
        }
        if (instance->source_address() == received.source) continue;  // our own, looped back
        // keepalived's unicast_peer { ADDRESS min_ttl N max_ttl N }: a TTL guard for unicast.
        if (!multicast && !instance->ttl_allowed(received.source, datagram.ttl)) {
            instance->count_drop(DropReason::ttl);
            continue;
        }
        instance->receive(received);
    }
}

proto::Envelope Vrrpd::event_of(const Instance& instance, State state) {
    proto::Envelope envelope;
    proto::VrrpEvent& event = *envelope.mutable_vrrp_event();
    event.set_instance(instance.config().name);
    event.set_group(instance.config().sync_group);
    event.set_state(to_proto(state));
    event.set_priority(instance.machine().priority());
    return envelope;
}

void Vrrpd::send_event(const Instance& instance, State state) {
    const proto::Envelope envelope = event_of(instance, state);
    if (checkd_) checkd_->send(envelope);
    if (ipvsd_) ipvsd_->send(envelope);
}

void Vrrpd::on_transition(Instance& instance, State, State to) {
    send_event(instance, to);
    // vrrp_sync_group: the members move together.
    if (following_group_ || stopping_ || instance.config().sync_group.empty()) return;
    if (to != State::master && to != State::backup) {
        update_group_faults();
        return;
    }
    following_group_ = true;
    for (auto& other : instances_)
        if (other.get() != &instance && other->config().sync_group == instance.config().sync_group)
            other->machine().follow_group(to, "sync group " + instance.config().sync_group + ": " +
                                                  instance.config().name + " is " + state_name(to));
    following_group_ = false;
    update_group_faults();
}

void Vrrpd::config_reloaded(DaemonContext&) {
    netlink_->refresh(all_vip_addresses());
    std::vector<std::unique_ptr<Instance>> kept;
    std::vector<std::unique_ptr<Instance>> removed;
    std::vector<bool> matched(config_.instances.size(), false);
    for (auto& instance : instances_) {
        bool found = false;
        for (std::size_t index = 0; index < config_.instances.size(); ++index)
            if (!matched[index] && config_.instances[index].same_identity(instance->config()) &&
                same_vmac(config_.instances[index], instance->config())) {
                matched[index] = true;
                found = true;
                if (instance->config().name != config_.instances[index].name)
                    HK_LOG_NOTICE("%s is now called %s", instance->config().name.c_str(),
                                  config_.instances[index].name.c_str());
                instance->reconfigure(config_.instances[index]);
                kept.push_back(std::move(instance));
                break;
            }
        if (!found) removed.push_back(std::move(instance));
    }
    for (auto& instance : removed) {
        instance->stop("removed from the configuration");
        instance->release();
        HK_LOG_NOTICE("%s: removed", instance->config().name.c_str());
    }
    removed.clear();
    std::vector<Instance*> added;
    for (std::size_t index = 0; index < config_.instances.size(); ++index)
        if (!matched[index]) {
            kept.push_back(make_instance(config_.instances[index]));
            added.push_back(kept.back().get());
        }
    instances_ = std::move(kept);
    // Keep the configuration's order for hactl.
    std::sort(instances_.begin(), instances_.end(), [this](const auto& a, const auto& b) {
        auto position = [this](const std::string& name) {
            for (std::size_t index = 0; index < config_.instances.size(); ++index)
                if (config_.instances[index].name == name) return index;
            return config_.instances.size();
        };
        return position(a->config().name) < position(b->config().name);
    });
    update_trackers();
    for (Instance* instance : added) instance->start();
    update_group_faults();
}

void Vrrpd::stop(DaemonContext&) {
    stopping_ = true;
    for (auto& instance : instances_) instance->stop("stopping");
    for (auto& instance : instances_) instance->release();
}

proto::VrrpReply Vrrpd::vrrp_reply() const {
    proto::VrrpReply reply;
    for (const auto& instance : instances_) {
        proto::VrrpInstanceStatus& status = *reply.add_instances() = instance->status();
        for (const VrrpSyncGroupConfig& group : config_.sync_groups)
            if (group.name == instance->config().sync_group)
                for (const std::string& member : group.members) status.add_sync_group_members(member);
    }
    for (std::size_t index = 0; index < unassigned_drops_.size(); ++index) {
        proto::VrrpDrop& drop = *reply.add_unassigned_drops();
        drop.set_reason(drop_reason_name(static_cast<DropReason>(index)));
        drop.set_count(unassigned_drops_[index]);
    }
    reply.set_checkd_connected(checks_.peer_present());
    if (loop_) reply.set_checks_stale(checks_.stale(loop_->now(), config_.global.peer_stale_timeout));
    return reply;
}

// hactl status: "VI_1:150,VI_2:90" for the instances whose priority hactl
// set-priority changed; a reload that drops one reports it gone.
std::string Vrrpd::runtime_priorities() const {
    std::string text;
    for (const auto& instance : instances_)
        if (auto priority = instance->runtime_priority())
            text += (text.empty() ? "" : ",") + instance->config().name + ":" + std::to_string(*priority);
    return text;
}

void Vrrpd::fill_status(proto::StatusReply& reply) const {
    auto& summary = *reply.mutable_config_summary();
    summary["instances"] = std::to_string(config_.instances.size());
    summary["sync_groups"] = std::to_string(config_.sync_groups.size());
    auto& counters = *reply.mutable_counters();
    counters["checks_known"] = std::to_string(checks_.size());
    int masters = 0;
    for (const auto& instance : instances_) masters += instance->machine().state() == State::master;
    counters["master"] = std::to_string(masters);
    // A priority set with hactl set-priority overrides the file's: it is part
    // of the configuration in force, so a reload that drops it says so.
    if (auto runtime = runtime_priorities(); !runtime.empty()) summary["runtime_priority"] = runtime;
}

}  // namespace hakeep::vrrpd
