// vrrpd/tracking: keepalived's weight rules, in both signs and both outcomes.
#include <criterion/criterion.h>

#include "vrrpd/tracking.h"

using namespace hakeep::vrrpd;

namespace {
TrackerState script(int weight, bool up, bool reverse = false) {
    return TrackerState{"track_script chk", weight, reverse, up, std::nullopt, false};
}
TrackerState file(int weight, long long value) {
    return TrackerState{"track_file f", weight, false, false, value, true};
}
}  // namespace

Test(vrrp_tracking, positive_weight_added_while_up) {
    cr_expect_eq(evaluate_tracking(100, {script(20, true)}).priority, 120);
    cr_expect_eq(evaluate_tracking(100, {script(20, false)}).priority, 100);
}

Test(vrrp_tracking, negative_weight_added_while_down) {
    cr_expect_eq(evaluate_tracking(100, {script(-20, true)}).priority, 100);
    cr_expect_eq(evaluate_tracking(100, {script(-20, false)}).priority, 80);
}

Test(vrrp_tracking, reverse_swaps_up_and_down) {
    cr_expect_eq(evaluate_tracking(100, {script(-20, true, true)}).priority, 80);
    cr_expect_eq(evaluate_tracking(100, {script(20, false, true)}).priority, 120);
}

Test(vrrp_tracking, clamped_to_1_254) {
    cr_expect_eq(evaluate_tracking(250, {script(20, true)}).priority, 254);
    cr_expect_eq(evaluate_tracking(10, {script(-100, false)}).priority, 1);
    cr_expect_eq(evaluate_tracking(100, {script(100, true), script(100, true)}).priority, 254);
}

Test(vrrp_tracking, owner_never_changes) {
    cr_expect_eq(evaluate_tracking(255, {script(-50, false)}).priority, 255);
    cr_expect_eq(evaluate_tracking(255, {script(50, true)}).priority, 255);
}

Test(vrrp_tracking, weight_zero_means_fault) {
    Tracking t = evaluate_tracking(100, {script(0, true), script(0, false)});
    cr_expect(t.fault.has_value());
    cr_expect_str_eq(t.fault->c_str(), "track_script chk is down");
    cr_expect_not(evaluate_tracking(100, {script(0, true)}).fault.has_value());
    cr_expect(evaluate_tracking(255, {script(0, false)}).fault.has_value(), "the owner faults too");
}

Test(vrrp_tracking, sync_group_members_ignore_weights) {
    Tracking t = evaluate_tracking(100, {script(-20, false)}, true);
    cr_expect(t.fault.has_value());
    cr_expect_eq(t.priority, 100);
}

Test(vrrp_tracking, track_file_value_times_weight) {
    cr_expect_eq(evaluate_tracking(100, {file(2, 5)}).priority, 110);
    cr_expect_eq(evaluate_tracking(100, {file(-3, 5)}).priority, 85);
    cr_expect_not(evaluate_tracking(100, {file(0, 0)}).fault.has_value());
    cr_expect(evaluate_tracking(100, {file(0, 1)}).fault.has_value());
    cr_expect_eq(evaluate_tracking(100, {file(1, 1000)}).priority, 254);
}

// hactl explain names what moved the priority: each tracker's own part.
Test(vrrp_tracking, effects_say_what_each_tracker_adds_or_faults) {
    const Tracking result =
        evaluate_tracking(100, {script(-20, false), script(10, true), script(-5, true), file(3, 2), script(0, false)});
    cr_assert_eq(result.effects.size(), 5u);
    cr_expect_eq(result.effects[0].contribution, -20);
    cr_expect_eq(result.effects[1].contribution, 10);
    cr_expect_eq(result.effects[2].contribution, 0);
    cr_expect_eq(result.effects[3].contribution, 6);
    cr_expect_not(result.effects[3].faults);
    cr_expect(result.effects[4].faults);
    cr_expect_eq(result.priority, 96);
    const Tracking group = evaluate_tracking(100, {script(-20, false)}, true);
    cr_expect_eq(group.effects[0].contribution, 0);  // sync group: weights ignored
    cr_expect(group.effects[0].faults);
}
