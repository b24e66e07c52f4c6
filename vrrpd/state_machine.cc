#include "vrrpd/state_machine.h"

#include <algorithm>
#include <iterator>

#include "common/log.h"

namespace hakeep::vrrpd {
namespace {

using std::chrono::microseconds;

// The transitions an election may make; anything else is a bug, logged and refused.
struct Transition {
    State from;
    State to;
};
constexpr Transition allowed[] = {
    {State::init, State::backup},   {State::init, State::master},   {State::init, State::fault},
    {State::backup, State::master}, {State::backup, State::fault},  {State::backup, State::init},
    {State::master, State::backup}, {State::master, State::fault},  {State::master, State::init},
    {State::fault, State::backup},  {State::fault, State::master},  {State::fault, State::init},
};

bool is_allowed(State from, State to) {
    return std::any_of(std::begin(allowed), std::end(allowed),
                       [&](const Transition& t) { return t.from == from && t.to == to; });
}

constexpr std::uint8_t priority_owner = 255;
constexpr std::uint8_t priority_resign = 0;

}  // namespace

const char* state_name(State state) {
    switch (state) {
    case State::init: return "INIT";
    case State::backup: return "BACKUP";
    case State::master: return "MASTER";
    case State::fault: return "FAULT";
    }
    return "?";
}

Duration Timers::skew_time() const {
    const long long weight = 256 - priority;
    if (version == 2) return microseconds(weight * 1'000'000 / 256);
    return microseconds(weight * master_adver_interval_centis * 10'000 / 256);
}

Duration Timers::advert_interval() const { return microseconds(advert_interval_centis * 10'000LL); }

Duration Timers::master_down_interval() const {
    const long long interval = version == 2 ? advert_interval_centis : master_adver_interval_centis;
    return microseconds(3 * interval * 10'000) + skew_time();
}

StateMachine::StateMachine(EventLoop& loop, Actions& actions, ElectionConfig config)
    : loop_(loop), actions_(actions), config_(std::move(config)) {
    timers_.version = config_.version;
    timers_.advert_interval_centis = config_.advert_interval_centis;
    timers_.master_adver_interval_centis = config_.advert_interval_centis;
    timers_.priority = config_.base_priority;
}

StateMachine::~StateMachine() { cancel_timers(); }

void StateMachine::change_state(State to, const std::string& reason) {
    const State from = state_;
    if (from == to) return;
    if (!is_allowed(from, to)) {
        HK_LOG_ERROR("%s: refused transition %s -> %s (%s)", config_.name.c_str(),
                     state_name(from), state_name(to), reason.c_str());
        return;
    }
    HK_LOG_NOTICE("%s: %s -> %s (%s)", config_.name.c_str(), state_name(from), state_name(to),
                  reason.c_str());
    state_ = to;
    ++counters_.transitions;
    last_reason_ = reason;
    last_transition_ = loop_.now();
    if (from == State::master) {
        ++counters_.released_master;
        actions_.give_up();
    }
    if (to == State::master) {
        ++counters_.became_master;
        master_address_ = local_address_;
        master_priority_.reset();
        actions_.take_over();
    }
    actions_.state_changed(from, to, reason);
}

void StateMachine::send_advert(std::uint8_t priority) {
    ++counters_.adverts_sent;
    if (priority == priority_resign) ++counters_.priority_zero_sent;
    actions_.send_advert(priority);
}

void StateMachine::cancel_timers() {
    if (advert_timer_) loop_.cancel(*advert_timer_);
    if (down_timer_) loop_.cancel(*down_timer_);
    advert_timer_.reset();
    down_timer_.reset();
    down_deadline_.reset();
}

void StateMachine::arm_advert_timer() {
    if (advert_timer_) loop_.cancel(*advert_timer_);
    advert_timer_ = loop_.schedule(timers_.advert_interval(), [this] { on_advert_timer(); });
}

void StateMachine::arm_down_timer(Duration after) {
    if (down_timer_) loop_.cancel(*down_timer_);
    down_deadline_ = loop_.now() + after;
    down_timer_ = loop_.schedule(after, [this] { on_down_timer(); });
}

void StateMachine::on_advert_timer() {
    advert_timer_.reset();
    if (state_ != State::master) return;
    send_advert(timers_.priority);
    arm_advert_timer();
}

void StateMachine::on_down_timer() {
    down_timer_.reset();
    down_deadline_.reset();
    if (state_ == State::backup) become_master("master down timer expired");
}

void StateMachine::become_master(const std::string& reason) {
    cancel_timers();
    preempt_after_.reset();
    // RFC: send an advert first, then broadcast the gratuitous ARPs (take_over).
    send_advert(timers_.priority);
    change_state(State::master, reason);
    arm_advert_timer();
}

void StateMachine::become_backup(const std::string& reason, Duration down_after) {
    if (advert_timer_) loop_.cancel(*advert_timer_);
    advert_timer_.reset();
    change_state(State::backup, reason);
    arm_down_timer(down_after);
}

void StateMachine::start(bool faulty) {
    faulty_ = faulty;
    if (state_ != State::init) return;
    if (faulty_) {
        change_state(State::fault, "starting with a fault");
    } else if (timers_.priority == priority_owner) {
        become_master("priority 255: address owner");
    } else if (config_.start_as_master) {
        become_master("state MASTER configured");
    } else {
        timers_.master_adver_interval_centis = timers_.advert_interval_centis;
        become_backup("started", timers_.master_down_interval());
    }
}

void StateMachine::advert_received(const Advert& advert, const Address& source) {
    ++counters_.adverts_received;
    if (advert.priority == priority_resign) ++counters_.priority_zero_received;
    if (state_ == State::backup) backup_received(advert, source);
    else if (state_ == State::master) master_received(advert, source);
}

void StateMachine::backup_received(const Advert& advert, const Address& source) {
    if (advert.priority == priority_resign) {
        arm_down_timer(timers_.skew_time());  // the master resigned: take over after skew
        return;
    }
    bool accept = !config_.preempt || advert.priority >= timers_.priority;
    if (!accept && config_.preempt_delay.count() > 0) {
        // keepalived's preempt_delay: a lower master stays master this long.
        if (!preempt_after_) preempt_after_ = loop_.now() + config_.preempt_delay;
        accept = loop_.now() < *preempt_after_;
    }
    if (!accept) return;  // lower priority and we preempt: let the down timer run out
    if (timers_.version == 3) timers_.master_adver_interval_centis = advert.interval_centis;
    master_address_ = source;
    master_priority_ = advert.priority;
    arm_down_timer(timers_.master_down_interval());
}

void StateMachine::master_received(const Advert& advert, const Address& source) {
    if (advert.priority == priority_resign) {
        send_advert(timers_.priority);  // assert mastership at once
        arm_advert_timer();
        return;
    }
    const bool higher = advert.priority > timers_.priority ||
                        (advert.priority == timers_.priority && local_address_ &&
                         source > *local_address_);
    if (higher) {
        if (timers_.version == 3) timers_.master_adver_interval_centis = advert.interval_centis;
        master_address_ = source;
        master_priority_ = advert.priority;
        become_backup("higher priority advert from " + source.to_string() + " (" +
                          std::to_string(advert.priority) + ")",
                      timers_.master_down_interval());
        return;
    }
    // A lower one believes it is master: answer now (RFC 9568; keepalived's default).
    send_advert(timers_.priority);
    arm_advert_timer();
}

void StateMachine::set_fault(bool faulty, const std::string& reason) {
    if (faulty == faulty_) return;
    faulty_ = faulty;
    if (state_ == State::init) return;  // start() decides
    if (faulty) {
        if (state_ == State::master) send_advert(priority_resign);
        cancel_timers();
        change_state(State::fault, reason);
        return;
    }
    if (state_ != State::fault) return;
    if (timers_.priority == priority_owner) {
        become_master(reason + "; priority 255: address owner");
    } else {
        timers_.master_adver_interval_centis = timers_.advert_interval_centis;
        become_backup(reason, timers_.master_down_interval());
    }
}

void StateMachine::set_priority(std::uint8_t priority) {
    if (priority == timers_.priority) return;
    HK_LOG_INFO("%s: effective priority %u -> %u", config_.name.c_str(), timers_.priority, priority);
    timers_.priority = priority;
}

void StateMachine::advertise_now() {
    if (state_ != State::master) return;
    send_advert(timers_.priority);
    arm_advert_timer();
}

void StateMachine::resign(const std::string& reason) {
    if (state_ != State::master) return;
    send_advert(priority_resign);
    become_backup(reason, timers_.master_down_interval());
}

void StateMachine::follow_group(State to, const std::string& reason) {
    if (faulty_ || state_ == to || state_ == State::init || state_ == State::fault) return;
    if (to == State::master) become_master(reason);
    else if (to == State::backup) become_backup(reason, timers_.master_down_interval());
}

void StateMachine::stop(const std::string& reason) {
    if (state_ == State::master) send_advert(priority_resign);
    cancel_timers();
    change_state(State::init, reason);
}

void StateMachine::reconfigure(const ElectionConfig& config) {
    const bool interval_changed = config.advert_interval_centis != config_.advert_interval_centis;
    config_ = config;
    timers_.version = config.version;
    timers_.advert_interval_centis = config.advert_interval_centis;
    if (interval_changed && state_ == State::master) arm_advert_timer();
}

}  // namespace hakeep::vrrpd
