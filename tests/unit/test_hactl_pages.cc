// hactl's join of ipvsd's IpvsReply pages (hactl ipvs, hactl metrics): the
// virtual servers of every page in order, the reply's other fields from the
// first page, and pages that do not advance refused.
#include <criterion/criterion.h>

#include <string>

#include "hactl/pages.h"

using namespace hakeep;

namespace {

proto::IpvsReply page(std::uint32_t next, std::initializer_list<const char*> labels) {
    proto::IpvsReply reply;
    reply.set_next_virtual_server(next);
    for (const char* label : labels) reply.add_virtual_servers()->set_label(label);
    return reply;
}

}  // namespace

Test(hactl_pages, ipvs_pages_are_joined_in_order) {
    proto::IpvsReply whole;
    std::uint32_t next = 0;
    std::string problem;
    proto::IpvsReply first = page(2, {"192.0.2.100:80", "192.0.2.100:443"});
    first.set_kernel_available(true);
    first.set_operations_applied(7);
    cr_assert(hactl::join_ipvs_page(whole, std::move(first), next, problem));
    cr_expect_eq(next, 2u);
    cr_assert(hactl::join_ipvs_page(whole, page(3, {"fwmark 7"}), next, problem));
    cr_expect_eq(next, 3u);
    proto::IpvsReply last = page(0, {"group mail"});
    last.set_operations_applied(9);  // a later page's fields do not count
    cr_assert(hactl::join_ipvs_page(whole, std::move(last), next, problem));
    cr_expect_eq(next, 0u);
    cr_expect(whole.kernel_available());
    cr_expect_eq(whole.operations_applied(), 7u);
    cr_expect_eq(whole.next_virtual_server(), 0u);
    cr_assert_eq(whole.virtual_servers_size(), 4);
    const char* expected[] = {"192.0.2.100:80", "192.0.2.100:443", "fwmark 7", "group mail"};
    for (int i = 0; i < 4; ++i) {
        const std::string label = whole.virtual_servers(i).label();
        cr_expect_str_eq(label.c_str(), expected[i]);
    }
}

Test(hactl_pages, ipvs_pages_that_do_not_advance_are_refused) {
    proto::IpvsReply whole;
    std::uint32_t next = 5;
    std::string problem;
    cr_expect(!hactl::join_ipvs_page(whole, page(5, {"x"}), next, problem));
    cr_expect(!problem.empty());
    next = 5;
    cr_expect(!hactl::join_ipvs_page(whole, page(4, {"x"}), next, problem), "backwards");
}
