// hactl set-priority: keepalived's rules for an instance's priority, applied
// to a change at runtime. Pure, so the refusals are tested without a daemon.
//   1..254  : any backup priority
//   255     : the address owner's, set in vrrpd.conf only; an owner's never changes
//   0       : not a priority but a resignation (hactl resign)
// The value set replaces the configured priority as the base that trackers
// move; it lasts until vrrpd restarts or a reload changes that instance's
// `priority` in vrrpd.conf.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hakeep::vrrpd {

// Why `value` cannot become the priority of `instance`, configured with
// `configured` in vrrpd.conf, in words that say what to do instead; nothing
// if it can.
std::optional<std::string> refuse_runtime_priority(const std::string& instance, int configured,
                                                   std::uint32_t value);

}  // namespace hakeep::vrrpd
