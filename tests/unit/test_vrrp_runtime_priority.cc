// hactl set-priority's rules (vrrpd/runtime_priority.h): 1..254 for any
// instance, 255 only the owner's and only from vrrpd.conf, 0 is a
// resignation; each refusal says what to do instead.
#include <criterion/criterion.h>

#include <string>

#include "tests/unit/expect_text.h"
#include "vrrpd/runtime_priority.h"

using namespace hakeep::vrrpd;

Test(vrrp_runtime_priority, backup_priorities_are_allowed) {
    for (std::uint32_t value : {1u, 100u, 150u, 254u})
        cr_expect_not(refuse_runtime_priority("VI_1", 100, value).has_value(), "priority %u", value);
    cr_expect_not(refuse_runtime_priority("VI_1", 254, 1).has_value(), "any configured non-owner priority");
    cr_expect_not(refuse_runtime_priority("VI_1", 1, 254).has_value());
}

Test(vrrp_runtime_priority, refusals_say_what_to_do) {
    struct Case {
        std::uint32_t value;
        const char* refusal;
    };
    const Case cases[] = {
        {0, "priority 0 is a resignation, not a priority: VALUE must be 1..254 (hactl resign VI_1 hands "
            "mastership over at once)"},
        {255, "priority 255 is only for the address owner: VALUE must be 1..254 (an owner is configured with "
              "priority 255 in vrrpd.conf)"},
        {256, "priority 256 is out of range: VALUE must be 1..254"},
        {300, "priority 300 is out of range: VALUE must be 1..254"},
        {4294967295u, "priority 4294967295 is out of range: VALUE must be 1..254"},
    };
    for (const Case& test : cases) {
        auto refusal = refuse_runtime_priority("VI_1", 100, test.value);
        cr_assert(refusal.has_value(), "priority %u", test.value);
        EXPECT_TEXT(*refusal, test.refusal);
    }
}

Test(vrrp_runtime_priority, the_owner_never_changes) {
    for (std::uint32_t value : {0u, 100u, 254u, 255u, 300u}) {
        auto refusal = refuse_runtime_priority("VI_9", 255, value);
        cr_assert(refusal.has_value(), "owner, priority %u", value);
        EXPECT_TEXT(*refusal,
                    "VI_9 is the address owner (priority 255 in vrrpd.conf): its priority never changes at "
                    "runtime; give it another priority in vrrpd.conf and reload");
    }
}
