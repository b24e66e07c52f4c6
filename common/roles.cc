#include "common/roles.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>

namespace hakeep::ipc {

std::string role_names(RoleSet roles) {
    static constexpr struct {
        Role role;
        const char* name;
    } names[] = {{role_root, "root"},   {role_vrrpd, "vrrpd"}, {role_ipvsd, "ipvsd"},
                 {role_checkd, "checkd"}, {role_admin, "admin"}, {role_reader, "reader"}};
    std::string text;
    for (const auto& entry : names) {
        if ((roles & entry.role) == 0) continue;
        if (!text.empty()) text += ',';
        text += entry.name;
    }
    return text.empty() ? "none" : text;
}

RoleAccounts resolve_accounts(const RoleAccountNames& names) {
    auto user = [](const std::string& name) -> std::optional<uid_t> {
        const struct passwd* entry = getpwnam(name.c_str());
        if (entry == nullptr) return std::nullopt;
        return entry->pw_uid;
    };
    auto group = [](const std::string& name) -> std::optional<gid_t> {
        const struct group* entry = getgrnam(name.c_str());
        if (entry == nullptr) return std::nullopt;
        return entry->gr_gid;
    };
    return RoleAccounts{user(names.vrrpd_user), user(names.ipvsd_user), user(names.checkd_user),
                        group(names.admin_group), group(names.reader_group)};
}

RoleSet roles_of(const PeerCredentials& peer, const RoleAccounts& accounts) {
    auto in_group = [&peer](const std::optional<gid_t>& group) {
        if (!group) return false;
        return peer.gid == *group ||
               std::find(peer.groups.begin(), peer.groups.end(), *group) != peer.groups.end();
    };
    RoleSet roles = 0;
    // root may do anything an operator may; it is not thereby any daemon.
    if (peer.uid == 0) roles |= role_root | role_admin | role_reader;
    if (accounts.vrrpd && peer.uid == *accounts.vrrpd) roles |= role_vrrpd;
    if (accounts.ipvsd && peer.uid == *accounts.ipvsd) roles |= role_ipvsd;
    if (accounts.checkd && peer.uid == *accounts.checkd) roles |= role_checkd;
    if (in_group(accounts.admin_group)) roles |= role_admin | role_reader;
    if (in_group(accounts.reader_group)) roles |= role_reader;
    return roles;
}

}  // namespace hakeep::ipc
