#include "common/ipc_policy.h"

namespace hakeep::ipc {
namespace {

constexpr RoleSet operators = role_root | role_admin;
constexpr RoleSet readers = operators | role_reader | any_daemon;

// Requests only: replies travel back on the requester's own connection and are
// never accepted by a listening daemon.
constexpr MessageRule rules[] = {
    {Body::kStatusRequest, "StatusRequest", readers},
    {Body::kIpvsRequest, "IpvsRequest", readers},
    {Body::kChecksRequest, "ChecksRequest", readers},
    {Body::kVrrpRequest, "VrrpRequest", readers},
    // Check states come from checkd alone (DESIGN.md §2): a compromised checkd
    // can at worst mark declared real servers up or down.
    {Body::kCheckSnapshot, "CheckSnapshot", role_checkd},
    {Body::kCheckEvent, "CheckEvent", role_checkd},
    {Body::kVrrpEvent, "VrrpEvent", role_vrrpd},
    {Body::kQuorumEvent, "QuorumEvent", role_ipvsd},
    {Body::kReload, "Reload", operators},
    {Body::kDrain, "Drain", operators},
    {Body::kUndrain, "Undrain", operators},
    {Body::kResign, "Resign", operators},
    {Body::kSetPriority, "SetPriority", operators},
};

}  // namespace

const MessageRule* rule_for(Body body) {
    for (const MessageRule& rule : rules)
        if (rule.body == body) return &rule;
    return nullptr;
}

std::string_view message_name(Body body) {
    if (const MessageRule* rule = rule_for(body)) return rule->name;
    switch (body) {
    case Body::kStatusReply: return "StatusReply";
    case Body::kErrorReply: return "ErrorReply";
    case Body::kCommandReply: return "CommandReply";
    case Body::kIpvsReply: return "IpvsReply";
    case Body::kChecksReply: return "ChecksReply";
    case Body::kVrrpReply: return "VrrpReply";
    // checkd's supervisor-worker messages: never accepted on a control socket.
    case Body::kWorkerAssign: return "WorkerAssign";
    case Body::kProbeResults: return "ProbeResults";
    case Body::BODY_NOT_SET: return "(empty)";
    default: return "(unknown)";
    }
}

bool may_send(RoleSet sender, Body body) {
    const MessageRule* rule = rule_for(body);
    return rule != nullptr && (rule->senders & sender) != 0;
}

}  // namespace hakeep::ipc
