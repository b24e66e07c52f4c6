// hactl explain's wording, on crafted VrrpInstanceStatus replies: the
// tracker that moved the priority is named with its amount, the master and
// its priority, FAULT's cause, preemption rules, the sync group.
#include <criterion/criterion.h>

#include <string>
#include <vector>

#include "hactl/explain.h"

using namespace hakeep;
using namespace hakeep::hactl;

namespace {

proto::VrrpInstanceStatus backup_instance() {
    proto::VrrpInstanceStatus vi;
    vi.set_name("VI_1");
    vi.set_state("BACKUP");
    vi.set_interface("eth0");
    vi.set_vrid(51);
    vi.set_version(3);
    vi.set_family("inet");
    vi.set_priority(110);
    vi.set_effective_priority(90);
    vi.set_master_address("192.0.2.12");
    vi.set_master_priority(100);
    vi.set_preempt(true);
    vi.set_configured_state("BACKUP");
    vi.set_last_transition_unix_ms(1'000'000);
    vi.set_last_transition_reason("higher priority advert from 192.0.2.12 (100)");
    proto::VrrpTracker& web = *vi.add_tracker_details();
    web.set_kind("track_script");
    web.set_name("chk_web");
    web.set_weight(-20);
    web.set_up(false);
    web.set_contribution(-20);
    proto::VrrpTracker& uplink = *vi.add_tracker_details();
    uplink.set_kind("track_interface");
    uplink.set_name("eth1");
    uplink.set_weight(-10);
    uplink.set_up(true);
    return vi;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines) text += line + "\n";
    return text;
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const ExplainContext now{true, false, 1'187'000};

}  // namespace

Test(hactl_explain, names_the_tracker_that_lowered_the_priority) {
    const std::string text = joined(explain_instance(backup_instance(), now));
    cr_expect(has(text, "VI_1 is BACKUP on eth0 (VRID 51, VRRPv3, inet)."), "%s", text.c_str());
    cr_expect(
        has(text, "Priority: configured 110, effective 90 = 110 - 20 (track_script chk_web)."),
        "%s", text.c_str());
    cr_expect(has(text, "track_script chk_web (DOWN, weight -20): lowers the priority by 20."),
              "%s", text.c_str());
    cr_expect(has(text,
                  "track_interface eth1 (UP, weight -10): no effect (a negative weight counts "
                  "while it is down)."),
              "%s", text.c_str());
    cr_expect(has(text,
                  "The master is 192.0.2.12 with priority 100, higher than ours (90): this node "
                  "stays BACKUP."),
              "%s", text.c_str());
    cr_expect(has(text, "Preemption: on:"), "%s", text.c_str());
    cr_expect(has(text, "Sync group: none"), "%s", text.c_str());
    cr_expect(
        has(text,
            "Last transition 3m07s ago, to BACKUP: higher priority advert from 192.0.2.12 (100)."),
        "%s", text.c_str());
}

Test(hactl_explain, reverse_trackers_count_the_other_way) {
    proto::VrrpInstanceStatus vi = backup_instance();
    vi.mutable_tracker_details(1)->set_reverse(true);
    vi.mutable_tracker_details(1)->set_up(false);
    const std::string text = joined(explain_instance(vi, now));
    cr_expect(has(text,
                  "track_interface eth1 (DOWN, weight -10, reverse): no effect (a negative weight "
                  "with reverse "
                  "counts while it is up)."),
              "%s", text.c_str());
}

Test(hactl_explain, weight_zero_tracker_puts_it_in_fault) {
    proto::VrrpInstanceStatus vi = backup_instance();
    vi.set_state("FAULT");
    vi.set_effective_priority(110);
    vi.set_fault_reason("track_file maint is 1");
    vi.clear_tracker_details();
    proto::VrrpTracker& file = *vi.add_tracker_details();
    file.set_kind("track_file");
    file.set_name("maint");
    file.set_weight(0);
    file.set_has_value(true);
    file.set_value(1);
    file.set_faults(true);
    const std::string text = joined(explain_instance(vi, now));
    cr_expect(has(text, "FAULT because track_file maint is 1:"), "%s", text.c_str());
    cr_expect(has(text, "track_file maint (value 1, weight 0): puts the instance in FAULT."), "%s",
              text.c_str());
    cr_expect(has(text, "(no tracker moves it now)"), "%s", text.c_str());
}

Test(hactl_explain, preemption_rules_in_force) {
    proto::VrrpInstanceStatus vi = backup_instance();
    vi.set_master_priority(80);  // a lower master
    vi.set_preempt(false);
    std::string text = joined(explain_instance(vi, now));
    cr_expect(has(text, "lower than ours (90), but nopreempt: this node does not take over."), "%s",
              text.c_str());
    cr_expect(has(text, "Preemption: nopreempt"), "%s", text.c_str());
    vi.set_preempt(true);
    vi.set_preempt_delay_ms(5000);
    text = joined(explain_instance(vi, now));
    cr_expect(has(text, "preempt_delay 5.0s lets it stay master that long"), "%s", text.c_str());
    cr_expect(has(text, "accept:"), "%s", text.c_str());
}

Test(hactl_explain, sync_group_and_its_fault) {
    proto::VrrpInstanceStatus vi = backup_instance();
    vi.set_state("FAULT");
    vi.set_sync_group("G");
    vi.add_sync_group_members("VI_1");
    vi.add_sync_group_members("VI_2");
    vi.set_weights_ignored(true);
    vi.set_group_fault("sync group G: VI_2 in FAULT (track_file f is 1)");
    vi.mutable_tracker_details(0)->set_contribution(0);
    const std::string text = joined(explain_instance(vi, now));
    cr_expect(has(text, "FAULT because sync group G: VI_2 in FAULT (track_file f is 1)"), "%s",
              text.c_str());
    cr_expect(has(text, "Sync group G (VI_1, VI_2): its members change state together"), "%s",
              text.c_str());
    cr_expect(has(text, "(weight ignored in a sync group)"), "%s", text.c_str());
}

Test(hactl_explain, master_owner_and_clamping) {
    proto::VrrpInstanceStatus vi = backup_instance();
    vi.set_state("MASTER");
    vi.set_priority(250);
    vi.set_effective_priority(254);
    vi.mutable_tracker_details(0)->set_weight(20);
    vi.mutable_tracker_details(0)->set_up(true);
    vi.mutable_tracker_details(0)->set_contribution(20);
    std::string text = joined(explain_instance(vi, now));
    cr_expect(has(text, "effective 254 = 250 + 20 (track_script chk_web), clamped to 1..254."),
              "%s", text.c_str());
    cr_expect(has(text, "This node is the master, advertising priority 254."), "%s", text.c_str());
    vi.set_priority(255);
    vi.set_effective_priority(255);
    text = joined(explain_instance(vi, now));
    cr_expect(has(text, "(255: the address owner; trackers never change it)"), "%s", text.c_str());
}

// hactl set-priority: the runtime value is the base the trackers move.
Test(hactl_explain, priority_set_at_runtime) {
    proto::VrrpInstanceStatus vi = backup_instance();
    vi.set_runtime_priority(150);
    vi.set_effective_priority(130);
    const std::string text = joined(explain_instance(vi, now));
    cr_expect(has(text,
                  "Priority: configured 110, set at runtime to 150 (hactl set-priority; until vrrpd "
                  "restarts), effective 130 = 150 - 20 (track_script chk_web)."),
              "%s", text.c_str());
    const std::string json = explain_json(vi, now);
    cr_expect(has(json, "\"priority\":110,\"effective_priority\":130,\"runtime_priority\":150,"), "%s",
              json.c_str());
    const std::string unset = explain_json(backup_instance(), now);
    cr_expect(has(unset, "\"runtime_priority\":null,"), "%s", unset.c_str());
}

Test(hactl_explain, stale_checks_and_json) {
    const ExplainContext stale{false, true, 1'187'000};
    const std::string text = joined(explain_instance(backup_instance(), stale));
    cr_expect(
        has(text, "checkd is not connected: its checks are stale and count as failed (DOWN)."),
        "%s", text.c_str());
    const std::string json = explain_json(backup_instance(), now);
    cr_expect(has(json, "\"name\":\"VI_1\",\"state\":\"BACKUP\""), "%s", json.c_str());
    cr_expect(has(json, "\"master\":{\"self\":false,\"address\":\"192.0.2.12\",\"priority\":100}"),
              "%s", json.c_str());
    cr_expect(
        has(json,
            "{\"kind\":\"track_script\",\"name\":\"chk_web\",\"weight\":-20,\"reverse\":false,"
            "\"state\":\"DOWN\",\"value\":null,\"contribution\":-20,\"faults\":false}"),
        "%s", json.c_str());
    cr_expect(has(json, "\"explanation\":[\"VI_1 is BACKUP"), "%s", json.c_str());
}
