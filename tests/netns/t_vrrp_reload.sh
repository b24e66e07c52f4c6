#!/bin/bash
# vrrpd reload (issue 3, keepalived-features §1.1): SIGHUP with an unchanged
# file removes no VIP and makes no transition on either node (ip monitor
# address sees no deletion, transition counters unchanged); with one instance
# changed (VI_2's priority lowered below the peer's) only that instance
# reacts: VI_2 moves to the peer, VI_1 does not flap. A VIP added to VI_1 on
# both nodes appears on the master and nothing else moves (the address lists
# must match on both nodes, or adverts are dropped as keepalived does). A
# removed instance gives up cleanly: priority-0 advert, VIP gone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a b
conf() { # HOST PRIO1 PRIO2 [EXTRA_VIP1] [NO_VI_2]
  {
    cat <<EOF2
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority $2
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
        ${4:-}
    }
}
EOF2
    [[ -n ${5:-} ]] || cat <<EOF2
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    version 3
    priority $3
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.101/24
    }
}
EOF2
  } | vr_conf "$1"
}
transitions() { vr_field "$1" "$2" 'i["counters"]["transitions"]'; }

conf a 110 110
conf b 100 100
vr_start a
vr_start b
hk_wait_for 'vr_is a VI_1 MASTER && vr_is a VI_2 MASTER && vr_is b VI_1 BACKUP && vr_is b VI_2 BACKUP' 5 ||
  hk_fail "a should be MASTER of both, b BACKUP of both"
hk_wait_for 'vr_has a 192.0.2.100 && vr_has a 192.0.2.101' 2 || hk_fail "a lacks its VIPs"
vr_monitor a
mon=$VR_MON
sleep 0.3
before="$(transitions a VI_1) $(transitions a VI_2) $(transitions b VI_1) $(transitions b VI_2)"

# 1. Unchanged file on both nodes: nothing moves.
kill -HUP "$(hk_pid a vrrpd)" "$(hk_pid b vrrpd)"
hk_wait_for 'grep -q "reload" "$(hk_daemon_log a vrrpd)"' 3 || hk_fail "a did not log its reload"
sleep 1
after="$(transitions a VI_1) $(transitions a VI_2) $(transitions b VI_1) $(transitions b VI_2)"
hk_assert_eq "$before" "$after" "transition counters (a VI_1, a VI_2, b VI_1, b VI_2) across an unchanged reload"
vr_deleted "$mon" 192.0.2.100 && hk_fail "an unchanged reload removed VI_1's VIP"
vr_deleted "$mon" 192.0.2.101 && hk_fail "an unchanged reload removed VI_2's VIP"
hk_assert_running a vrrpd "after SIGHUP"
echo "ok: unchanged reload: no transition, no VIP removed"

# 2. One instance changed: VI_2 drops to 90 (b's 100 wins).
t1_a=$(transitions a VI_1) t1_b=$(transitions b VI_1)
conf a 110 90
kill -HUP "$(hk_pid a vrrpd)"
hk_wait_for 'vr_is b VI_2 MASTER && vr_is a VI_2 BACKUP' 3 || hk_fail "VI_2 did not move to b after its priority dropped"
hk_wait_for 'vr_has b 192.0.2.101 && ! vr_has a 192.0.2.101' 2 || hk_fail "VI_2's VIP did not move to b"
sleep 0.5
hk_assert_eq "$t1_a" "$(transitions a VI_1)" "a's VI_1 transitions (unchanged instance)"
hk_assert_eq "$t1_b" "$(transitions b VI_1)" "b's VI_1 transitions (unchanged instance)"
hk_assert_eq MASTER "$(vr_state a VI_1)" "a's VI_1"
vr_deleted "$mon" 192.0.2.100 && hk_fail "changing VI_2 removed VI_1's VIP"
hk_assert_eq 90 "$(vr_field a VI_2 'i["effective_priority"]')" "a's VI_2 priority after reload"
echo "ok: one instance changed: only it reacted"

# 2b. A VIP added to VI_1 on both nodes: the master adds it, nothing flaps.
conf a 110 90 192.0.2.102/24
conf b 100 100 192.0.2.102/24
kill -HUP "$(hk_pid a vrrpd)" "$(hk_pid b vrrpd)"
hk_wait_for 'vr_has a 192.0.2.102' 2 || hk_fail "VI_1's added VIP is missing on a"
sleep 0.8
hk_assert_eq "$t1_a $t1_b" "$(transitions a VI_1) $(transitions b VI_1)" "VI_1 transitions after its VIP list grew"
vr_has b 192.0.2.102 && hk_fail "the backup added VI_1's new VIP"
vr_deleted "$mon" 192.0.2.100 && hk_fail "growing VI_1's VIP list removed 192.0.2.100"
echo "ok: VIP added by reload on the master, no flap"

# 3. VI_2 removed from b (its MASTER): priority-0 advert, VIP gone, a takes it back at once.
conf b 100 100 192.0.2.102/24 no_vi_2
t0=${EPOCHREALTIME/./}
kill -HUP "$(hk_pid b vrrpd)"
hk_wait_for 'vr_is a VI_2 MASTER' 2 || hk_fail "a did not take VI_2 after b removed it"
hk_wait_for '! vr_has b 192.0.2.101' 2 || hk_fail "b kept the VIP of its removed instance"
hk_assert_eq 1 "$(vr_json b | hk_json 'len(d["instances"])')" "b's instances after removing VI_2"
grep -q 'VI_2: MASTER -> INIT (removed from the configuration)' "$(hk_daemon_log b vrrpd)" ||
  hk_fail "b did not log VI_2's removal"
zero=$(vr_field a VI_2 'i["counters"]["priority_zero_received"]')
((zero >= 1)) || hk_fail "a received no priority-0 advert from the removed instance"
echo "ok: removed instance gave up cleanly ($(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms incl. polling)"
