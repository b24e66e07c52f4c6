// The checkers that exchange datagrams: DNS_CHECK and UDP_CHECK (UDP) and
// PING_CHECK (unprivileged ICMP "ping" sockets, IPv4 and IPv6). Each sends
// one datagram on a connected socket and waits, at most connect_timeout, for
// the reply that decides.
#pragma once

#include <memory>

#include "checkd/attempt.h"

namespace hakeep::checkd {

std::unique_ptr<Attempt> start_dns_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done);
std::unique_ptr<Attempt> start_udp_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done);
std::unique_ptr<Attempt> start_ping_check(EventLoop& loop, const proto::CheckerSpec& spec, AttemptDone done);

// Random bits for query ids and payloads (seeded once, from getrandom).
std::uint32_t random_u32();

}  // namespace hakeep::checkd
