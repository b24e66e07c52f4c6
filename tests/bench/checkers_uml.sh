#!/bin/bash
# Health-check CPU side by side: keepalived 2.2.7's checker and checkd on the
# same TCP checks, in one User-Mode Linux guest (keepalived's checker needs
# kernel IPVS, which this host lacks). Figures, not pass/fail (issue 4,
# DESIGN.md §6: a tenth of keepalived's checker CPU for the same checks).
#
#   tests/bench/checkers_uml.sh BINDIR        (make bench runs it with build/bin)
#
# For each size (default 1,000 and 2,000 real servers): one responder in a
# namespace of the guest accepts on 250 addresses of 203.0.113.0/24 (local
# there) × SIZE/250 ports; keepalived (--check, its checker alone) runs one
# virtual_server with SIZE real servers, each with a TCP_CHECK (delay_loop 1,
# connect_timeout 1, retry 0); then checkd runs the same SIZE checks (one
# network worker: the guest has one CPU). Each runs a warm-up of
# HK_BENCH_WARMUP s (default 5), then HK_BENCH_SECONDS (default 30) measured:
# CPU seconds of all its processes (utime + stime from /proc), and for checkd
# the checks run a second (its own counter). keepalived has no such counter: at
# delay_loop 1 it should run SIZE checks a second unless its CPU share is
# near 100%, which the table shows.
#
# Environment: HK_BENCH_SIZES (default "1000 2000"), HK_BENCH_SECONDS,
# HK_BENCH_WARMUP, HK_BENCH_TIMEOUT (guest wall-clock limit, default 600 s).
set -uo pipefail

# ====================================================================== host
if [[ ${HK_BENCH_IN_GUEST:-} != 1 ]]; then
  prog=${0##*/}
  (($# == 1)) || { echo "usage: $0 BINDIR" >&2; exit 2; }
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
  . "$here/uml_bench_host.sh"
  uml_bench_bindir "$prog" "$1" checkd hactl /usr/sbin/keepalived /usr/bin/python3 /usr/bin/linux.uml
  export HK_BENCH_IN_GUEST=1 HK_BENCH_BIN=$bin HK_BENCH_DIR=$here
  export HK_BENCH_SIZES=${HK_BENCH_SIZES:-1000 2000}
  export HK_BENCH_SECONDS=${HK_BENCH_SECONDS:-30} HK_BENCH_WARMUP=${HK_BENCH_WARMUP:-5}
  uml_bench_boot "$prog" "$here/${BASH_SOURCE[0]##*/}" "${HK_BENCH_TIMEOUT:-600}" 1G
fi

# ===================================================================== guest
bin=${HK_BENCH_BIN:?}
seconds=${HK_BENCH_SECONDS:?} warmup=${HK_BENCH_WARMUP:?}
work=/tmp/bench
ns=hk-bench-chk
hz=$(getconf CLK_TCK)
mkdir -p "$work"
exec {nap_fd}<> <(:)
# Waiting with builtins only: a process start costs the guest's one CPU.
nap() { read -r -t "$1" -u "$nap_fd" _ || true; }
say() { echo "[$(date +%T)] $*"; }
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  # shellcheck disable=SC2046
  kill -KILL $(ip netns pids "$ns" 2>/dev/null) 2>/dev/null
  ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT

# tree PID: PID and all its descendants (from one `ps`: the guest's kernel
# has no /proc/PID/task/TID/children). ticks PID: their utime + stime.
tree() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END { for (p in parent) { q = p; while (q != "" && q != root && q != 0 && q != 1) q = parent[q]; if (q == root) print p } }'
}
ticks() {
  local p total=0 stat
  for p in $(tree "$1"); do
    read -r -a stat <"/proc/$p/stat" 2>/dev/null || continue
    total=$((total + stat[13] + stat[14]))
  done
  echo "$total"
}
# busy: the guest's busy jiffies so far (all CPUs: /proc/stat's first line
# without idle and iowait). Beside the per-process figures, which UML's
# tick-sampled accounting can under-count, it is the whole guest's work:
# the checker, the responder and the kernel's handshakes for both.
busy() {
  local cpu user nice system idle iowait irq softirq steal
  read -r cpu user nice system idle iowait irq softirq steal _ </proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}
# stop PID: TERM, up to 5 s to go, then KILL; reaped.
stop() {
  local i
  kill -TERM "$1" 2>/dev/null
  for ((i = 0; i < 50; i++)); do kill -0 "$1" 2>/dev/null || break; nap 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cpu_s() { printf '%d.%02d' $(($1 / hz)) $((($1 % hz) * 100 / hz)); }

ip netns add "$ns"
ip -n "$ns" link set lo up
# Every address of 203.0.113.0/24 is local in the namespace (AnyIP).
ip -n "$ns" route add local 203.0.113.0/24 dev lo
ip netns exec "$ns" sysctl -q -w net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=8192


# keepalived 2.2.7 keeps runtime files in /run/keepalived (built in).
mkdir -p "$work/kd-run" /run/keepalived && mount --bind "$work/kd-run" /run/keepalived

rows=()
for size in $HK_BENCH_SIZES; do
  ports=$((size / 250))
  ((ports >= 1)) || ports=1
  n=$((250 * ports))
  ip netns exec "$ns" python3 "$HK_BENCH_DIR/responder.py" 10001 "$ports" &
  responder=$!
  pids+=("$responder")
  nap 1

  # ---------------------------------------------------------------- keepalived
  {
    echo 'global_defs { router_id bench }'
    echo 'virtual_server 192.0.2.100 80 {'
    echo '    delay_loop 1'
    echo '    lb_algo rr'
    echo '    lb_kind NAT'
    echo '    protocol TCP'
    for ((a = 1; a <= 250; a++)); do
      for ((p = 10001; p < 10001 + ports; p++)); do
        # keepalived reads one keyword a line: no blocks on one line.
        printf '    real_server 203.0.113.%d %d {\n        weight 1\n        TCP_CHECK {\n            connect_timeout 1\n            retry 0\n        }\n    }\n' "$a" "$p"
      done
    done
    echo '}'
  } >"$work/keepalived.conf"
  say "keepalived 2.2.7, $n real servers with TCP_CHECK"
  ip netns exec "$ns" keepalived -f "$work/keepalived.conf" --dont-fork --log-console --no-syslog --check \
    -p "$work/keepalived.pid" -c "$work/checkers.pid" -r "$work/vrrp.pid" -b "$work/bfd.pid" \
    >"$work/keepalived-$n.log" 2>&1 &
  kd=$!
  pids+=("$kd")
  nap "$warmup"
  kb0=$(busy) k0=$(ticks "$kd")
  nap "$seconds"
  k1=$(ticks "$kd") kb1=$(busy)
  kalive=yes
  kill -0 "$kd" 2>/dev/null || kalive="no: $(tail -2 "$work/keepalived-$n.log" | tr '\n' ' ')"
  stop "$kd"
  ip netns exec "$ns" ipvsadm -C 2>/dev/null
  k_ticks=$((k1 - k0))
  say "  keepalived: $(cpu_s "$k_ticks") CPU-s in $seconds s (running to the end: $kalive)"

  # ---------------------------------------------------------------- checkd
  {
    printf 'global_defs {\n    vrrpd_user nobody\n    ipvsd_user nobody\n    checkd_user nobody\n}\n'
    echo 'network_workers 1'
    for ((a = 1; a <= 250; a++)); do
      for ((p = 10001; p < 10001 + ports; p++)); do
        echo "check t${a}_$p { address 203.0.113.$a $p  delay_loop 1  TCP_CHECK { connect_timeout 1  retry 0 } }"
      done
    done
  } >"$work/checkd.conf"
  chmod 0644 "$work/checkd.conf"
  sock=$work/sock-$n
  say "checkd, the same $n checks"
  ip netns exec "$ns" "$bin/checkd" -f "$work/checkd.conf" --socket-dir "$sock" --user nobody \
    >"$work/checkd-$n.log" 2>&1 &
  cd_pid=$!
  pids+=("$cd_pid")
  # runs: checkd's counter of checks run ("?" if it did not answer: a
  # saturated guest CPU). hactl exits 1 here anyway: vrrpd and ipvsd are
  # not running.
  runs() {
    local status
    status=$("$bin/hactl" --socket-dir "$sock" --json status 2>/dev/null)
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(next(x for x in d["daemons"] if x["name"]=="checkd")["counters"]["runs"])' \
      <<<"$status" 2>/dev/null || echo '?'
  }
  nap "$warmup"
  # The counter is read by a query that takes a while to start in the guest:
  # the rate is over the time between the two queries' starts.
  ta=$EPOCHREALTIME r0=$(runs) cb0=$(busy) c0=$(ticks "$cd_pid")
  nap "$seconds"
  c1=$(ticks "$cd_pid") cb1=$(busy) tb=$EPOCHREALTIME r1=$(runs)
  calive=yes
  kill -0 "$cd_pid" 2>/dev/null || calive="no: $(tail -2 "$work/checkd-$n.log" | tr '\n' ' ')"
  stop "$cd_pid"
  c_ticks=$((c1 - c0))
  c_rate='?'
  [[ $r0 == '?' || $r1 == '?' ]] || c_rate=$(python3 -c "print('%.0f' % (($r1 - $r0) / ($tb - $ta)))")
  say "  checkd: $(cpu_s "$c_ticks") CPU-s in $seconds s, $c_rate checks a second (running to the end: $calive)"

  kill -KILL "$responder" 2>/dev/null
  wait "$responder" 2>/dev/null
  ratio=$(python3 -c "print('%.1f' % ($k_ticks / $c_ticks) if $c_ticks else 'n/a')")
  rows+=("$(printf '| %5d | %6d | %8s s (%3d%% of the CPU) | %8s s (%3d%%) | %6s | %5s× | %3d%% / %3d%% |' "$n" $((n * seconds)) \
    "$(cpu_s "$k_ticks")" $((k_ticks * 100 / (hz * seconds))) "$(cpu_s "$c_ticks")" $((c_ticks * 100 / (hz * seconds))) "$c_rate" "$ratio" \
    $(((kb1 - kb0) * 100 / (hz * seconds))) $(((cb1 - cb0) * 100 / (hz * seconds))))")
done

echo
echo "TCP checks at delay_loop 1 for $seconds s in one UML guest (one CPU), after a $warmup s warm-up"
echo "| real servers | checks due | keepalived 2.2.7 checker CPU | checkd CPU | checkd checks/s | keepalived / checkd | whole guest busy, keepalived / checkd |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
