#!/bin/bash
# vrrpd elections on a two-host segment (issue 3, DESIGN.md §1): the higher
# priority wins and holds the VIP, the backup does not; graceful stop hands
# over within Skew_Time (priority-0 advert) and removes the VIP; preemption
# brings the higher priority back; SIGKILL of the master hands over within
# Master_Down_Interval; a killed vrrpd's stale VIP is removed at start-up.
# VRRPv3, advert_int 0.1 s, to keep the test short.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

hk_bridge_lab a b
conf() { # HOST PRIORITY [EXTRA]
  hk_write_config "$HK_TMP/$1.conf" <<EOF2
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority $2
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
    }
    ${3:-}
}
EOF2
}
start() { # HOST
  hk_start_daemon "$1" vrrpd -f "$HK_TMP/$1.conf" --socket-dir "$HK_TMP/sock-$1" --user nobody
}
state() { # HOST
  "$HK_BIN/hactl" --socket-dir "$HK_TMP/sock-$1" --json vrrp 2>/dev/null | hk_json 'd["instances"][0]["state"]' 2>/dev/null
}
has_vip() { hk_ns_exec "$1" ip -4 addr show dev eth0 | grep -q '192.0.2.100/24'; }

conf a 110
conf b 100
start a
start b
hk_wait_for '[[ $(state a) == MASTER && $(state b) == BACKUP ]]' 5 || hk_fail "a MASTER, b BACKUP expected; got a=$(state a) b=$(state b)"
hk_wait_for 'has_vip a' 2 || hk_fail "the master has no VIP"
has_vip b && hk_fail "the backup holds the VIP"
hk_hactl --socket-dir "$HK_TMP/sock-b" --json vrrp
hk_assert_rc 0 "hactl vrrp"
hk_assert_eq 192.0.2.11 "$(hk_json 'd["instances"][0]["master_address"]' <<<"$HK_OUT")" "master address seen by b"
hk_assert_eq 100 "$(hk_json 'd["instances"][0]["effective_priority"]' <<<"$HK_OUT")" "b's priority"
recv=$(hk_json 'd["instances"][0]["counters"]["adverts_received"]' <<<"$HK_OUT")
((recv > 0)) || hk_fail "b received no adverts"
hk_assert_eq 0 "$(hk_json 'd["instances"][0]["counters"]["dropped"]' <<<"$HK_OUT")" "drops on a clean segment"

# Graceful stop: priority 0 -> b takes over within Skew_Time (0.1 × 156/256 s ≈ 61 ms).
t0=${EPOCHREALTIME/./}
hk_stop_daemon a vrrpd
hk_wait_for 'has_vip b' 2 || hk_fail "b did not take the VIP after a's graceful stop"
took=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
echo "graceful stop: VIP on b after ${took} ms (includes polling)"
has_vip a && hk_fail "a's graceful stop left the VIP behind"
hk_assert_eq MASTER "$(state b)" "b after a stopped"
grep -q 'VI_1: MASTER -> INIT (stopping)' "$(hk_daemon_log a vrrpd)" || hk_fail "a did not log its stop"

# Preempt: a comes back with the higher priority and takes over.
start a
hk_wait_for '[[ $(state a) == MASTER && $(state b) == BACKUP ]]' 5 || hk_fail "a did not preempt; a=$(state a) b=$(state b)"
hk_wait_for '! has_vip b' 2 || hk_fail "b kept the VIP after a preempted"

# SIGKILL: no goodbye; b takes over within Master_Down_Interval (0.3 s + skew).
hk_stop_daemon a vrrpd KILL
hk_wait_for 'has_vip b' 2 || hk_fail "b did not take over after SIGKILL of a"
has_vip a || hk_fail "a killed vrrpd leaves its VIP (expected until restart)"
# Restarted as the lower priority: the stale VIP goes at start-up.
conf a 90
start a
hk_wait_for '! has_vip a' 3 || hk_fail "a's stale VIP was not removed at start-up"
hk_wait_for '[[ $(state a) == BACKUP ]]' 3 || hk_fail "a should be BACKUP at priority 90"
grep -q 'stale virtual address' "$(hk_daemon_log a vrrpd)" || hk_fail "a did not log the stale VIP removal"
hk_assert_eq MASTER "$(state b)" "b stays MASTER"
echo "ok: elections, graceful stop, preemption, SIGKILL, stale VIP"
