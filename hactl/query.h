// Talking to the daemons, with failures explained for an operator: what is
// wrong and what to do about it. hactl connects first, then sandboxes itself
// (confine()), then exchanges messages: root's hactl needs no capability
// once its sockets are open.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/proto/hakeep.pb.h"
#include "common/unique_fd.h"

namespace hakeep::hactl {

inline constexpr const char* daemon_names[] = {"vrrpd", "ipvsd", "checkd"};

struct Link {
    std::string daemon;
    std::string path;
    UniqueFd fd;
    int connect_error = 0;
    std::string access_group;  // on EACCES: the group that would let us in
};

struct Answer {
    std::optional<proto::Envelope> reply;  // never an ErrorReply
    std::string problem;                   // one line, when there is no reply
};

// One line for a failed connect: what is wrong and what to do (pure).
std::string connect_problem(const Link& link, unsigned uid);
// Reload, Drain, Undrain, Resign, SetPriority: the admin role's messages.
bool changes_state(const proto::Envelope& request);

std::vector<Link> connect_all(const std::string& socket_dir,
                              const std::vector<std::string>& daemons);
// No capabilities, no new privileges, hactl's seccomp list. Exits 1 on failure.
void confine();
Answer ask(const Link& link, const proto::Envelope& request);
// Sends a runtime change (Drain, Resign, ...) to `daemon` and prints its
// CommandReply (what changed, or why not), as text or JSON. Returns the exit status.
struct Options;
int send_command(const Options& options, const std::string& daemon, const proto::Envelope& request);

// vrrpd's VrrpReply (hactl vrrp, explain); on failure prints why and returns nothing.
std::optional<proto::VrrpReply> ask_vrrp(const Options& options);

// connect_all() + confine() + ask() for a single daemon.
Answer ask_one(const std::string& socket_dir, const std::string& daemon,
               const proto::Envelope& request);

}  // namespace hakeep::hactl
