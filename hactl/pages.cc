#include "hactl/pages.h"

#include "hactl/checks.h"

namespace hakeep::hactl {

bool ask_ipvs(const Link& link, proto::IpvsReply& whole, std::string& problem) {
    whole.Clear();
    std::uint32_t next = 0;
    do {
        proto::Envelope request;
        request.mutable_ipvs_request()->set_first_virtual_server(next);
        Answer answer = ask(link, request);
        if (!answer.reply || !answer.reply->has_ipvs_reply()) {
            problem = answer.reply ? "ipvsd: unexpected reply" : answer.problem;
            return false;
        }
        if (!join_ipvs_page(whole, std::move(*answer.reply->mutable_ipvs_reply()), next, problem)) return false;
    } while (next != 0);
    return true;
}

bool join_ipvs_page(proto::IpvsReply& whole, proto::IpvsReply&& page, std::uint32_t& next, std::string& problem) {
    if (page.next_virtual_server() != 0 && page.next_virtual_server() <= next) {
        problem = "ipvsd: pages do not advance";
        return false;
    }
    const bool first = next == 0;
    next = page.next_virtual_server();
    auto servers = std::move(*page.mutable_virtual_servers());
    page.clear_virtual_servers();
    if (first) whole = page;
    for (auto& server : servers) *whole.add_virtual_servers() = std::move(server);
    whole.set_next_virtual_server(0);
    return true;
}

bool ask_checks(const Link& link, proto::ChecksReply& whole, std::string& problem) {
    whole.Clear();
    std::uint32_t next = 0;
    do {
        proto::Envelope request;
        request.mutable_checks_request()->set_first_check(next);
        Answer answer = ask(link, request);
        if (!answer.reply || !answer.reply->has_checks_reply()) {
            problem = answer.reply ? "checkd: unexpected reply" : answer.problem;
            return false;
        }
        if (!join_checks_page(whole, std::move(*answer.reply->mutable_checks_reply()), next, problem))
            return false;
    } while (next != 0);
    return true;
}

}  // namespace hakeep::hactl
