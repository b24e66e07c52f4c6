#include "vrrpd/runtime_priority.h"

namespace hakeep::vrrpd {

namespace {
constexpr int priority_owner = 255;
}  // namespace

std::optional<std::string> refuse_runtime_priority(const std::string& instance, int configured,
                                                   std::uint32_t value) {
    // The owner first: whatever the value, its 255 stays.
    if (configured == priority_owner)
        return instance + " is the address owner (priority 255 in vrrpd.conf): its priority never changes at "
                          "runtime; give it another priority in vrrpd.conf and reload";
    if (value == 0)
        return "priority 0 is a resignation, not a priority: VALUE must be 1..254 (hactl resign " + instance +
               " hands mastership over at once)";
    if (value == priority_owner)
        return "priority 255 is only for the address owner: VALUE must be 1..254 (an owner is configured "
               "with priority 255 in vrrpd.conf)";
    if (value > priority_owner)
        return "priority " + std::to_string(value) + " is out of range: VALUE must be 1..254";
    return std::nullopt;
}

}  // namespace hakeep::vrrpd
