#pragma once

#include "common/sandbox.h"

namespace hakeep::hactl {

// hactl runs as the invoking user with no capabilities; after parsing its
// command line it narrows itself to these syscalls before reading any reply.
const sandbox::AllowList& hactl_syscalls();

}  // namespace hakeep::hactl
