#!/bin/bash
# Failover timing bounds (issue 3, RFC 5798 §6.4): with VRRPv3 advert_int
# 0.2 s and the backup at priority 100 (Skew_Time 121.9 ms, Master_Down_Interval
# 721.9 ms), a graceful stop of the master (priority-0 advert) puts the VIP on
# the backup within Skew_Time, far sooner than any Master_Down wait could; a
# SIGKILL of the master puts it there after at least 2 × advert + skew (the
# last advert may have left up to one interval before the kill) and within
# Master_Down_Interval. Times come from `ip -ts monitor address` in the
# backup's namespace; the bounds allow 150 ms of scheduling slack on a busy
# host. Three rounds of each.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a b
for host in a b; do
  if [[ $host == a ]]; then p=110; else p=100; fi
  vr_conf $host <<EOF2
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority $p
    advert_int 0.2
    virtual_ipaddress {
        192.0.2.100/24
    }
}
EOF2
done
skew=121.9 mdi=721.9 slack=150
vr_start b
vr_monitor b
mon=$VR_MON
for sig in TERM KILL; do
  for round in 1 2 3; do
    vr_start a
    hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP && ! vr_has b 192.0.2.100' 4 ||
      hk_fail "round $round: a did not become MASTER"
    sleep 0.5
    t0=${EPOCHREALTIME/./}
    kill -$sig "$(hk_pid a vrrpd)"
    hk_wait_for 'vr_has b 192.0.2.100' 2 || hk_fail "SIG$sig round $round: b did not take the VIP"
    hk_wait_for '[[ -n $(vr_added_ms "$mon" 192.0.2.100 $t0) ]]' 1 || hk_fail "ip monitor missed the VIP"
    ms=$(vr_added_ms "$mon" 192.0.2.100 $t0)
    hk_stop_daemon a vrrpd 2>/dev/null || true
    if [[ $sig == TERM ]]; then
      lo=0 hi=$(echo "$skew + $slack" | bc)
    else
      lo=$(echo "2 * 200 + $skew - 20" | bc) hi=$(echo "$mdi + $slack" | bc)
    fi
    echo "SIG$sig round $round: VIP on the backup after $ms ms (expected $lo..$hi)"
    (( $(echo "$ms >= $lo && $ms <= $hi" | bc) )) || hk_fail "SIG$sig: $ms ms is outside $lo..$hi ms"
  done
done
echo "ok: graceful stop within Skew_Time, SIGKILL within Master_Down_Interval"
