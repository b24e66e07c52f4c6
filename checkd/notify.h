// Notify scripts (DESIGN.md §2): vrrpd tells checkd of each VRRP transition
// (VrrpEvent); checkd runs keepalived's notify_master, notify_backup,
// notify_fault, notify_stop and notify for it. The scripts never come from
// the message: checkd reads them from vrrpd's own configuration file
// (global_defs vrrpd_config), read-only, at start and on reload, so that a
// compromised vrrpd cannot choose what checkd execs. Pure parts only here.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/proto/hakeep.pb.h"

namespace hakeep::checkd {

using Command = std::vector<std::string>;  // argv, command[0] an absolute path

struct NotifyScripts {
    Command master, backup, fault, stop, notify;
    Command master_rx_lower_pri;  // read, not run yet (vrrpd does not report it)
    bool empty() const {
        return master.empty() && backup.empty() && fault.empty() && stop.empty() && notify.empty();
    }
};

struct VrrpNotifyConfig {
    bool found = false;  // false: the file does not exist (no scripts)
    std::map<std::string, NotifyScripts> instances;  // vrrp_instance NAME
    std::map<std::string, NotifyScripts> groups;     // vrrp_sync_group NAME
};

// Extracts the notify scripts of every vrrp_instance and vrrp_sync_group of a
// vrrpd.conf; every other keyword is accepted and ignored (vrrpd checks them).
VrrpNotifyConfig parse_vrrp_notify(const config::ParsedConfig& parsed);
// A missing file gives an empty config with found = false; an unreadable or
// invalid one throws ConfigError.
VrrpNotifyConfig load_vrrp_notify(const std::string& path, config::FileSource& files);

// What to run for `event`, in order: the state's own script (no extra
// arguments), then `notify TYPE NAME STATE PRIORITY` as keepalived passes
// them. A group's scripts when the event names a group that has some, else
// the instance's. Nothing for INIT or an unknown name.
std::vector<Command> notify_commands(const VrrpNotifyConfig& config, const proto::VrrpEvent& event);

// "MASTER", "BACKUP", "FAULT", "STOP", "INIT".
const char* notify_state_name(proto::VrrpState state);

// The key under which checkd remembers the last state it notified for, so that
// an event resent on reconnect does not run the scripts again.
std::string notify_key(const VrrpNotifyConfig& config, const proto::VrrpEvent& event);

}  // namespace hakeep::checkd
