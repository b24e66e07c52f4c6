// hactl checks' order. checkd answers in pages under the datagram cap
// (ChecksRequest.first_check, ChecksReply.next_check), joined in hactl/pages.h.
#pragma once

#include "common/proto/hakeep.pb.h"

namespace hakeep::hactl {

// DOWN checks first, then UNKNOWN, then UP; checkd's order within each.
void order_checks(proto::ChecksReply& reply);

}  // namespace hakeep::hactl
