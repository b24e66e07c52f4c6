#!/bin/bash
# Tracking weights and sync groups end to end (issue 3, DESIGN.md §3,
# keepalived-features §1.2), through track_file (value × weight, read every
# second): a negative weight that keeps the master above the backup changes
# nothing, a larger one hands over, and clearing it preempts back; a positive
# weight on the backup likewise, both outcomes. vrrp_sync_group: a FAULT in
# one member (track_file weight 0) faults the whole group on that node, and the
# peer takes every member; clearing it brings the group back together.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a b
instance() { # NAME VRID PRIO VIP [EXTRA...]
  local name=$1 vrid=$2 prio=$3 vip=$4 line
  shift 4
  echo "vrrp_instance $name {"
  echo "    interface eth0"; echo "    virtual_router_id $vrid"; echo "    version 3"
  echo "    priority $prio"; echo "    advert_int 0.1"
  echo "    virtual_ipaddress {"; echo "        $vip"; echo "    }"
  for line in "$@"; do echo "    $line"; done
  echo "}"
}
setf() { echo "$2" >"$HK_TMP/$1.tmp" && chmod 0644 "$HK_TMP/$1.tmp" && mv -f "$HK_TMP/$1.tmp" "$HK_TMP/$1"; }
prio() { vr_field "$1" "${2:-VI_1}" 'i["effective_priority"]'; }
expect() { # WHAT STATE_A STATE_B [INSTANCE]
  hk_wait_for "vr_is a ${4:-VI_1} $2 && vr_is b ${4:-VI_1} $3" 3 ||
    hk_fail "$1: expected a=$2 b=$3, got a=$(vr_state a "${4:-VI_1}") b=$(vr_state b "${4:-VI_1}")"
}

# ---- weights
setf fa 0
setf fb 0
instance VI_1 51 110 192.0.2.100/24 "track_file {" "    $HK_TMP/fa weight -5" "}" | vr_conf a
instance VI_1 51 100 192.0.2.100/24 "track_file {" "    $HK_TMP/fb weight 5" "}" | vr_conf b
vr_start a
vr_start b
expect "start" MASTER BACKUP

# Negative weight, no switch: 110 - 5 = 105 > 100.
setf fa 1
hk_wait_for '[[ $(prio a) == 105 ]]' 3 || hk_fail "a's priority should be 105, is $(prio a)"
sleep 0.6
expect "weight -5 on the master (105 > 100)" MASTER BACKUP
# Negative weight, switch: 110 - 4 × 5 = 90 < 100.
setf fa 4
hk_wait_for '[[ $(prio a) == 90 ]]' 3 || hk_fail "a's priority should be 90, is $(prio a)"
expect "weight -20 on the master (90 < 100)" BACKUP MASTER
hk_wait_for 'vr_has b 192.0.2.100 && ! vr_has a 192.0.2.100' 2 || hk_fail "the VIP did not follow the weight"
setf fa 0
expect "weight cleared: a (110) preempts back" MASTER BACKUP
# Positive weight, no switch: 100 + 5 = 105 < 110.
setf fb 1
hk_wait_for '[[ $(prio b) == 105 ]]' 3 || hk_fail "b's priority should be 105, is $(prio b)"
sleep 0.6
expect "weight +5 on the backup (105 < 110)" MASTER BACKUP
# Positive weight, switch: 100 + 3 × 5 = 115 > 110.
setf fb 3
hk_wait_for '[[ $(prio b) == 115 ]]' 3 || hk_fail "b's priority should be 115, is $(prio b)"
expect "weight +15 on the backup (115 > 110)" BACKUP MASTER
hk_stop_daemon a vrrpd
hk_stop_daemon b vrrpd
echo "ok: weights in both signs, switch and no switch"

# ---- sync group
setf fault 0
for host in a b; do
  if [[ $host == a ]]; then p=110; else p=100; fi
  {
    echo "vrrp_sync_group G {"; echo "    group {"; echo "        VI_1"; echo "        VI_2"; echo "    }"; echo "}"
    instance VI_1 51 $p 192.0.2.100/24
    if [[ $host == a ]]; then
      instance VI_2 52 $p 192.0.2.101/24 "track_file {" "    $HK_TMP/fault weight 0" "}"
    else
      instance VI_2 52 $p 192.0.2.101/24
    fi
  } | vr_conf $host
done
vr_start a
vr_start b
expect "sync group start, VI_1" MASTER BACKUP VI_1
expect "sync group start, VI_2" MASTER BACKUP VI_2
setf fault 1
expect "VI_2 faulted on a" FAULT MASTER VI_2
expect "VI_1 follows its group into FAULT on a" FAULT MASTER VI_1
hk_assert_match "sync group G" "$(vr_field a VI_1 'i["fault_reason"]')" "a's VI_1 fault reason"
hk_wait_for 'vr_has b 192.0.2.100 && vr_has b 192.0.2.101' 2 || hk_fail "b did not take both VIPs"
vr_has a 192.0.2.100 && hk_fail "a kept VI_1's VIP in FAULT"
setf fault 0
expect "fault cleared, VI_2" MASTER BACKUP VI_2
expect "fault cleared, VI_1" MASTER BACKUP VI_1
hk_wait_for '! vr_has b 192.0.2.100 && ! vr_has b 192.0.2.101' 2 || hk_fail "b kept VIPs after a came back"
echo "ok: sync group faults and recovers together"
