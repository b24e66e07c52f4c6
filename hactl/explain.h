// hactl explain INSTANCE: why a VRRP instance is in its state, in words, from
// what vrrpd reports (VrrpInstanceStatus). Pure, so the wording is tested on
// crafted replies.
#pragma once

#include <string>
#include <vector>

#include "common/proto/hakeep.pb.h"

namespace hakeep::hactl {

struct ExplainContext {
    bool checkd_connected = true;
    bool checks_stale = false;  // tracked checks count as failed
    long long now_unix_ms = 0;  // for "3m07s ago"
};

// One sentence per line: state, priorities and what moved them, each
// tracker's effect, the master, FAULT's cause, preemption, sync group, the
// last transition.
std::vector<std::string> explain_instance(const proto::VrrpInstanceStatus& instance,
                                          const ExplainContext& context);

// The same as one JSON object (hactl --json explain), `explanation` holding the lines.
std::string explain_json(const proto::VrrpInstanceStatus& instance, const ExplainContext& context);

}  // namespace hakeep::hactl
