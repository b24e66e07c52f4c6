// vrrpd/state_machine: every election rule of RFC 3768 / RFC 5798 §6.4 with a
// FakeClock, so that seconds of VRRP time pass in microseconds.
#include <criterion/criterion.h>

#include <vector>

#include "vrrpd/state_machine.h"

using namespace hakeep;
using namespace hakeep::vrrpd;
using std::chrono::microseconds;
using std::chrono::milliseconds;

namespace {

struct Recorder final : Actions {
    std::vector<int> adverts;  // priorities sent
    int take_overs = 0;
    int give_ups = 0;
    std::vector<std::string> transitions;
    void send_advert(std::uint8_t priority) override { adverts.push_back(priority); }
    void take_over() override { ++take_overs; }
    void give_up() override { ++give_ups; }
    void state_changed(State from, State to, const std::string& reason) override {
        transitions.push_back(std::string(state_name(from)) + "->" + state_name(to) + " " + reason);
    }
};

struct Lab {
    FakeClock clock;
    EventLoop loop{clock};
    Recorder actions;
    StateMachine machine;
    explicit Lab(ElectionConfig config) : machine(loop, actions, std::move(config)) {
        machine.set_local_address(*Address::parse("192.0.2.11"));
    }
    void advance(Duration by) {
        // Step in small slices so timers fire at their own deadline.
        const TimePoint end = clock.now() + by;
        while (auto next = loop.next_deadline()) {
            if (*next > end) break;
            clock.set(std::max(*next, clock.now()));
            loop.run_due_timers();
        }
        clock.set(end);
        loop.run_due_timers();
    }
    void receive(int priority, const char* from = "192.0.2.12", int interval_centis = 100,
                 int version = 3) {
        Advert advert;
        advert.version = version;
        advert.vrid = 51;
        advert.priority = static_cast<std::uint8_t>(priority);
        advert.interval_centis = static_cast<std::uint16_t>(interval_centis);
        machine.advert_received(advert, *Address::parse(from));
    }
};

ElectionConfig v3(int priority = 100, int interval = 100) {
    ElectionConfig config;
    config.name = "VI_1";
    config.version = 3;
    config.base_priority = static_cast<std::uint8_t>(priority);
    config.advert_interval_centis = static_cast<std::uint16_t>(interval);
    return config;
}

ElectionConfig v2(int priority = 100, int seconds = 1) {
    ElectionConfig config = v3(priority, seconds * 100);
    config.version = 2;
    return config;
}

}  // namespace

Test(vrrp_state, timers_exactly_per_rfc) {
    Timers t;
    t.version = 2;
    t.priority = 100;
    t.advert_interval_centis = 100;
    cr_expect_eq(t.skew_time(), microseconds(609375), "v2 skew: (256-100)/256 s");
    cr_expect_eq(t.master_down_interval(), microseconds(3609375), "keepalived-features §5 example");
    t.advert_interval_centis = 300;
    cr_expect_eq(t.skew_time(), microseconds(609375), "v2 skew does not scale with advert_int");
    cr_expect_eq(t.master_down_interval(), microseconds(9609375));
    t.version = 3;
    t.master_adver_interval_centis = 1;  // advert_int 0.01
    cr_expect_eq(t.skew_time(), microseconds(6093), "v3 skew: (256-100)*1cs/256");
    cr_expect_eq(t.master_down_interval(), microseconds(36093));
    t.priority = 254;
    t.master_adver_interval_centis = 100;
    cr_expect_eq(t.skew_time(), microseconds(7812));
    t.priority = 255;
    cr_expect_eq(t.skew_time(), microseconds(3906));
}

Test(vrrp_state, backup_becomes_master_after_master_down_interval) {
    Lab lab(v3());
    lab.machine.start(false);
    cr_expect(lab.machine.state() == State::backup);
    cr_expect(lab.actions.adverts.empty());
    lab.advance(microseconds(3609374));
    cr_expect(lab.machine.state() == State::backup, "not one microsecond early");
    lab.advance(microseconds(1));
    cr_expect(lab.machine.state() == State::master);
    cr_expect_eq(lab.actions.take_overs, 1);
    cr_expect_eq(lab.actions.adverts.size(), 1u, "an advert at once on becoming master");
    lab.advance(milliseconds(1000));
    cr_expect_eq(lab.actions.adverts.size(), 2u, "then one per advert_int");
    cr_expect_eq(lab.actions.transitions.back(), "BACKUP->MASTER master down timer expired");
    cr_expect_eq(lab.machine.counters().transitions, 2u);
}

Test(vrrp_state, adverts_from_a_higher_master_keep_a_backup) {
    Lab lab(v3(100));
    lab.machine.start(false);
    for (int i = 0; i < 10; ++i) {
        lab.advance(milliseconds(1000));
        lab.receive(110);
    }
    cr_expect(lab.machine.state() == State::backup);
    cr_expect(*lab.machine.master_address() == *Address::parse("192.0.2.12"));
    // Equal priority: a backup never preempts (RFC: >= local priority).
    for (int i = 0; i < 10; ++i) {
        lab.advance(milliseconds(1000));
        lab.receive(100, "192.0.2.1");
    }
    cr_expect(lab.machine.state() == State::backup);
}

Test(vrrp_state, preempt_a_lower_master) {
    Lab lab(v3(120));
    lab.machine.start(false);
    for (int i = 0; i < 4; ++i) {
        lab.advance(milliseconds(1000));
        lab.receive(100);
    }
    cr_expect(lab.machine.state() == State::master, "lower adverts are ignored: the timer ran out");
}

Test(vrrp_state, nopreempt_keeps_a_lower_master) {
    ElectionConfig config = v3(120);
    config.preempt = false;
    Lab lab(config);
    lab.machine.start(false);
    for (int i = 0; i < 20; ++i) {
        lab.advance(milliseconds(1000));
        lab.receive(100);
    }
    cr_expect(lab.machine.state() == State::backup);
}

Test(vrrp_state, preempt_delay) {
    ElectionConfig config = v3(120);
    config.preempt_delay = std::chrono::seconds(10);
    Lab lab(config);
    lab.machine.start(false);
    for (int i = 0; i < 9; ++i) {
        lab.advance(milliseconds(1000));
        lab.receive(100);
    }
    cr_expect(lab.machine.state() == State::backup, "a lower master stays for preempt_delay");
    for (int i = 0; i < 6; ++i) {
        lab.advance(milliseconds(1000));
        lab.receive(100);
    }
    cr_expect(lab.machine.state() == State::master);
}

Test(vrrp_state, priority_zero_means_take_over_after_skew) {
    Lab lab(v3(100));
    lab.machine.start(false);
    lab.advance(milliseconds(500));
    lab.receive(110);
    lab.advance(milliseconds(500));
    lab.receive(0);
    lab.advance(microseconds(609374));
    cr_expect(lab.machine.state() == State::backup);
    lab.advance(microseconds(1));
    cr_expect(lab.machine.state() == State::master);
    cr_expect_eq(lab.machine.counters().priority_zero_received, 1u);
}

Test(vrrp_state, owner_starts_as_master_and_stays) {
    Lab lab(v3(255));
    lab.machine.start(false);
    cr_expect(lab.machine.state() == State::master);
    cr_expect_eq(lab.actions.adverts.at(0), 255);
}

Test(vrrp_state, state_master_starts_as_master_and_yields_to_a_higher_one) {
    ElectionConfig config = v3(100);
    config.start_as_master = true;
    Lab lab(config);
    lab.machine.start(false);
    cr_expect(lab.machine.state() == State::master);
    lab.receive(150);
    cr_expect(lab.machine.state() == State::backup);
    cr_expect_eq(lab.actions.give_ups, 1);
}

Test(vrrp_state, tie_break_on_the_higher_primary_address) {
    ElectionConfig config = v3(100);
    config.start_as_master = true;
    Lab lab(config);  // we are 192.0.2.11
    lab.machine.start(false);
    const std::size_t sent = lab.actions.adverts.size();
    lab.receive(100, "192.0.2.10");
    cr_expect(lab.machine.state() == State::master, "a lower address loses");
    cr_expect_eq(lab.actions.adverts.size(), sent + 1, "and is answered at once");
    lab.receive(100, "192.0.2.12");
    cr_expect(lab.machine.state() == State::backup, "a higher address wins");
}

Test(vrrp_state, master_answers_a_resigning_master) {
    ElectionConfig config = v3(100);
    config.start_as_master = true;
    Lab lab(config);
    lab.machine.start(false);
    const std::size_t sent = lab.actions.adverts.size();
    lab.receive(0);
    cr_expect(lab.machine.state() == State::master);
    cr_expect_eq(lab.actions.adverts.size(), sent + 1);
}

Test(vrrp_state, v3_backup_learns_the_master_interval) {
    Lab lab(v3(100, 100));
    lab.machine.start(false);
    lab.receive(200, "192.0.2.12", 200);
    cr_expect_eq(lab.machine.timers().master_adver_interval_centis, 200);
    // 3 × 2 s + (156 × 200 / 256) cs = 7.21875 s
    cr_expect_eq(*lab.machine.master_down_deadline() - lab.clock.now(), microseconds(7218750));
    lab.advance(microseconds(7218749));
    cr_expect(lab.machine.state() == State::backup);
    lab.advance(microseconds(1));
    cr_expect(lab.machine.state() == State::master);
}

Test(vrrp_state, v2_does_not_learn) {
    Lab lab(v2(100, 1));
    lab.machine.start(false);
    lab.receive(200, "192.0.2.12", 100, 2);
    cr_expect_eq(*lab.machine.master_down_deadline() - lab.clock.now(), microseconds(3609375));
}

Test(vrrp_state, fault_resigns_a_master_and_recovers_as_backup) {
    Lab lab(v3(100));
    lab.machine.start(false);
    lab.advance(std::chrono::seconds(4));
    cr_expect(lab.machine.state() == State::master);
    lab.machine.set_fault(true, "track_interface eth1 down");
    cr_expect(lab.machine.state() == State::fault);
    cr_expect_eq(lab.actions.adverts.back(), 0, "priority-0 advert on leaving MASTER");
    cr_expect_eq(lab.actions.give_ups, 1);
    const std::size_t sent = lab.actions.adverts.size();
    lab.advance(std::chrono::seconds(10));
    cr_expect_eq(lab.actions.adverts.size(), sent, "silent in FAULT");
    lab.receive(50);
    cr_expect(lab.machine.state() == State::fault, "adverts change nothing in FAULT");
    lab.machine.set_fault(false, "track_interface eth1 up");
    cr_expect(lab.machine.state() == State::backup);
    cr_expect_eq(lab.actions.transitions.back(), "FAULT->BACKUP track_interface eth1 up");
}

Test(vrrp_state, start_in_fault) {
    Lab lab(v3(255));
    lab.machine.start(true);
    cr_expect(lab.machine.state() == State::fault);
    lab.machine.set_fault(false, "interface up");
    cr_expect(lab.machine.state() == State::master, "the owner goes straight to MASTER");
}

Test(vrrp_state, resign_and_stop) {
    Lab lab(v3(100));
    lab.machine.start(false);
    lab.advance(std::chrono::seconds(4));
    lab.machine.resign("hactl resign");
    cr_expect(lab.machine.state() == State::backup);
    cr_expect_eq(lab.actions.adverts.back(), 0);
    cr_expect_eq(lab.machine.last_reason(), "hactl resign");
    lab.advance(std::chrono::seconds(4));
    cr_expect(lab.machine.state() == State::master, "nobody else: master again when due");
    lab.machine.stop("stopping");
    cr_expect(lab.machine.state() == State::init);
    cr_expect_eq(lab.actions.adverts.back(), 0);
    cr_expect_eq(lab.actions.give_ups, 2);
    cr_expect_eq(lab.loop.pending_timers(), 0u);
}

Test(vrrp_state, priority_change_preempts_through_the_timer) {
    Lab lab(v3(100));
    lab.machine.start(false);
    lab.receive(110);
    lab.machine.set_priority(120);
    for (int i = 0; i < 4; ++i) {
        lab.advance(milliseconds(1000));
        lab.receive(110);
    }
    cr_expect(lab.machine.state() == State::master);
}

// hactl set-priority on a backup: nopreempt keeps a lower master.
Test(vrrp_state, priority_change_with_nopreempt_keeps_the_master) {
    ElectionConfig config = v3(100);
    config.preempt = false;
    Lab lab(config);
    lab.machine.start(false);
    lab.receive(110);
    lab.machine.set_priority(120);
    lab.machine.advertise_now();
    cr_expect(lab.actions.adverts.empty(), "a backup sends no advert");
    for (int i = 0; i < 10; ++i) {
        lab.advance(milliseconds(1000));
        lab.receive(110);
    }
    cr_expect(lab.machine.state() == State::backup);
}

// hactl set-priority on a master: its new priority goes out at once, and the
// Adver_Timer starts again from there.
Test(vrrp_state, master_advertises_a_new_priority_at_once) {
    Lab lab(v3(120));
    lab.machine.start(false);
    lab.advance(milliseconds(4000));
    cr_assert(lab.machine.state() == State::master);
    lab.advance(milliseconds(500));  // half-way to the next advert
    const std::size_t sent = lab.actions.adverts.size();
    lab.machine.set_priority(90);
    lab.machine.advertise_now();
    cr_assert_eq(lab.actions.adverts.size(), sent + 1, "one advert now");
    cr_expect_eq(lab.actions.adverts.back(), 90);
    lab.advance(milliseconds(999));
    cr_expect_eq(lab.actions.adverts.size(), sent + 1, "the next one a full advert_int later");
    lab.advance(milliseconds(1));
    cr_expect_eq(lab.actions.adverts.size(), sent + 2);
    cr_expect_eq(lab.actions.adverts.back(), 90);
    // The backup (100) it no longer beats takes over; its advert sends us back.
    lab.receive(100);
    cr_expect(lab.machine.state() == State::backup);
    cr_expect_eq(lab.actions.give_ups, 1);
}

Test(vrrp_state, follow_group) {
    Lab lab(v3(100));
    lab.machine.start(false);
    lab.machine.follow_group(State::master, "sync group G: VI_2 is MASTER");
    cr_expect(lab.machine.state() == State::master);
    lab.machine.follow_group(State::backup, "sync group G: VI_2 is BACKUP");
    cr_expect(lab.machine.state() == State::backup);
}

// hactl explain shows the master's priority: learnt from its adverts, gone
// when we become master ourselves.
Test(vrrp_state, master_priority_follows_the_master_we_obey) {
    Lab lab(v3(100));
    lab.machine.start(false);
    cr_expect_not(lab.machine.master_priority().has_value(), "unknown before any advert");
    lab.receive(110);
    cr_assert(lab.machine.master_priority().has_value());
    cr_expect_eq(*lab.machine.master_priority(), 110);
    lab.advance(milliseconds(4000));
    cr_expect(lab.machine.state() == State::master);
    cr_expect_not(lab.machine.master_priority().has_value(), "we are the master now");
    lab.receive(120, "192.0.2.13");
    cr_expect(lab.machine.state() == State::backup);
    cr_expect_eq(*lab.machine.master_priority(), 120);
}
