// One VRRP instance's election (RFC 3768 §6.4, RFC 5798 §6.4): states INIT,
// BACKUP, MASTER, FAULT, the Master_Down and Adver timers, preemption, the
// owner (255) and resignation (0). Pure apart from the injected EventLoop
// (timers; a FakeClock in tests) and the Actions it asks for, so that every
// election rule is tested in microseconds.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/event_loop.h"
#include "vrrpd/address.h"
#include "vrrpd/packet.h"

namespace hakeep::vrrpd {

enum class State : std::uint8_t { init, backup, master, fault };
const char* state_name(State state);  // "INIT", "BACKUP", "MASTER", "FAULT"

// What the election asks of the world: the daemon does I/O, tests record.
class Actions {
public:
    virtual ~Actions() = default;
    virtual void send_advert(std::uint8_t priority) = 0;
    // Entering MASTER (VIPs added, gratuitous ARP / NA) and leaving it.
    virtual void take_over() = 0;
    virtual void give_up() = 0;
    // After every change_state(): notify events, sync group, logs.
    virtual void state_changed(State from, State to, const std::string& reason) = 0;
};

struct Timers {
    int version = 3;
    std::uint16_t advert_interval_centis = 100;  // our own
    std::uint8_t priority = 100;                 // effective
    std::uint16_t master_adver_interval_centis = 100;  // v3: learnt from the master

    // RFC 3768: (256 - Priority) / 256 s. RFC 5798: ((256 - Priority) ×
    // Master_Adver_Interval) / 256 centiseconds. Microseconds here.
    Duration skew_time() const;
    // 3 × (Master_)Adver_Interval + Skew_Time.
    Duration master_down_interval() const;
    Duration advert_interval() const;
};

struct Counters {
    std::uint64_t adverts_sent = 0;
    std::uint64_t adverts_received = 0;
    std::uint64_t priority_zero_sent = 0;
    std::uint64_t priority_zero_received = 0;
    std::uint64_t became_master = 0;
    std::uint64_t released_master = 0;
    std::uint64_t transitions = 0;
    std::array<std::uint64_t, static_cast<std::size_t>(DropReason::count)> drops{};
};

struct ElectionConfig {
    std::string name;
    int version = 3;
    std::uint16_t advert_interval_centis = 100;
    std::uint8_t base_priority = 100;
    bool start_as_master = false;   // state MASTER
    bool preempt = true;            // nopreempt: false
    Duration preempt_delay{0};
};

class StateMachine {
public:
    StateMachine(EventLoop& loop, Actions& actions, ElectionConfig config);
    ~StateMachine();
    StateMachine(const StateMachine&) = delete;
    StateMachine& operator=(const StateMachine&) = delete;

    // INIT -> BACKUP (or MASTER for the owner, or FAULT if `faulty`).
    void start(bool faulty);
    // A valid advert for our VRID (parsed and checked already).
    void advert_received(const Advert& advert, const Address& source);
    // Trackers: FAULT while `faulty`; priority 1..255.
    void set_fault(bool faulty, const std::string& reason);
    void set_priority(std::uint8_t priority);
    // hactl set-priority: a MASTER sends an advert with its priority now and
    // restarts its Adver_Timer, so the backups judge the new priority at once
    // (one that now beats it lets its down timer run out and, if it
    // preempts, takes over). Nothing in other states.
    void advertise_now();
    // hactl resign: priority-0 advert, BACKUP until the next transition is due.
    void resign(const std::string& reason);
    // Sync group: move with the group (no-op in FAULT or when already there).
    void follow_group(State to, const std::string& reason);
    // Graceful stop: priority-0 advert if MASTER, VIPs removed, INIT.
    void stop(const std::string& reason);
    // Reload: a new configuration for the same instance, without a flap.
    void reconfigure(const ElectionConfig& config);
    void set_local_address(const Address& address) { local_address_ = address; }

    State state() const { return state_; }
    std::uint8_t priority() const { return timers_.priority; }
    const Timers& timers() const { return timers_; }
    Counters& counters() { return counters_; }
    const Counters& counters() const { return counters_; }
    const std::optional<Address>& master_address() const { return master_address_; }
    // The priority the master we follow advertised; empty when unknown or we are master.
    std::optional<std::uint8_t> master_priority() const { return master_priority_; }
    const std::string& last_reason() const { return last_reason_; }
    std::optional<TimePoint> last_transition() const { return last_transition_; }
    const ElectionConfig& config() const { return config_; }
    std::optional<TimePoint> master_down_deadline() const { return down_deadline_; }

private:
    void change_state(State to, const std::string& reason);
    void become_master(const std::string& reason);
    void become_backup(const std::string& reason, Duration down_after);
    void send_advert(std::uint8_t priority);
    void arm_advert_timer();
    void arm_down_timer(Duration after);
    void cancel_timers();
    void on_down_timer();
    void on_advert_timer();
    void backup_received(const Advert& advert, const Address& source);
    void master_received(const Advert& advert, const Address& source);

    EventLoop& loop_;
    Actions& actions_;
    ElectionConfig config_;
    Timers timers_;
    Counters counters_;
    State state_ = State::init;
    bool faulty_ = false;
    std::optional<EventLoop::TimerId> advert_timer_;
    std::optional<EventLoop::TimerId> down_timer_;
    std::optional<TimePoint> down_deadline_;
    std::optional<TimePoint> preempt_after_;  // preempt_delay running since a lower master
    std::optional<Address> local_address_;
    std::optional<Address> master_address_;
    std::optional<std::uint8_t> master_priority_;
    std::string last_reason_;
    std::optional<TimePoint> last_transition_;
};

}  // namespace hakeep::vrrpd
