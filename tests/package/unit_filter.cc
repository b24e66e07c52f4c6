// tests/package/unit_filter: runs a command under the system call filter a
// hakeep unit asks systemd for, so that t_service.sh starts the packaged
// daemons behind it as systemd would: SystemCallFilter= (the names, expanded
// by the test from `systemd-analyze syscall-filter`), SystemCallErrorNumber=
// EPERM, SystemCallArchitectures=native, and RestrictAddressFamilies= (a
// socket(2) of another family fails with EAFNOSUPPORT).
//
//   unit_filter SYSCALL_FILE FAMILY[,FAMILY...] COMMAND [ARG...]
//
// SYSCALL_FILE: the allowed names, one per line; names this architecture
// does not have are skipped. FAMILY: a number (1 AF_UNIX, 2 AF_INET, ...).
// Run it after no_new_privs is set (setpriv --no-new-privs), like systemd.
#include <seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: unit_filter SYSCALL_FILE FAMILIES COMMAND [ARG...]\n");
        return 2;
    }
    std::ifstream names(argv[1]);
    if (!names) {
        std::fprintf(stderr, "unit_filter: cannot read %s\n", argv[1]);
        return 2;
    }
    std::vector<int> families;
    std::stringstream list(argv[2]);
    for (std::string item; std::getline(list, item, ',');)
        if (!item.empty()) families.push_back(std::atoi(item.c_str()));

    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (filter == nullptr) return 2;
    seccomp_attr_set(filter, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    const int socket_nr = seccomp_syscall_resolve_name("socket");
    bool socket_allowed = false;
    int allowed = 0;
    for (std::string name; std::getline(names, name);) {
        if (name.empty()) continue;
        const int nr = seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR || nr < 0) continue;  // not on this architecture
        if (nr == socket_nr) {
            socket_allowed = true;
            continue;
        }
        if (seccomp_rule_add(filter, SCMP_ACT_ALLOW, nr, 0) == 0) ++allowed;
    }
    if (socket_allowed) {
        // RestrictAddressFamilies=: the listed families, nothing else. One
        // rule per family (libseccomp lets an unconditional rule win over
        // conditional ones of the same call, so no catch-all rule).
        constexpr int family_limit = 64;  // AF_MAX is 46 on Linux 6.1
        int rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EAFNOSUPPORT), socket_nr, 1,
                                  SCMP_A0(SCMP_CMP_GE, static_cast<scmp_datum_t>(family_limit)));
        for (int family = 0; family < family_limit && rc == 0; ++family) {
            bool listed = false;
            for (int wanted : families) listed = listed || wanted == family;
            rc = seccomp_rule_add(filter, listed ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EAFNOSUPPORT),
                                  socket_nr, 1,
                                  SCMP_A0(SCMP_CMP_EQ, static_cast<scmp_datum_t>(family)));
        }
        if (rc != 0) {
            std::fprintf(stderr, "unit_filter: socket rules: %s\n", std::strerror(-rc));
            return 2;
        }
    }
    if (int rc = seccomp_load(filter); rc != 0) {
        std::fprintf(stderr, "unit_filter: seccomp_load: %s\n", std::strerror(-rc));
        return 2;
    }
    seccomp_release(filter);
    execv(argv[3], argv + 3);
    std::fprintf(stderr, "unit_filter: exec %s: %s\n", argv[3], std::strerror(errno));
    return 127;
}
