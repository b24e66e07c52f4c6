// vrrpd as a hakeep daemon: its instances, their sockets, their trackers
// (checkd's checks, interfaces, files), its peers (checkd runs the notify
// scripts, ipvsd follows for the sync daemon) and its control messages
// (hactl vrrp, hactl resign, hactl set-priority, reload).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "common/check_states.h"
#include "common/daemon.h"
#include "vrrpd/config.h"
#include "vrrpd/instance.h"
#include "vrrpd/netlink.h"
#include "vrrpd/sockets.h"

namespace hakeep::vrrpd {

const sandbox::AllowList& vrrpd_syscalls();
const DaemonSpec& vrrpd_spec();

class Vrrpd final : public Daemon {
public:
    Vrrpd();
    ~Vrrpd() override;
    void load_config(const std::string& path) override;
    ipc::RoleAccountNames account_names() const override { return config_.global.accounts; }
    void open_privileged(DaemonContext& context) override;
    void start(DaemonContext& context) override;
    void config_reloaded(DaemonContext& context) override;
    void stop(DaemonContext& context) override;
    void fill_status(proto::StatusReply& reply) const override;

    const VrrpdConfig& config() const { return config_; }
    proto::VrrpReply vrrp_reply() const;

private:
    std::unique_ptr<Instance> make_instance(const VrrpInstanceConfig& config);
    void on_readable(VrrpSocket& socket);
    Instance* find_instance(int ifindex, Family family, std::uint8_t vrid);
    Instance* instance_named(const std::string& name);
    proto::CommandReply set_priority(const proto::SetPriority& request);
    std::string runtime_priorities() const;
    void refresh_links();
    void update_trackers();
    void update_group_faults();
    void on_transition(Instance& instance, State from, State to);
    void send_event(const Instance& instance, State state);
    static proto::Envelope event_of(const Instance& instance, State state);
    std::set<Address> all_vip_addresses() const;
    void tick();

    CheckStates checks_;
    VrrpdConfig config_;
    std::unique_ptr<Netlink> netlink_;
    std::unique_ptr<VrrpSocket> socket4_;
    std::unique_ptr<VrrpSocket> socket6_;
    std::unique_ptr<PacketSocket> packet_;
    std::unique_ptr<Vmacs> vmacs_;
    std::unique_ptr<Io> io_;
    std::vector<std::unique_ptr<Instance>> instances_;
    std::array<std::uint64_t, static_cast<std::size_t>(DropReason::count)> unassigned_drops_{};
    EventLoop* loop_ = nullptr;
    ipc::Server* server_ = nullptr;
    ipc::PeerLink* checkd_ = nullptr;
    ipc::PeerLink* ipvsd_ = nullptr;
    std::map<std::string, std::optional<long long>> file_values_;
    bool following_group_ = false;
    bool stopping_ = false;
};

}  // namespace hakeep::vrrpd
