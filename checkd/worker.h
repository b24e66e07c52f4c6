// The workers' main functions, run in a process a launcher has just forked
// (its link to the supervisor is descriptor 3). A network worker runs
// TCP/HTTP/TLS/SMTP/DNS/UDP/ping probes under a strict allow-list: no exec,
// no file opens, no AF_UNIX socket. The script worker runs MISC_CHECK,
// vrrp_script and FILE_CHECK under the launcher's deny-list, which the
// scripts it execs inherit.
#pragma once

#include <cstdint>

#include "checkd/launcher.h"
#include "common/sandbox.h"

namespace hakeep::checkd {

[[noreturn]] void run_network_worker(std::uint32_t index, const LaunchSettings& settings);
[[noreturn]] void run_script_worker(const LaunchSettings& settings);

// The network workers' whole allow-list (not added to runtime_syscalls():
// that one opens files and AF_UNIX sockets).
const sandbox::AllowList& network_worker_syscalls();
// What no script has any business doing (checkd/worker_seccomp.cc).
const sandbox::AllowList& script_worker_denied_syscalls();

}  // namespace hakeep::checkd
