// Who is on the other end of a control socket. The kernel tells us the peer's
// uid, gid and supplementary groups (SO_PEERCRED, SO_PEERGROUPS); this maps them
// to the roles of DESIGN.md §2. Pure: the accounts are resolved once, before the
// sandbox, so no NSS lookup happens while serving.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hakeep::ipc {

enum Role : std::uint32_t {
    role_root = 1u << 0,
    role_vrrpd = 1u << 1,
    role_ipvsd = 1u << 2,
    role_checkd = 1u << 3,
    role_admin = 1u << 4,   // may change state
    role_reader = 1u << 5,  // may read state
};
using RoleSet = std::uint32_t;

constexpr RoleSet any_daemon = role_vrrpd | role_ipvsd | role_checkd;

// "root,admin,reader", or "none".
std::string role_names(RoleSet roles);

struct PeerCredentials {
    pid_t pid = 0;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary, from SO_PEERGROUPS
};

// The accounts behind the roles. An account or group that does not exist on
// this host is simply absent: nobody gets that role.
struct RoleAccounts {
    std::optional<uid_t> vrrpd;
    std::optional<uid_t> ipvsd;
    std::optional<uid_t> checkd;
    std::optional<gid_t> admin_group;
    std::optional<gid_t> reader_group;
};

// Names as in global_defs: vrrpd_user, ipvsd_user, checkd_user, and the groups.
struct RoleAccountNames {
    std::string vrrpd_user = "hakeep-vrrp";
    std::string ipvsd_user = "hakeep-ipvs";
    std::string checkd_user = "hakeep-check";
    std::string admin_group = "hakeep-admin";
    std::string reader_group = "hakeep";
    bool operator==(const RoleAccountNames&) const = default;
};

RoleAccounts resolve_accounts(const RoleAccountNames& names);  // getpwnam/getgrnam

RoleSet roles_of(const PeerCredentials& peer, const RoleAccounts& accounts);

}  // namespace hakeep::ipc
