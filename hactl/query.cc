#include "hactl/query.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/ipc_client.h"
#include "hactl/json.h"
#include "hactl/options.h"
#include "hactl/sandbox.h"

namespace hakeep::hactl {

namespace {

// The group that opens the socket (or its directory) to us, by name.
std::string group_of(const std::string& dir, const std::string& path) {
    struct stat info{};
    if (stat(dir.c_str(), &info) != 0) return "hakeep";
    if ((info.st_mode & S_IXOTH) != 0 && stat(path.c_str(), &info) != 0) return "hakeep";
    const struct group* entry = getgrgid(info.st_gid);
    return entry != nullptr ? entry->gr_name : std::to_string(info.st_gid);
}

}  // namespace

bool changes_state(const proto::Envelope& request) {
    return request.has_reload() || request.has_drain() || request.has_undrain() || request.has_resign() ||
           request.has_set_priority();
}

std::string connect_problem(const Link& link, unsigned uid) {
    const std::string unit = "systemctl start hakeep-" + link.daemon;
    switch (link.connect_error) {
    case ENOENT:
        return link.daemon + " is not running (no socket " + link.path + "): start it with " + unit;
    case ECONNREFUSED:
        return link.daemon + " is not running (nothing accepts on " + link.path + "): start it with " + unit;
    case EACCES:
    case EPERM:
        return "permission denied on " + link.path + " (uid " + std::to_string(uid) + "): add your user to group " +
               link.access_group + " (and to hakeep-admin to change state), then log in again";
    default:
        return link.daemon + ": cannot connect to " + link.path + ": " + std::strerror(link.connect_error);
    }
}

std::vector<Link> connect_all(const std::string& socket_dir,
                              const std::vector<std::string>& daemons) {
    std::vector<Link> links;
    for (const std::string& daemon : daemons) {
        const std::string path = socket_dir + "/" + daemon + ".sock";
        Link link{daemon, path, ipc::connect_unix(path), 0, {}};
        if (!link.fd) {
            link.connect_error = errno;
            // Named now: after confine() no NSS lookup may run.
            if (link.connect_error == EACCES || link.connect_error == EPERM) link.access_group = group_of(socket_dir, link.path);
        }
        links.push_back(std::move(link));
    }
    return links;
}

void confine() {
    sandbox::Policy policy;
    policy.syscalls = sandbox::runtime_syscalls();
    policy.syscalls.insert(policy.syscalls.end(), hactl_syscalls().begin(), hactl_syscalls().end());
    try {
        sandbox::enter(policy);
    } catch (const sandbox::SandboxError& error) {
        std::fprintf(stderr, "hactl: %s\n", error.what());
        std::exit(1);
    }
}

Answer ask(const Link& link, const proto::Envelope& request) {
    Answer answer;
    if (!link.fd) {
        answer.problem = connect_problem(link, getuid());
        return answer;
    }
    ipc::Exchange exchange = ipc::exchange(link.fd.get(), request, std::chrono::milliseconds(2000));
    if (exchange.reply && exchange.reply->has_error_reply()) {
        const proto::ErrorReply& error = exchange.reply->error_reply();
        answer.problem = link.daemon + " refused: " + error.message();
        if (error.code() == proto::ErrorReply::CODE_FORBIDDEN)
            answer.problem += changes_state(request)
                                  ? ": add your user to group hakeep-admin to change state (or run hactl as root)"
                                  : ": add your user to group hakeep to read state";
    } else if (exchange.reply) {
        answer.reply = std::move(exchange.reply);
    } else {
        answer.problem = link.daemon + ": " + exchange.error + " (" + link.path + ")";
    }
    return answer;
}

Answer ask_one(const std::string& socket_dir, const std::string& daemon,
               const proto::Envelope& request) {
    std::vector<Link> links = connect_all(socket_dir, {daemon});
    confine();
    return ask(links.front(), request);
}

int send_command(const Options& options, const std::string& daemon, const proto::Envelope& request) {
    Answer answer = ask_one(options.socket_dir, daemon, request);
    if (!answer.reply || !answer.reply->has_command_reply()) {
        std::fprintf(stderr, "hactl: %s\n",
                     answer.reply ? (daemon + ": unexpected reply").c_str() : answer.problem.c_str());
        return 1;
    }
    const proto::CommandReply& outcome = answer.reply->command_reply();
    if (options.json) {
        JsonWriter json;
        json.begin_object().key("daemon").value(daemon).key("command").value(options.command);
        json.key("ok").value(outcome.ok()).key("message").value(outcome.message());
        json.key("changes").begin_array();
        for (const std::string& change : outcome.changes()) json.value(change);
        json.end_array().end_object();
        std::printf("%s\n", json.text().c_str());
    } else {
        // One line: the daemon's message says what changed (the changes are for --json).
        std::fprintf(outcome.ok() ? stdout : stderr, "%s%s\n", outcome.ok() ? "" : "hactl: ",
                     outcome.message().c_str());
    }
    return outcome.ok() ? 0 : 1;
}

}  // namespace hakeep::hactl
