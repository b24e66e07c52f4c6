// hactl checks' pages: checkd answers in pages under the datagram cap
// (ChecksRequest.first_check, ChecksReply.next_check); they are joined here.
#pragma once

#include <cstdint>
#include <string>

#include "common/proto/hakeep.pb.h"

namespace hakeep::hactl {

// Adds `page`, asked for from `next`, to `whole` and advances `next` (0 after
// the last page). False, with `error`, when the pages do not advance.
bool join_checks_page(proto::ChecksReply& whole, proto::ChecksReply&& page, std::uint32_t& next,
                      std::string& error);

// DOWN checks first, then UNKNOWN, then UP; checkd's order within each.
void order_checks(proto::ChecksReply& reply);

}  // namespace hakeep::hactl
