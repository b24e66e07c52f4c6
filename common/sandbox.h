// The one drop-privileges path of every hakeep process (DESIGN.md §1, steps 3
// and 4), in the shape of relayd's proc_run() and OpenSSH's
// privsep_child_demote(): switch to the account, keep exactly the listed
// capabilities, clear inheritable, ambient and bounding sets, set
// PR_SET_NO_NEW_PRIVS, load the process's seccomp allow-list.
#pragma once

#include <sys/capability.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hakeep::sandbox {

class SandboxError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A condition on one syscall argument: (arg & mask) == value.
struct ArgCondition {
    unsigned index;
    std::uint64_t mask;
    std::uint64_t value;
};
inline ArgCondition arg_equals(unsigned index, std::uint64_t value) {
    return ArgCondition{index, ~std::uint64_t{0}, value};
}
inline ArgCondition arg_masked(unsigned index, std::uint64_t mask, std::uint64_t value) {
    return ArgCondition{index, mask, value};
}

struct SyscallRule {
    const char* name;  // as libseccomp spells it
    const char* why;   // who needs it: kept next to the entry, shown by --seccomp-log
    // Allowed when any one of these conjunctions holds; empty: always allowed.
    std::vector<std::vector<ArgCondition>> only_if = {};
};
using AllowList = std::vector<SyscallRule>;

// What every hakeep process needs once sandboxed: the event loop, IPC over
// AF_UNIX, logging, memory without PROT_EXEC, reading its config on reload.
const AllowList& runtime_syscalls();

struct Account {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};
// getpwnam; nullopt if there is no such account.
std::optional<Account> lookup_account(const std::string& name);

struct Policy {
    // Switch to this account (only when not already running as it).
    std::optional<Account> account;
    std::vector<cap_value_t> capabilities;  // kept in permitted and effective
    AllowList syscalls;                     // runtime_syscalls() + the process's own
    bool seccomp_log = false;               // log instead of kill (--seccomp-log)
    // Instead of the allow-list: a filter that allows everything but these,
    // which fail with EPERM (logged with seccomp_log). For a process that
    // execs programs nobody can enumerate the syscalls of (checkd's script
    // worker); empty: `syscalls` applies, as for every other process.
    AllowList denied;
};

// Throws SandboxError and leaves the process unusable: callers exit.
void enter(const Policy& policy);

// "cap_net_admin,cap_net_raw" or "none": for logs and tests.
std::string capability_names(const std::vector<cap_value_t>& capabilities);

}  // namespace hakeep::sandbox
