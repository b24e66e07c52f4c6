// Desired state = ipvsd.conf + check states + drains (DESIGN.md §2): the
// table ipvsd wants in the kernel, each real server's health as ipvsd sees
// it, and each virtual server's quorum. Pure.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/check_states.h"
#include "ipvsd/config.h"
#include "ipvsd/ipvs_table.h"

namespace hakeep::ipvsd {

enum class Health { up, down, unknown };
const char* health_name(Health health);  // "UP", "DOWN", "UNKNOWN"

// "VS RS" pairs as hactl names them: ("192.0.2.100:80", "203.0.113.11:8080").
using Drains = std::set<std::pair<std::string, std::string>>;

// Points into the IpvsdConfig it was computed from: recompute it when the
// configuration is replaced. At 37,000 real servers, labels made for every
// one on every reconciliation cost more than the reconciliation itself.
struct RealServerView {
    std::uint32_t virtual_server = 0;          // index in DesiredState::virtual_servers
    const RealServerConfig* config = nullptr;  // the real server, or the sorry server
    Health health = Health::unknown;
    bool healthy = false;        // health after `alpha` decided unknown
    bool drained = false;
    bool sorry = false;          // the sorry server
    int configured_weight = 0;
    std::optional<int> desired_weight;  // absent: not in the kernel
    std::string reason;          // the check's last reason
    std::string label() const { return config->label(); }  // "203.0.113.11:8080"
    const std::string& track_check() const { return config->track_check; }
};

struct VirtualServerView {
    std::string label;
    std::vector<ServiceKey> services;  // a group expands to several
    bool quorum_up = true;
    int live_weight = 0;
};

struct DesiredState {
    Table table;
    std::vector<VirtualServerView> virtual_servers;
    std::vector<RealServerView> real_servers;
};

// `previous_quorum` (by label) carries the hysteresis across computations.
// `hold_unknown` (a restarted ipvsd before checkd's first snapshot): a real
// server whose check state is unknown keeps what this table, the kernel's,
// has for it: present with its settings and weight, or absent. Without it,
// unknown counts as up (unless `alpha`).
DesiredState compute_desired(const IpvsdConfig& config, const CheckStates& checks,
                             const Drains& drains,
                             const std::map<std::string, bool>& previous_quorum,
                             const Table* hold_unknown = nullptr);

// The service keys a virtual_server (or its group) stands for. With
// `places`, where each comes from: the virtual_server, or its group's entry.
std::vector<ServiceKey> service_keys(const VirtualServerConfig& server, const IpvsdConfig& config,
                                     std::vector<const config::SourceLocation*>* places = nullptr);

}  // namespace hakeep::ipvsd
