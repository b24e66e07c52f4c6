// The sandbox, for real: each Criterion test runs in its own process, so a
// test can drop privileges, load a filter and expect to be killed by SIGSYS.
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "checkd/checkd.h"
#include "common/sandbox.h"
#include "hactl/sandbox.h"
#include "ipvsd/ipvsd.h"
#include "vrrpd/vrrpd.h"

using namespace hakeep;

namespace {

// /proc/self/status field, e.g. "CapEff" -> "0000000000001000".
std::string status_field(const std::string& name) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(name + ":", 0) != 0) continue;
        std::string value = line.substr(name.size() + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        return value;
    }
    return "(missing)";
}

// What Criterion itself needs after the filter is loaded, to report the
// result to its runner; nothing of hakeep's own.
void add_test_runner_syscalls(sandbox::AllowList& list) {
    list.push_back({"poll", "Criterion: reporting to the test runner"});
    list.push_back({"ppoll", "Criterion: reporting to the test runner"});
}

// Exactly the daemon's policy, plus the test runner's needs.
sandbox::Policy policy_for(const DaemonSpec& spec) {
    sandbox::Policy policy;
    policy.account = sandbox::lookup_account("nobody");
    cr_assert(policy.account.has_value(), "the test needs the 'nobody' account");
    policy.capabilities = spec.capabilities;
    policy.syscalls = sandbox::runtime_syscalls();
    policy.syscalls.insert(policy.syscalls.end(), spec.syscalls->begin(), spec.syscalls->end());
    add_test_runner_syscalls(policy.syscalls);
    return policy;
}

void expect_sandboxed(const DaemonSpec& spec, const char* cap_eff) {
    cr_assert_eq(geteuid(), 0u, "sandbox tests run as root (make check does)");
    sandbox::enter(policy_for(spec));
    cr_expect_neq(getuid(), 0u);
    const std::string uid = status_field("Uid").substr(0, 5);
    cr_expect_str_eq(uid.c_str(), "65534");
    for (const char* field : {"CapEff", "CapPrm"}) {
        const std::string value = status_field(field);
        cr_expect_str_eq(value.c_str(), cap_eff, "%s", field);
    }
    for (const char* field : {"CapInh", "CapAmb", "CapBnd"}) {
        const std::string value = status_field(field);
        cr_expect_str_eq(value.c_str(), "0000000000000000", "%s", field);
    }
    const std::string no_new_privs = status_field("NoNewPrivs");
    const std::string seccomp = status_field("Seccomp");
    cr_expect_str_eq(no_new_privs.c_str(), "1");
    cr_expect_str_eq(seccomp.c_str(), "2");
}

void exec_true() {
    char* const argv[] = {const_cast<char*>("/bin/true"), nullptr};
    char* const envp[] = {nullptr};
    execve("/bin/true", argv, envp);
}

}  // namespace

Test(sandbox, vrrpd_keeps_net_admin_and_net_raw) {
    expect_sandboxed(vrrpd::vrrpd_spec(), "0000000000003000");
}

Test(sandbox, ipvsd_keeps_net_admin_only) {
    expect_sandboxed(ipvsd::ipvsd_spec(), "0000000000001000");
}

Test(sandbox, checkd_keeps_nothing) {
    expect_sandboxed(checkd::checkd_spec(), "0000000000000000");
}

Test(sandbox, execve_kills_vrrpd, .signal = SIGSYS) {
    sandbox::enter(policy_for(vrrpd::vrrpd_spec()));
    exec_true();
    cr_assert_fail("execve returned instead of killing the process");
}

Test(sandbox, execve_kills_ipvsd, .signal = SIGSYS) {
    sandbox::enter(policy_for(ipvsd::ipvsd_spec()));
    exec_true();
    cr_assert_fail("execve returned instead of killing the process");
}

Test(sandbox, execve_kills_checkd, .signal = SIGSYS) {
    sandbox::enter(policy_for(checkd::checkd_spec()));
    exec_true();
    cr_assert_fail("execve returned instead of killing the process");
}

Test(sandbox, inet_socket_kills_ipvsd, .signal = SIGSYS) {
    // ipvsd may hold AF_UNIX and its netlink socket, never AF_INET (DESIGN.md §1).
    sandbox::enter(policy_for(ipvsd::ipvsd_spec()));
    socket(AF_INET, SOCK_DGRAM, 0);
    cr_assert_fail("socket(AF_INET) returned instead of killing the process");
}

Test(sandbox, unix_socket_is_allowed) {
    sandbox::enter(policy_for(ipvsd::ipvsd_spec()));
    const int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    cr_expect_geq(fd, 0, "AF_UNIX is how daemons talk to each other");
    close(fd);
}

Test(sandbox, executable_mapping_kills, .signal = SIGSYS) {
    sandbox::enter(policy_for(checkd::checkd_spec()));
    mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_fail("mmap(PROT_EXEC) returned instead of killing the process");
}

Test(sandbox, config_files_open_read_only_only, .signal = SIGSYS) {
    sandbox::enter(policy_for(vrrpd::vrrpd_spec()));
    const int fd = open("/proc/self/status", O_RDONLY);
    cr_expect_geq(fd, 0, "reading the config on reload must work");
    close(fd);
    open("/tmp/hakeep-sandbox-test", O_WRONLY | O_CREAT, 0600);
    cr_assert_fail("open for writing returned instead of killing the process");
}

Test(sandbox, ipvsd_writes_its_list_of_owned_services) {
    // The directory is made before the sandbox, as open_privileged does; the
    // list is written from inside it (a child, so the test can clean up).
    char pattern[] = "/tmp/hk-sandbox-owned.XXXXXX";
    cr_assert_not_null(mkdtemp(pattern));
    const std::string dir = pattern;
    const auto nobody = sandbox::lookup_account("nobody");
    cr_assert(nobody.has_value());
    ipvsd::OwnedServicesFile file = ipvsd::OwnedServicesFile::open(dir, nobody->uid, nobody->gid);
    ipvsd::ServiceKey key;
    key.address = *ipvsd::Address::parse("192.0.2.100");
    key.port = 80;
    const pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        sandbox::enter(policy_for(ipvsd::ipvsd_spec()));
        _exit(file.save({key}).empty() && file.save({key}).empty() ? 0 : 1);  // create, then replace
    }
    int status = 0;
    cr_assert_eq(waitpid(child, &status, 0), child);
    std::ifstream written(dir + "/ipvsd/owned-services");
    std::string header, line;
    std::getline(written, header);
    std::getline(written, line);
    std::filesystem::remove_all(dir);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sandboxed ipvsd could not write its list (status %d)",
              status);
    cr_expect_str_eq(line.c_str(), "TCP 192.0.2.100 80");
}

Test(sandbox, ipvsd_opens_no_file_for_reading_and_writing, .signal = SIGSYS) {
    sandbox::enter(policy_for(ipvsd::ipvsd_spec()));
    open("/tmp/hakeep-sandbox-test", O_RDWR | O_CREAT | O_NOFOLLOW, 0600);
    cr_assert_fail("open O_RDWR returned instead of killing the process");
}

Test(sandbox, ipvsd_opens_no_file_for_appending, .signal = SIGSYS) {
    sandbox::enter(policy_for(ipvsd::ipvsd_spec()));
    open("/tmp/hakeep-sandbox-test", O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600);
    cr_assert_fail("open O_APPEND returned instead of killing the process");
}

Test(sandbox, reload_can_glob_include_directories) {
    // glob(3) opens directories (O_DIRECTORY): reload with `include DIR/*.conf`.
    sandbox::enter(policy_for(vrrpd::vrrpd_spec()));
    DIR* directory = opendir("/proc/self");
    cr_expect_not_null(directory);
    if (directory != nullptr) closedir(directory);
}

Test(sandbox, seccomp_log_mode_does_not_kill) {
    sandbox::Policy policy = policy_for(checkd::checkd_spec());
    policy.seccomp_log = true;
    sandbox::enter(policy);
    char* const argv[] = {const_cast<char*>("/nonexistent/hakeep"), nullptr};
    char* const envp[] = {nullptr};
    // Logged by the kernel, then performed: a missing file is just ENOENT.
    cr_expect_eq(execve(argv[0], argv, envp), -1);
    cr_expect_eq(errno, ENOENT);
}

Test(sandbox, hactl_confines_itself_without_an_account) {
    sandbox::Policy policy;
    policy.syscalls = sandbox::runtime_syscalls();
    policy.syscalls.insert(policy.syscalls.end(), hactl::hactl_syscalls().begin(),
                           hactl::hactl_syscalls().end());
    add_test_runner_syscalls(policy.syscalls);
    sandbox::enter(policy);
    cr_expect_eq(getuid(), 0u, "hactl stays the invoking user");
    const std::string cap_eff = status_field("CapEff");
    const std::string seccomp = status_field("Seccomp");
    cr_expect_str_eq(cap_eff.c_str(), "0000000000000000");
    cr_expect_str_eq(seccomp.c_str(), "2");
}

Test(sandbox, missing_account_is_reported) {
    cr_expect_not(sandbox::lookup_account("hakeep-no-such-account").has_value());
}

Test(sandbox, unknown_syscall_name_is_an_error) {
    sandbox::Policy policy;
    policy.syscalls = {{"no_such_syscall", "test"}};
    bool thrown = false;
    try {
        sandbox::enter(policy);
    } catch (const sandbox::SandboxError& error) {
        thrown = std::string(error.what()).find("no_such_syscall") != std::string::npos;
    }
    cr_expect(thrown, "an allow-list entry that names no syscall must fail loudly");
}

Test(sandbox, every_allow_list_entry_says_why) {
    for (const sandbox::AllowList* list :
         {&sandbox::runtime_syscalls(), &vrrpd::vrrpd_syscalls(), &ipvsd::ipvsd_syscalls(),
          &checkd::checkd_syscalls(), &hactl::hactl_syscalls()})
        for (const sandbox::SyscallRule& rule : *list)
            cr_expect(rule.why != nullptr && std::string(rule.why).size() > 5,
                      "allow-list entry %s has no reason", rule.name);
}
