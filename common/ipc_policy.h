// Which role may send which message: one table for every daemon, in the shape
// of relayd's procs[] and OpenSSH's mon_table. Anything not in the table, or
// sent by a role the table does not list, is refused; nothing is guessed.
#pragma once

#include <string_view>

#include "common/proto/hakeep.pb.h"
#include "common/roles.h"

namespace hakeep::ipc {

using Body = proto::Envelope::BodyCase;

struct MessageRule {
    Body body;
    std::string_view name;
    RoleSet senders;  // roles allowed to send it to a daemon's control socket
};

// The rule for `body`, or nullptr for a body no daemon accepts (replies, unset).
const MessageRule* rule_for(Body body);
std::string_view message_name(Body body);
bool may_send(RoleSet sender, Body body);

}  // namespace hakeep::ipc
