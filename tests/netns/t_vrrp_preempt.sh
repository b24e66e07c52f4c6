#!/bin/bash
# vrrpd election rules (issue 3, keepalived-features §5): equal priority
# -> the higher primary address wins (both configured state MASTER);
# nopreempt keeps a higher-priority backup from taking over a live master;
# preempt_delay holds preemption back for its delay, then preempts; the
# address owner (priority 255) takes over at once and its priority is never
# changed by a tracker. VRRPv3, advert_int 0.1 s.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a b
conf() { # HOST PRIORITY [EXTRA...]
  local host=$1 prio=$2
  shift 2
  {
    echo "vrrp_instance VI_1 {"
    echo "    interface eth0"; echo "    virtual_router_id 51"; echo "    version 3"
    echo "    priority $prio"; echo "    advert_int 0.1"
    echo "    virtual_ipaddress {"; echo "        192.0.2.100/24"; echo "    }"
    local line
    for line in "$@"; do echo "    $line"; done
    echo "}"
  } | vr_conf "$host"
}
both_stop() { hk_stop_daemon a vrrpd; hk_stop_daemon b vrrpd; }

# 1. Tie-break: both priority 100 and state MASTER; b (192.0.2.12) > a (.11).
for first in a b; do
  conf a 100 "state MASTER"
  conf b 100 "state MASTER"
  if [[ $first == a ]]; then vr_start a; vr_start b; else vr_start b; vr_start a; fi
  hk_wait_for 'vr_is a VI_1 BACKUP && vr_is b VI_1 MASTER' 3 ||
    hk_fail "tie-break ($first started first): a=$(vr_state a) b=$(vr_state b), b (higher address) should win"
  sleep 0.5
  hk_assert_eq "BACKUP MASTER" "$(vr_state a) $(vr_state b)" "tie-break holds"
  vr_has a 192.0.2.100 && hk_fail "tie-break: the loser holds the VIP"
  hk_assert_eq 192.0.2.12 "$(vr_field a VI_1 'i["master_address"]')" "a's master address"
  both_stop
done
echo "ok: equal priority, the higher primary address wins"

# 2. nopreempt: b (100) is master; a (110, nopreempt) joins and stays BACKUP.
conf a 110 nopreempt
conf b 100
vr_start b
hk_wait_for 'vr_is b VI_1 MASTER' 3 || hk_fail "b did not become MASTER alone"
vr_start a
hk_wait_for 'vr_is a VI_1 BACKUP' 3 || hk_fail "a did not start as BACKUP"
sleep 1.5   # ~4 Master_Down_Intervals
hk_assert_eq "BACKUP MASTER" "$(vr_state a) $(vr_state b)" "nopreempt: a (110) must not preempt b (100)"
# The master gone, the nopreempt node takes over.
hk_stop_daemon b vrrpd
hk_wait_for 'vr_is a VI_1 MASTER && vr_has a 192.0.2.100' 2 || hk_fail "nopreempt: a did not take over when b stopped"
hk_stop_daemon a vrrpd
echo "ok: nopreempt"

# 3. preempt_delay 1.5: a (110) preempts b (100), but not before 1.5 s.
conf a 110 "preempt_delay 1.5"
vr_start b
hk_wait_for 'vr_is b VI_1 MASTER' 3 || hk_fail "b did not become MASTER alone"
vr_start a
hk_wait_for 'vr_is a VI_1 BACKUP' 3 || hk_fail "a did not start as BACKUP"
t0=${EPOCHREALTIME/./}
sleep 0.9
hk_assert_eq "BACKUP MASTER" "$(vr_state a) $(vr_state b)" "preempt_delay: a preempted before its delay"
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP' 3 || hk_fail "preempt_delay: a never preempted"
took=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
echo "preempt after ${took} ms (delay 1500 ms, counted from a's first lower advert)"
((took >= 1200)) || hk_fail "preempt_delay: preempted after ${took} ms, before 1.5 s"
both_stop
echo "ok: preempt_delay"

# 4. Owner: b (200) master; a (255) starts and takes over at once (no
# Master_Down wait). A failing track_file weight -50 leaves 255 as it is.
echo 1 >"$HK_TMP/down"
chmod 0644 "$HK_TMP/down"
conf a 255 "track_file {" "    $HK_TMP/down weight -50" "}"
conf b 200
vr_start b
hk_wait_for 'vr_is b VI_1 MASTER' 3 || hk_fail "b did not become MASTER alone"
vr_start a
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP' 2 || hk_fail "owner: a (255) did not take over: a=$(vr_state a) b=$(vr_state b)"
hk_assert_eq "priority 255: address owner" "$(vr_field a VI_1 'i["last_transition"]["reason"]')" "owner's reason"
hk_wait_for 'vr_field a VI_1 "i[\"trackers\"]" | grep -q "weight -50: 1"' 3 || hk_fail "owner: track_file not read"
hk_assert_eq 255 "$(vr_field a VI_1 'i["effective_priority"]')" "owner's effective priority with a failing weight"
vr_has b 192.0.2.100 && hk_fail "owner: b kept the VIP"
echo "ok: owner 255"
