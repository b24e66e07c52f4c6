// CheckSnapshot in parts: checkd cuts a large snapshot into parts under the
// datagram cap, CheckStates adopts them whole when the last arrives (no
// partial application, no flap), and an interrupted snapshot is dropped.
// And hactl's join of checkd's ChecksReply pages.
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "common/check_states.h"
#include "common/ipc_codec.h"
#include "hactl/checks.h"
#include "hactl/pages.h"

using namespace hakeep;

namespace {

proto::CheckSnapshot many(int count, std::uint64_t generation, bool up = true) {
    proto::CheckSnapshot snapshot;
    snapshot.set_generation(generation);
    for (int i = 0; i < count; ++i) {
        proto::CheckState& state = *snapshot.add_checks();
        state.set_name("web-" + std::to_string(i) + ".example.net:8080");
        state.set_up(up);
        state.set_weight(i % 7);
        state.set_seq(static_cast<std::uint64_t>(i) + 1);
        state.set_reason(up ? "" : "connect: refused");
    }
    return snapshot;
}

constexpr std::size_t part_bytes = 48 * 1024;

}  // namespace

Test(check_snapshot, large_snapshot_in_encodable_parts) {
    const proto::CheckSnapshot whole = many(5000, 7, false);
    proto::Envelope single;
    *single.mutable_check_snapshot() = whole;
    cr_expect(!ipc::encode(single).has_value(), "5,000 checks do not fit one message");
    const std::vector<proto::CheckSnapshot> parts = split_snapshot(whole, part_bytes);
    cr_assert_gt(parts.size(), 1u);
    int total = 0;
    for (std::size_t index = 0; index < parts.size(); ++index) {
        const proto::CheckSnapshot& part = parts[index];
        cr_expect_eq(part.part(), index);
        cr_expect_eq(part.generation(), 7u);
        cr_expect_eq(part.more(), index + 1 < parts.size());
        cr_expect_gt(part.checks_size(), 0);
        cr_expect_leq(part.ByteSizeLong(), part_bytes);
        proto::Envelope envelope;
        *envelope.mutable_check_snapshot() = part;
        cr_expect(ipc::encode(envelope).has_value(), "part %zu encodes", index);
        total += part.checks_size();
    }
    cr_expect_eq(total, 5000);
}

Test(check_snapshot, empty_and_small_snapshots_are_one_part) {
    const auto empty = split_snapshot(many(0, 3), part_bytes);
    cr_assert_eq(empty.size(), 1u);
    cr_expect_eq(empty[0].checks_size(), 0);
    cr_expect(!empty[0].more());
    cr_expect_eq(empty[0].generation(), 3u);
    const auto small = split_snapshot(many(10, 3), part_bytes);
    cr_assert_eq(small.size(), 1u);
    cr_expect_eq(small[0].checks_size(), 10);
    cr_expect(!small[0].more());
    cr_expect_eq(small[0].part(), 0u);
}

Test(check_snapshot, parts_applied_whole_then_no_changes) {
    CheckStates states;
    const std::vector<proto::CheckSnapshot> parts = split_snapshot(many(5000, 7), part_bytes);
    cr_assert_gt(parts.size(), 1u);
    for (std::size_t index = 0; index + 1 < parts.size(); ++index) {
        cr_expect(states.apply_snapshot(parts[index], TimePoint{}).empty(), "nothing before the last part");
        cr_expect_eq(states.size(), 0u);
    }
    cr_expect_eq(states.apply_snapshot(parts.back(), TimePoint{}).size(), 5000u);
    cr_expect_eq(states.size(), 5000u);
    cr_assert(states.find("web-4999.example.net:8080") != nullptr);
    cr_expect(states.find("web-0.example.net:8080")->up);
    // The same snapshot again (the 15 s anti-entropy): nothing changes, nothing flaps.
    for (const proto::CheckSnapshot& part : parts)
        cr_expect(states.apply_snapshot(part, TimePoint{}).empty());
    cr_expect_eq(states.size(), 5000u);
    // A smaller one in parts: removals are computed against the whole set.
    const std::vector<proto::CheckSnapshot> fewer = split_snapshot(many(4000, 7), part_bytes);
    cr_assert_gt(fewer.size(), 1u);
    std::vector<CheckChange> changes;
    for (const proto::CheckSnapshot& part : fewer) {
        auto got = states.apply_snapshot(part, TimePoint{});
        changes.insert(changes.end(), got.begin(), got.end());
    }
    cr_expect_eq(changes.size(), 1000u);
    for (const CheckChange& change : changes) cr_expect(change.removed);
    cr_expect_eq(states.size(), 4000u);
}

Test(check_snapshot, interrupted_snapshot_is_not_applied) {
    CheckStates states;
    for (const proto::CheckSnapshot& part : split_snapshot(many(5000, 7), part_bytes))
        states.apply_snapshot(part, TimePoint{});
    cr_assert_eq(states.size(), 5000u);
    // All DOWN, but only the first parts arrive; then a new generation (checkd
    // restarted) sends its snapshot: the first's parts are never applied.
    const std::vector<proto::CheckSnapshot> down = split_snapshot(many(5000, 7, false), part_bytes);
    cr_assert_gt(down.size(), 2u);
    cr_expect(states.apply_snapshot(down[0], TimePoint{}).empty());
    cr_expect(states.apply_snapshot(down[1], TimePoint{}).empty());
    const std::vector<proto::CheckSnapshot> restarted = split_snapshot(many(5000, 8), part_bytes);
    // The rest of the old generation, now out of place, is dropped too.
    cr_expect(states.apply_snapshot(restarted[0], TimePoint{}).empty());
    cr_expect(states.apply_snapshot(down[2], TimePoint{}).empty());
    for (std::size_t index = 1; index < restarted.size(); ++index)
        cr_expect(states.apply_snapshot(restarted[index], TimePoint{}).empty(),
                  "generation 8 is incomplete: part 0 was followed by another generation");
    cr_expect(states.find("web-0.example.net:8080")->up, "no part of the DOWN snapshot applied");
    cr_expect_eq(states.size(), 5000u);
    // The next complete snapshot of generation 8 applies; all UP: no changes.
    for (const proto::CheckSnapshot& part : restarted) cr_expect(states.apply_snapshot(part, TimePoint{}).empty());
    cr_expect_eq(states.size(), 5000u);
}

Test(check_snapshot, part_out_of_order_drops_the_gathering) {
    CheckStates states;
    const std::vector<proto::CheckSnapshot> parts = split_snapshot(many(5000, 7), part_bytes);
    cr_assert_gt(parts.size(), 2u);
    states.apply_snapshot(parts[0], TimePoint{});
    // Part 1 lost: the rest, including the last, is not applied.
    for (std::size_t index = 2; index < parts.size(); ++index)
        cr_expect(states.apply_snapshot(parts[index], TimePoint{}).empty());
    cr_expect_eq(states.size(), 0u);
    // A snapshot in one part (unchunked senders) still applies at once.
    cr_expect_eq(states.apply_snapshot(many(3, 9), TimePoint{}).size(), 3u);
    cr_expect_eq(states.size(), 3u);
}

Test(hactl_checks, pages_are_joined_and_ordered) {
    proto::ChecksReply whole;
    std::uint32_t next = 0;
    std::string error;
    proto::ChecksReply first;
    first.set_workers(4);
    first.set_worker_restarts(1);
    first.set_next_check(2);
    for (const char* state : {"UP", "UNKNOWN"}) {
        proto::CheckDetail& check = *first.add_checks();
        check.set_name(std::string("a-") + state);
        check.set_state(state);
    }
    cr_assert(hactl::join_checks_page(whole, std::move(first), next, error));
    cr_expect_eq(next, 2u);
    proto::ChecksReply second;
    second.set_workers(4);
    for (const char* state : {"DOWN", "UP"}) {
        proto::CheckDetail& check = *second.add_checks();
        check.set_name(std::string("b-") + state);
        check.set_state(state);
    }
    cr_assert(hactl::join_checks_page(whole, std::move(second), next, error));
    cr_expect_eq(next, 0u);
    cr_expect_eq(whole.workers(), 4u);
    cr_expect_eq(whole.worker_restarts(), 1u);
    cr_expect_eq(whole.next_check(), 0u);
    cr_assert_eq(whole.checks_size(), 4);
    hactl::order_checks(whole);
    const char* expected[] = {"b-DOWN", "a-UNKNOWN", "a-UP", "b-UP"};
    for (int i = 0; i < 4; ++i) cr_expect_str_eq(whole.checks(i).name().c_str(), expected[i]);
}

Test(hactl_checks, pages_that_do_not_advance_are_refused) {
    proto::ChecksReply whole;
    std::uint32_t next = 5;
    std::string error;
    proto::ChecksReply page;
    page.set_next_check(5);
    page.add_checks()->set_name("x");
    cr_expect(!hactl::join_checks_page(whole, std::move(page), next, error));
    cr_expect(!error.empty());
}
