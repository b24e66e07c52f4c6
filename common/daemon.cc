#include "common/daemon.h"

#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include "common/config.h"
#include "common/log.h"
#include "common/sd_notify.h"

namespace hakeep {
namespace {

constexpr mode_t socket_dir_mode = 0750;
constexpr mode_t socket_mode = 0660;

proto::Daemon peer_id(const std::string& name) {
    if (name == "vrrpd") return proto::DAEMON_VRRPD;
    if (name == "ipvsd") return proto::DAEMON_IPVSD;
    if (name == "checkd") return proto::DAEMON_CHECKD;
    return proto::DAEMON_UNSPECIFIED;
}

// The socket directory is shared by the daemons. One we create is root's,
// group `hakeep` (readers) where that group exists, else the daemon account's
// own group, mode 0750. One that exists already (tmpfiles.d made it, or the
// operator chose it) is left exactly as it is: never chmod someone's /tmp.
void prepare_socket_dir(const std::string& dir, gid_t group) {
    if (mkdir(dir.c_str(), socket_dir_mode) == 0) {
        if (chown(dir.c_str(), geteuid(), group) != 0 || chmod(dir.c_str(), socket_dir_mode) != 0)
            throw std::runtime_error("cannot set owner and mode of " + dir + ": " +
                                     std::strerror(errno));
        return;
    }
    if (errno != EEXIST)
        throw std::runtime_error("cannot create " + dir + ": " + std::strerror(errno));
    struct stat info{};
    if (stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
        throw std::runtime_error(dir + " is not a directory");
}

struct Runtime {
    const DaemonSpec& spec;
    const DaemonOptions& options;
    Daemon& daemon;
    const sandbox::Account& account;
    TimePoint started;
    long long started_unix_ms = 0;        // the same moment on the wall clock, for hactl metrics
    long long config_loaded_unix_ms = 0;
    ipc::RoleAccountNames account_names;  // as resolved at start
    sd_notify::Notifier& notifier;        // the service manager (does nothing without one)
    std::string ready_status;             // STATUS= sent with READY=1
};

void answer_status(const Runtime& runtime, const DaemonContext& context, ipc::Connection& to) {
    proto::Envelope envelope;
    proto::StatusReply& reply = *envelope.mutable_status_reply();
    reply.set_daemon(runtime.spec.id);
    reply.set_pid(static_cast<std::uint32_t>(getpid()));
    reply.set_version(HAKEEP_VERSION);
    reply.set_uptime_ms(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(context.loop.now() - runtime.started)
            .count()));
    reply.set_start_unix_ms(static_cast<std::uint64_t>(runtime.started_unix_ms));
    reply.set_config_file(runtime.options.config_file);
    reply.set_config_loaded_unix_ms(static_cast<std::uint64_t>(runtime.config_loaded_unix_ms));
    reply.set_user(runtime.account.name);
    for (const auto& link : context.peers) {
        proto::PeerStatus& peer = *reply.add_peers();
        peer.set_peer(peer_id(link->peer_name()));
        peer.set_connected(link->connected());
        peer.set_since_unix_ms(static_cast<std::uint64_t>(link->changed_unix_ms()));
    }
    runtime.daemon.fill_status(reply);
    to.send(envelope);
}

proto::StatusReply daemon_status(const Daemon& daemon) {
    proto::StatusReply status;
    daemon.fill_status(status);
    return status;
}

void reload_config(Runtime& runtime, DaemonContext& context, std::vector<std::string>* changes) {
    const proto::StatusReply before = daemon_status(runtime.daemon);
    runtime.daemon.load_config(runtime.options.config_file);  // throws: nothing changed
    runtime.config_loaded_unix_ms = unix_time_ms();
    // Accounts are resolved to uids before the sandbox only: NSS modules
    // (libnss_systemd) make calls no daemon's allow-list should have.
    if (runtime.daemon.account_names() != runtime.account_names)
        HK_LOG_WARNING("global_defs names other accounts or groups for the roles: "
                       "that takes effect when %s restarts", runtime.spec.name.c_str());
    runtime.daemon.config_reloaded(context);
    HK_LOG_NOTICE("configuration reloaded from %s", runtime.options.config_file.c_str());
    if (changes) *changes = summary_changes(before, daemon_status(runtime.daemon));
}

// RELOADING=1, then READY=1 again whether the new configuration was taken or not.
void reload(Runtime& runtime, DaemonContext& context, std::vector<std::string>* changes) {
    runtime.notifier.reloading();
    try {
        reload_config(runtime, context, changes);
    } catch (...) {
        runtime.notifier.ready(runtime.ready_status + " (last reload failed)");
        throw;
    }
    runtime.notifier.ready(runtime.ready_status);
}

}  // namespace

std::vector<std::string> summary_changes(const proto::StatusReply& before_reply,
                                         const proto::StatusReply& after_reply) {
    // Sorted, so that the report reads in the same order every time.
    const std::map<std::string, std::string> before(before_reply.config_summary().begin(),
                                                    before_reply.config_summary().end());
    const std::map<std::string, std::string> after(after_reply.config_summary().begin(),
                                                   after_reply.config_summary().end());
    std::vector<std::string> changes;
    for (const auto& [key, value] : after) {
        auto old = before.find(key);
        if (old == before.end()) changes.push_back(key + " " + value + " (new)");
        else if (old->second != value) changes.push_back(key + " " + old->second + " -> " + value);
    }
    for (const auto& [key, value] : before)
        if (!after.contains(key)) changes.push_back(key + " gone (was " + value + ")");
    return changes;
}

std::string reload_message(const std::string& daemon, const std::string& config_file,
                           const std::vector<std::string>& changes) {
    std::string text = daemon + ": configuration reloaded from " + config_file + ": ";
    if (changes.empty()) return text + "the same counts as before";
    for (std::size_t index = 0; index < changes.size(); ++index) text += (index ? ", " : "") + changes[index];
    return text;
}

std::string DaemonContext::socket_path(const std::string& daemon_name) const {
    return options.socket_dir + "/" + daemon_name + ".sock";
}

ipc::PeerLink& DaemonContext::add_peer(const std::string& daemon_name) {
    peers.push_back(std::make_unique<ipc::PeerLink>(loop, daemon_name, socket_path(daemon_name)));
    return *peers.back();
}

int run_daemon(const DaemonSpec& spec, Daemon& daemon, int argc, char** argv) {
    auto parsed = parse_daemon_command_line(spec.name, argc, argv);
    if (auto* exit = std::get_if<CommandLineExit>(&parsed)) {
        std::fputs(exit->output.c_str(), exit->status == 0 ? stdout : stderr);
        return exit->status;
    }
    const DaemonOptions& options = std::get<DaemonOptions>(parsed);
    log::init(spec.name, options.use_syslog, options.verbose);

    // 1. configuration
    try {
        daemon.load_config(options.config_file);
    } catch (const config::ConfigError& error) {
        std::fprintf(stderr, "%s\n", error.what());
        return 2;
    }
    if (options.check_only) {
        std::printf("%s: configuration %s is valid\n", spec.name.c_str(),
                    options.config_file.c_str());
        return 0;
    }
    const std::string user = options.user.value_or(spec.default_user);
    std::optional<sandbox::Account> account = sandbox::lookup_account(user);
    if (!account) {
        std::fprintf(stderr, "%s: no such account '%s' (--user; create it, or name another)\n",
                     spec.name.c_str(), user.c_str());
        return 2;
    }

    try {
        SystemClock clock;
        EventLoop loop(clock);
        // Before the sandbox: it reads and clears NOTIFY_SOCKET and WATCHDOG_*.
        sd_notify::Notifier notifier = sd_notify::Notifier::from_environment();
        const long long started_unix_ms = unix_time_ms();
        Runtime runtime{spec,
                        options,
                        daemon,
                        *account,
                        loop.now(),
                        started_unix_ms,
                        started_unix_ms,
                        daemon.account_names(),
                        notifier,
                        "running as " + account->name};

        // 2. privileged resources and the control socket
        const ipc::RoleAccounts accounts = ipc::resolve_accounts(daemon.account_names());
        const gid_t socket_group = accounts.reader_group.value_or(account->gid);
        prepare_socket_dir(options.socket_dir, socket_group);
        UniqueFd listening = ipc::Server::listen(options.socket_dir + "/" + spec.name + ".sock",
                                                 socket_mode, account->uid, socket_group);
        ipc::Server server(loop, std::move(listening), accounts, spec.name);
        std::vector<std::unique_ptr<ipc::PeerLink>> peers;
        DaemonContext context{spec, options, *account, loop, server, peers};
        daemon.open_privileged(context);

        // Handlers and signals first: signalfd is not in the allow-list.
        server.handle(ipc::Body::kStatusRequest,
                      [&](ipc::Connection& from, const proto::Envelope&) {
                          answer_status(runtime, context, from);
                      });
        server.handle(ipc::Body::kReload, [&](ipc::Connection& from, const proto::Envelope&) {
            proto::Envelope reply;
            proto::CommandReply& outcome = *reply.mutable_command_reply();
            std::vector<std::string> changes;
            try {
                reload(runtime, context, &changes);
                outcome.set_ok(true);
                outcome.set_message(reload_message(spec.name, options.config_file, changes));
            } catch (const config::ConfigError& error) {
                outcome.set_ok(false);
                outcome.set_message(spec.name + ": reload failed: " + error.what() + " (running configuration kept)");
            }
            for (const std::string& change : changes) outcome.add_changes(change);
            from.send(reply);
        });
        loop.on_signal(SIGHUP, [&] {
            try {
                reload(runtime, context, nullptr);
            } catch (const config::ConfigError& error) {
                HK_LOG_ERROR("reload failed, running configuration kept: %s", error.what());
            }
        });
        auto stop = [&] {
            HK_LOG_NOTICE("stopping");
            notifier.stopping();
            daemon.stop(context);
            loop.stop();
        };
        loop.on_signal(SIGTERM, stop);
        loop.on_signal(SIGINT, stop);
        loop.on_signal(SIGPIPE, [] {});
        // keepalived dumps state on USR1; hakeep's state is read through hactl.
        loop.on_signal(SIGUSR1, [] { HK_LOG_NOTICE("SIGUSR1 does nothing: use hactl to read state"); });
        // 3 and 4. privileges and sandbox
        sandbox::Policy policy;
        policy.account = *account;
        policy.capabilities = spec.capabilities;
        policy.syscalls = sandbox::runtime_syscalls();
        policy.syscalls.insert(policy.syscalls.end(), spec.syscalls->begin(), spec.syscalls->end());
        policy.seccomp_log = options.seccomp_log;
        sandbox::enter(policy);

        // 5. the loop
        daemon.start(context);
        for (auto& link : peers) link->start();
        HK_LOG_NOTICE("%s %s running as %s, control socket %s", spec.name.c_str(),
                      HAKEEP_VERSION, account->name.c_str(),
                      context.socket_path(spec.name).c_str());
        notifier.ready(runtime.ready_status);
        // The watchdog is fed from the loop itself: a stuck loop stops feeding it.
        std::function<void()> feed_watchdog;
        if (const auto every = notifier.watchdog()) {
            feed_watchdog = [&, every = *every] {
                notifier.watchdog_ping();
                loop.schedule(every, feed_watchdog);
            };
            feed_watchdog();
        }
        loop.run();
        return 0;
    } catch (const std::exception& error) {
        HK_LOG_ERROR("%s", error.what());
        return 1;
    }
}

}  // namespace hakeep
