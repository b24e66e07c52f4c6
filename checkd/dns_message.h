// DNS_CHECK's wire format, pure: build one query, judge one reply. The only
// place that reads DNS bytes; every offset is checked against the datagram.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hakeep::checkd {

// A, NS, CNAME, SOA, MX, TXT, AAAA -> RFC 1035 / 3596 type numbers (0 if unknown).
std::uint16_t dns_type_number(const std::string& name);
std::string dns_type_name(std::uint16_t type);
// "." or labels of 1..63 characters, 255 bytes at most on the wire.
bool dns_name_valid(const std::string& name);

// A recursive query for (name, type, class IN) with this id.
std::string dns_build_query(std::uint16_t id, const std::string& name, std::uint16_t type);

// Empty when the reply answers the query: same id, a response, NOERROR, and
// at least one answer record (keepalived's rule). Otherwise the reason,
// "dns: rcode NXDOMAIN", "dns: no answer", "dns: malformed reply", ...
// `ignore` is set for a datagram that is not a reply to this query at all
// (another id): the caller keeps waiting.
std::string dns_judge_reply(std::string_view reply, std::uint16_t id, bool& ignore);

}  // namespace hakeep::checkd
