// The start-up order of every daemon (DESIGN.md §1), in one function:
//   1. parse and validate the configuration (FILE:LINE:COL: message, exit 2)
//   2. open what needs privilege, create the control socket
//   3. drop to the account, keep only the daemon's capabilities
//   4. no_new_privs, the daemon's seccomp allow-list
//   5. run the event loop (HUP reload, TERM/INT stop)
// Each daemon supplies a DaemonSpec (who it is, what it keeps) and a Daemon
// (its configuration and behaviour).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/command_line.h"
#include "common/event_loop.h"
#include "common/ipc_client.h"
#include "common/ipc_server.h"
#include "common/proto/hakeep.pb.h"
#include "common/roles.h"
#include "common/sandbox.h"

namespace hakeep {

struct DaemonSpec {
    std::string name;                       // "vrrpd": socket NAME.sock, config NAME.conf
    proto::Daemon id;
    std::string default_user;               // "hakeep-vrrp"
    std::vector<cap_value_t> capabilities;  // kept for life
    const sandbox::AllowList* syscalls;     // the daemon's own, beside runtime_syscalls()
};

struct DaemonContext;

// What a reload changed in the daemon's configuration summary (fill_status),
// "instances 2 -> 1" per key that moved; and hactl reload's one line from it.
// The counters are not looked at: they move on their own.
std::vector<std::string> summary_changes(const proto::StatusReply& before, const proto::StatusReply& after);
std::string reload_message(const std::string& daemon, const std::string& config_file,
                           const std::vector<std::string>& changes);

class Daemon {
public:
    virtual ~Daemon() = default;
    // Parses and validates `path`; adopts it only if all of it is good (throws
    // config::ConfigError otherwise, leaving the running configuration alone).
    virtual void load_config(const std::string& path) = 0;
    // The accounts behind the roles, from global_defs of the loaded config.
    virtual ipc::RoleAccountNames account_names() const = 0;
    // Step 2: raw sockets, netlink... Runs as root (or with the ambient capabilities).
    virtual void open_privileged(DaemonContext&) {}
    // Step 5, just before the loop runs: handlers, peer links, timers.
    virtual void start(DaemonContext& context) = 0;
    // After a successful reload.
    virtual void config_reloaded(DaemonContext&) {}
    // TERM/INT: give up cleanly (vrrpd: priority-0 adverts, VIPs removed).
    virtual void stop(DaemonContext&) {}
    // Daemon-specific part of StatusReply: config_summary, what the loaded
    // configuration holds, and counters, what happens at run time.
    virtual void fill_status(proto::StatusReply& reply) const = 0;
};

struct DaemonContext {
    const DaemonSpec& spec;
    const DaemonOptions& options;
    // The account the daemon becomes (--user, else its default), resolved
    // once before step 2: open_privileged gives what it makes to it.
    const sandbox::Account& account;
    EventLoop& loop;
    ipc::Server& server;
    std::vector<std::unique_ptr<ipc::PeerLink>>& peers;

    std::string socket_path(const std::string& daemon_name) const;
    // A reconnecting link to another daemon's socket (absent: logged once, retried).
    ipc::PeerLink& add_peer(const std::string& daemon_name);
};

// main() of every daemon: returns the exit status.
int run_daemon(const DaemonSpec& spec, Daemon& daemon, int argc, char** argv);

}  // namespace hakeep
