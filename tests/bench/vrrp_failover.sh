#!/bin/bash
# VRRP failover, vrrpd side by side with keepalived 2.2.7 (DESIGN.md §6,
# issue 3). Prints figures; not a pass/fail test.
#
#   tests/bench/vrrp_failover.sh BINDIR        (make bench runs it with build/bin)
#
# Two hosts a and b on one bridge (the netns lab, tests/netns/lib.sh). Both
# pairs run at once in the same namespaces: vrrpd (VRID 51, VIP 192.0.2.100)
# and keepalived (VRID 52, VIP 192.0.2.101), a at priority 110 (master), b at
# 100. Each run kills a's side and measures, in b's namespace, the time from
# the kill to the RTM_NEWADDR of the VIP on b (vrrp_failover_probe.py: it
# subscribes to rtnetlink before it sends the signal, so the figure is kill ->
# kernel notification, with no polling). Then a's side is restarted and takes
# the VIP back before the next run. Runs alternate vrrpd / keepalived.
#
#   (a) SIGKILL of the master's VRRP process: vrrpd; keepalived's VRRP child
#       (keepalived -R: no respawn). Bound: Master_Down_Interval = 3 × advert
#       + Skew_Time (of b, priority 100), + 2 ms (DESIGN.md §6).
#   (b) graceful stop (SIGTERM; keepalived: to its parent): the priority-0
#       advert makes b wait Skew_Time only. Bound: Skew_Time + 2 ms.
#
# Settings: VRRPv3 advert_int 0.01 (HK_BENCH_RUNS runs each, default 20), and
# VRRPv2 advert_int 1 (HK_BENCH_RUNS_V2, default 5: each run waits ~3.6 s).
# Medians and p99 (nearest rank; with 20 runs, the largest), and the ratio
# vrrpd / keepalived of the medians (below 1: vrrpd is faster).
set -euo pipefail
(($# == 1)) || { echo "usage: $0 BINDIR" >&2; exit 2; }
HK_BIN=$(realpath -m -- "$1")
export HK_BIN
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
for need in "$HK_BIN/vrrpd" "$HK_BIN/hactl" /usr/sbin/keepalived /usr/bin/python3; do
  [[ -x $need ]] || { echo "vrrp_failover: $need missing (make all; make deps)" >&2; exit 2; }
done
HK_TEST_NAME=vrrp_failover
. "$here/../netns/lib.sh"
. "$here/../netns/vrrp_lib.sh"
probe=$here/vrrp_failover_probe.py
runs_v3=${HK_BENCH_RUNS:-20}
runs_v2=${HK_BENCH_RUNS_V2:-5}

hk_bridge_lab a b

# body VERSION ADVERT VRID PRIO VIP
body() {
  cat <<EOF2
vrrp_instance VI_$3 {
    interface eth0
    version $1
    advert_int $2
    virtual_router_id $3
    priority $4
    virtual_ipaddress {
        $5/24
    }
}
EOF2
}
start_vrrpd() { # HOST VERSION ADVERT
  local prio=100
  [[ $1 == a ]] && prio=110
  body "$2" "$3" 51 $prio 192.0.2.100 | vr_conf "$1"
  vr_start "$1"
}
start_keepalived() { # HOST VERSION ADVERT
  local prio=100 dir=$HK_TMP/ka-$1
  [[ $1 == a ]] && prio=110
  mkdir -p "$dir"
  rm -f "$dir"/*.pid
  { printf 'global_defs {\n    vrrp_garp_master_delay 0\n}\n'; body "$2" "$3" 52 $prio 192.0.2.101; } >"$dir/keepalived.conf"
  hk_bg "$1" /usr/sbin/keepalived -n -l -D -P -R -f "$dir/keepalived.conf" -p "$dir/keepalived.pid" \
    -r "$dir/vrrp.pid" -c "$dir/checkers.pid"
  KA_PARENT[$1]=$HK_LAST_PID
}
declare -A KA_PARENT
ka_child() { cat "$HK_TMP/ka-$1/vrrp.pid" 2>/dev/null; }
ka_has() { vr_has "$1" 192.0.2.101; }
vd_has() { vr_has "$1" 192.0.2.100; }

# stats FILE: "median p99 n" of the numbers in FILE (ms)
stats() {
  python3 - "$1" <<'EOF2'
import math, statistics, sys
v = sorted(float(x) for x in open(sys.argv[1]) if x.strip() and x.strip() != "timeout")
if not v:
    print("- - 0"); sys.exit()
p99 = v[max(0, math.ceil(0.99 * len(v)) - 1)]
print("%.2f %.2f %d" % (statistics.median(v), p99, len(v)))
EOF2
}

# measure VERSION ADVERT RUNS: fills $HK_TMP/res-VERSION-{vrrpd,keepalived}-{KILL,TERM}
measure() {
  local version=$1 advert=$2 runs=$3 wait_s i sig pid ms
  wait_s=$(python3 -c "print(max(2, 6 * $advert + 1))")
  start_vrrpd b "$version" "$advert"
  start_vrrpd a "$version" "$advert"
  start_keepalived b "$version" "$advert"
  start_keepalived a "$version" "$advert"
  hk_wait_for 'vd_has a && ka_has a && ! vd_has b && ! ka_has b && [[ -n $(ka_child a) ]]' $((2 * wait_s)) ||
    hk_fail "v$version: a did not become master of both pairs"
  for sig in KILL TERM; do
    for ((i = 1; i <= runs; i++)); do
      # vrrpd
      pid=$(hk_pid a vrrpd)
      ms=$(hk_ns_exec b python3 "$probe" 192.0.2.100 "$pid" "$sig" $((2 * wait_s))) || true
      echo "$ms" >>"$HK_TMP/res-$version-vrrpd-$sig"
      hk_stop_daemon a vrrpd KILL 2>/dev/null || true
      start_vrrpd a "$version" "$advert"
      hk_wait_for 'vd_has a && ! vd_has b' "$wait_s" || hk_fail "v$version: vrrpd on a did not take the VIP back"
      # keepalived
      if [[ $sig == KILL ]]; then pid=$(ka_child a); else pid=${KA_PARENT[a]}; fi
      ms=$(hk_ns_exec b python3 "$probe" 192.0.2.101 "$pid" "$sig" $((2 * wait_s))) || true
      echo "$ms" >>"$HK_TMP/res-$version-keepalived-$sig"
      kill -KILL "${KA_PARENT[a]}" "$(ka_child a)" 2>/dev/null || true
      wait "${KA_PARENT[a]}" 2>/dev/null || true
      hk_ns_exec a ip addr del 192.0.2.101/24 dev eth0 2>/dev/null || true
      start_keepalived a "$version" "$advert"
      hk_wait_for 'ka_has a && ! ka_has b && [[ -n $(ka_child a) ]]' "$wait_s" ||
        hk_fail "v$version: keepalived on a did not take the VIP back"
      sleep "$(python3 -c "print(3 * $advert + 0.05)")"   # let b settle as backup
    done
  done
  hk_stop_daemon a vrrpd; hk_stop_daemon b vrrpd
  kill -TERM "${KA_PARENT[a]}" "${KA_PARENT[b]}" 2>/dev/null || true
  wait "${KA_PARENT[a]}" "${KA_PARENT[b]}" 2>/dev/null || true
}

report() { # VERSION ADVERT_CENTIS
  local version=$1 centis=$2 sig skew mdi bound vd ka
  skew=$(python3 -c "c=$centis; v=$version; print(round((156/256*1000) if v == 2 else (156*c*10/256), 2))")
  mdi=$(python3 -c "print(round(3 * $centis * 10 + $skew, 2))")
  for sig in KILL TERM; do
    read -r vmed vp99 vn < <(stats "$HK_TMP/res-$version-vrrpd-$sig")
    read -r kmed kp99 kn < <(stats "$HK_TMP/res-$version-keepalived-$sig")
    if [[ $sig == KILL ]]; then bound=$(python3 -c "print(round($mdi + 2, 2))"); what="SIGKILL (a)"; else bound=$(python3 -c "print(round($skew + 2, 2))"); what="graceful (b)"; fi
    ratio=$(python3 -c "print('%.2f' % ($vmed / $kmed))" 2>/dev/null || echo -)
    printf '| v%s %-6s | %-12s | %8s | %8s | %8s | %8s | %5s | %8s | %s/%s |\n' "$version" \
      "$(python3 -c "print('%g s' % ($centis / 100))")" "$what" "$vmed" "$vp99" "$kmed" "$kp99" "$ratio" "$bound" "$vn" "$kn"
  done
}

echo "vrrp_failover: host load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, kernel $(uname -r), $(/usr/sbin/keepalived --version 2>&1 | head -1)"
measure 3 0.01 "$runs_v3"
measure 2 1 "$runs_v2"
echo
echo "Time from the kill to the VIP on the backup, ms (median, p99); ratio = vrrpd / keepalived medians"
echo
echo "| setting | fault | vrrpd median | vrrpd p99 | keepalived median | keepalived p99 | ratio | bound | runs |"
echo "|---|---|---|---|---|---|---|---|---|"
report 3 1
report 2 100
