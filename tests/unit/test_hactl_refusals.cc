// hactl's refusals for people: one line saying what is wrong and what to do.
#include <criterion/criterion.h>

#include <cerrno>
#include <string>

#include "hactl/query.h"

using namespace hakeep;
using namespace hakeep::hactl;

namespace {
std::string problem(int error, const std::string& group = "") {
    Link link{"vrrpd", "/run/hakeep/vrrpd.sock", UniqueFd(), error, group};
    return connect_problem(link, 1000);
}
}  // namespace

Test(hactl_refusals, daemon_down_says_how_to_start_it) {
    const std::string missing = problem(ENOENT);
    cr_expect_str_eq(missing.c_str(),
                     "vrrpd is not running (no socket /run/hakeep/vrrpd.sock): start it with "
                     "systemctl start hakeep-vrrpd");
    const std::string refused = problem(ECONNREFUSED);
    cr_expect_str_eq(refused.c_str(),
                     "vrrpd is not running (nothing accepts on /run/hakeep/vrrpd.sock): "
                     "start it with systemctl start hakeep-vrrpd");
}

Test(hactl_refusals, permission_denied_names_the_group) {
    const std::string denied = problem(EACCES, "hakeep");
    cr_expect_str_eq(
        denied.c_str(),
        "permission denied on /run/hakeep/vrrpd.sock (uid 1000): add your user to group "
        "hakeep (and to hakeep-admin to change state), then log in again");
}

Test(hactl_refusals, admin_messages_are_the_ones_that_change_state) {
    proto::Envelope request;
    request.mutable_status_request();
    cr_expect_not(changes_state(request));
    request.mutable_vrrp_request();
    cr_expect_not(changes_state(request));
    request.mutable_drain();
    cr_expect(changes_state(request));
    request.mutable_resign();
    cr_expect(changes_state(request));
    request.mutable_reload();
    cr_expect(changes_state(request));
    request.mutable_set_priority();
    cr_expect(changes_state(request), "hactl set-priority needs the admin role");
}
