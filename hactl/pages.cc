#include "hactl/pages.h"

namespace hakeep::hactl {
namespace {

// What differs between the paged views: the request, the reply, where the
// next page starts and which list is cut into pages.
struct IpvsPaging {
    static constexpr const char* daemon = "ipvsd";
    static void request(proto::Envelope& envelope, std::uint32_t first) {
        envelope.mutable_ipvs_request()->set_first_virtual_server(first);
    }
    static proto::IpvsReply* reply(proto::Envelope& envelope) {
        return envelope.has_ipvs_reply() ? envelope.mutable_ipvs_reply() : nullptr;
    }
    static std::uint32_t next(const proto::IpvsReply& reply) { return reply.next_virtual_server(); }
    static void set_next(proto::IpvsReply& reply, std::uint32_t next) { reply.set_next_virtual_server(next); }
    static auto& items(proto::IpvsReply& reply) { return *reply.mutable_virtual_servers(); }
};

struct ChecksPaging {
    static constexpr const char* daemon = "checkd";
    static void request(proto::Envelope& envelope, std::uint32_t first) {
        envelope.mutable_checks_request()->set_first_check(first);
    }
    static proto::ChecksReply* reply(proto::Envelope& envelope) {
        return envelope.has_checks_reply() ? envelope.mutable_checks_reply() : nullptr;
    }
    static std::uint32_t next(const proto::ChecksReply& reply) { return reply.next_check(); }
    static void set_next(proto::ChecksReply& reply, std::uint32_t next) { reply.set_next_check(next); }
    static auto& items(proto::ChecksReply& reply) { return *reply.mutable_checks(); }
};

template <typename Paging, typename Reply>
bool join_page(Reply& whole, Reply&& page, std::uint32_t& next, std::string& problem) {
    if (Paging::next(page) != 0 && Paging::next(page) <= next) {
        problem = std::string(Paging::daemon) + ": pages do not advance";
        return false;
    }
    const bool first = next == 0;
    next = Paging::next(page);
    auto items = std::move(Paging::items(page));
    Paging::items(page).Clear();
    if (first) whole = page;
    for (auto& item : items) *Paging::items(whole).Add() = std::move(item);
    Paging::set_next(whole, 0);
    return true;
}

template <typename Paging, typename Reply>
bool ask_pages(const Link& link, Reply& whole, std::string& problem) {
    whole.Clear();
    std::uint32_t next = 0;
    do {
        proto::Envelope request;
        Paging::request(request, next);
        Answer answer = ask(link, request);
        Reply* page = answer.reply ? Paging::reply(*answer.reply) : nullptr;
        if (page == nullptr) {
            problem = answer.reply ? std::string(Paging::daemon) + ": unexpected reply" : answer.problem;
            return false;
        }
        if (!join_page<Paging>(whole, std::move(*page), next, problem)) return false;
    } while (next != 0);
    return true;
}

}  // namespace

bool ask_ipvs(const Link& link, proto::IpvsReply& whole, std::string& problem) {
    return ask_pages<IpvsPaging>(link, whole, problem);
}

bool ask_checks(const Link& link, proto::ChecksReply& whole, std::string& problem) {
    return ask_pages<ChecksPaging>(link, whole, problem);
}

bool join_ipvs_page(proto::IpvsReply& whole, proto::IpvsReply&& page, std::uint32_t& next, std::string& problem) {
    return join_page<IpvsPaging>(whole, std::move(page), next, problem);
}

bool join_checks_page(proto::ChecksReply& whole, proto::ChecksReply&& page, std::uint32_t& next,
                      std::string& problem) {
    return join_page<ChecksPaging>(whole, std::move(page), next, problem);
}

}  // namespace hakeep::hactl
