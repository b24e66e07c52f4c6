#include "common/sandbox.h"

#include <grp.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/log.h"

namespace hakeep::sandbox {
namespace {

[[noreturn]] void fail(const std::string& what, int error_number = errno) {
    throw SandboxError(what + ": " + std::strerror(error_number));
}

struct CapFree {
    void operator()(void* object) const { cap_free(object); }
};
using CapHandle = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

struct SeccompRelease {
    void operator()(void* context) const { seccomp_release(context); }
};
using SeccompHandle = std::unique_ptr<void, SeccompRelease>;

bool has_effective(cap_value_t capability) {
    CapHandle current(cap_get_proc());
    cap_flag_value_t value = CAP_CLEAR;
    return current && cap_get_flag(current.get(), capability, CAP_EFFECTIVE, &value) == 0 &&
           value == CAP_SET;
}

void switch_account(const Account& account) {
    if (geteuid() != 0)
        throw SandboxError("cannot switch to account '" + account.name +
                           "': not started as root (start it as root, or as '" + account.name +
                           "' with its capabilities)");
    // Keep the permitted set across setuid; effective is cleared and raised again below.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) fail("PR_SET_KEEPCAPS");
    if (initgroups(account.name.c_str(), account.gid) != 0) fail("initgroups " + account.name);
    if (setresgid(account.gid, account.gid, account.gid) != 0) fail("setresgid");
    if (setresuid(account.uid, account.uid, account.uid) != 0) fail("setresuid");
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) fail("PR_SET_KEEPCAPS off");
}

void clear_bounding_set() {
    // Dropping needs CAP_SETPCAP; a daemon started by a service manager as its
    // account already had its bounding set narrowed there.
    if (!has_effective(CAP_SETPCAP)) return;
    for (cap_value_t capability = 0; capability <= CAP_LAST_CAP; ++capability)
        if (prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0 && errno != EINVAL)
            fail("PR_CAPBSET_DROP");
}

void keep_only(const std::vector<cap_value_t>& capabilities) {
    CapHandle wanted(cap_init());  // all clear: inheritable stays empty
    if (!wanted) fail("cap_init");
    if (!capabilities.empty()) {
        const int count = static_cast<int>(capabilities.size());
        if (cap_set_flag(wanted.get(), CAP_PERMITTED, count, capabilities.data(), CAP_SET) != 0 ||
            cap_set_flag(wanted.get(), CAP_EFFECTIVE, count, capabilities.data(), CAP_SET) != 0)
            fail("cap_set_flag");
    }
    if (cap_set_proc(wanted.get()) != 0)
        fail("cannot keep " + capability_names(capabilities) +
             " (the process does not hold them)");
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        fail("PR_CAP_AMBIENT_CLEAR_ALL");
    // Read back: the kernel's word, not our intention, is what counts.
    CapHandle actual(cap_get_proc());
    if (!actual || cap_compare(actual.get(), wanted.get()) != 0)
        throw SandboxError("capabilities differ from " + capability_names(capabilities) +
                           " after dropping");
}

scmp_arg_cmp to_libseccomp(const ArgCondition& condition) {
    scmp_arg_cmp comparison{};
    comparison.arg = condition.index;
    comparison.op = SCMP_CMP_MASKED_EQ;
    comparison.datum_a = condition.mask;
    comparison.datum_b = condition.value;
    return comparison;
}

void load_seccomp(const AllowList& syscalls, bool log_only) {
    SeccompHandle context(seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS));
    if (!context) throw SandboxError("seccomp_init failed");
    // A syscall made through another ABI (int 0x80, x32) is killed, not reinterpreted.
    if (int rc = seccomp_attr_set(context.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc != 0)
        fail("seccomp bad-arch action", -rc);
    for (const SyscallRule& rule : syscalls) {
        const int number = seccomp_syscall_resolve_name(rule.name);
        if (number == __NR_SCMP_ERROR) throw SandboxError(std::string("unknown syscall ") + rule.name);
        if (rule.only_if.empty()) {
            if (int rc = seccomp_rule_add(context.get(), SCMP_ACT_ALLOW, number, 0); rc != 0)
                fail(std::string("seccomp rule ") + rule.name, -rc);
            continue;
        }
        for (const auto& conjunction : rule.only_if) {
            std::vector<scmp_arg_cmp> comparisons;
            for (const ArgCondition& condition : conjunction)
                comparisons.push_back(to_libseccomp(condition));
            if (int rc = seccomp_rule_add_array(context.get(), SCMP_ACT_ALLOW, number,
                                                static_cast<unsigned>(comparisons.size()),
                                                comparisons.data());
                rc != 0)
                fail(std::string("seccomp rule ") + rule.name, -rc);
        }
    }
    if (int rc = seccomp_load(context.get()); rc != 0) fail("seccomp_load", -rc);
}

void load_deny_list(const AllowList& denied, bool log_only) {
    SeccompHandle context(seccomp_init(SCMP_ACT_ALLOW));
    if (!context) throw SandboxError("seccomp_init failed");
    if (int rc = seccomp_attr_set(context.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc != 0)
        fail("seccomp bad-arch action", -rc);
    const std::uint32_t action = log_only ? SCMP_ACT_LOG : SCMP_ACT_ERRNO(EPERM);
    for (const SyscallRule& rule : denied) {
        const int number = seccomp_syscall_resolve_name(rule.name);
        if (number == __NR_SCMP_ERROR) throw SandboxError(std::string("unknown syscall ") + rule.name);
        if (int rc = seccomp_rule_add(context.get(), action, number, 0); rc != 0)
            fail(std::string("seccomp rule ") + rule.name, -rc);
    }
    if (int rc = seccomp_load(context.get()); rc != 0) fail("seccomp_load", -rc);
}

}  // namespace

std::optional<Account> lookup_account(const std::string& name) {
    const struct passwd* entry = getpwnam(name.c_str());
    if (entry == nullptr) return std::nullopt;
    return Account{name, entry->pw_uid, entry->pw_gid};
}

std::string capability_names(const std::vector<cap_value_t>& capabilities) {
    std::vector<std::string> names;
    for (cap_value_t capability : capabilities) {
        char* name = cap_to_name(capability);
        names.emplace_back(name != nullptr ? name : "?");
        cap_free(name);
    }
    std::sort(names.begin(), names.end());
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ",") + name;
    return text.empty() ? "none" : text;
}

void enter(const Policy& policy) {
    clear_bounding_set();  // first, while CAP_SETPCAP is still ours
    if (policy.account && geteuid() != policy.account->uid) switch_account(*policy.account);
    keep_only(policy.capabilities);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("PR_SET_NO_NEW_PRIVS");
    if (!policy.denied.empty()) {
        load_deny_list(policy.denied, policy.seccomp_log);
        HK_LOG_DEBUG("sandboxed: uid %u, capabilities %s, %zu syscalls denied%s",
                     static_cast<unsigned>(getuid()), capability_names(policy.capabilities).c_str(),
                     policy.denied.size(), policy.seccomp_log ? " (seccomp log mode)" : "");
        return;
    }
    load_seccomp(policy.syscalls, policy.seccomp_log);
    HK_LOG_DEBUG("sandboxed: uid %u, capabilities %s, %zu syscalls allowed%s",
                static_cast<unsigned>(getuid()), capability_names(policy.capabilities).c_str(),
                policy.syscalls.size(), policy.seccomp_log ? " (seccomp log mode)" : "");
}

}  // namespace hakeep::sandbox
