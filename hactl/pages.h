// Whole views from daemons that answer in pages under the datagram cap
// (IpvsRequest.first_virtual_server, ChecksRequest.first_check): asked page
// after page on one link and joined, for hactl ipvs, hactl checks and
// hactl metrics.
#pragma once

#include <cstdint>
#include <string>

#include "common/proto/hakeep.pb.h"
#include "hactl/query.h"

namespace hakeep::hactl {

// Each returns false, with `problem` (one line), when a page is missing or
// the pages do not advance.
bool ask_ipvs(const Link& link, proto::IpvsReply& whole, std::string& problem);
bool ask_checks(const Link& link, proto::ChecksReply& whole, std::string& problem);

// Adds `page`, asked for from `next`, to `whole` and advances `next` (0 after
// the last page); the first page also brings the reply's other fields. False,
// with `problem`, when the pages do not advance.
bool join_ipvs_page(proto::IpvsReply& whole, proto::IpvsReply&& page, std::uint32_t& next, std::string& problem);
bool join_checks_page(proto::ChecksReply& whole, proto::ChecksReply&& page, std::uint32_t& next,
                      std::string& problem);

}  // namespace hakeep::hactl
