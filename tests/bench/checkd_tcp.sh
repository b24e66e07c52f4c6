#!/bin/bash
# checkd benchmark (issue 4; DESIGN.md §6): 10,000 TCP checks at delay_loop 1
# against 10,000 targets (250 addresses of 203.0.113.0/24 x 40 ports) served
# by one responder, all inside one network namespace, for 60 s. Prints
# checks per second, CPU seconds per 10,000 checks and CPU as a share of one
# core (every checkd process: supervisor, launcher, workers), the RSS of
# every checkd process, the supervisor's heap (in use, held), and p50/p99
# lateness of each check's start against its schedule (checkd's own
# histogram). Figures, not a pass/fail test; README.md has the results.
#
# Then, unless BENCH_FLOOR=0, checkd is stopped and tcp_floor.c (built here
# with cc) makes the same connections at the same rate for as long, from as
# many processes as checkd had network workers, with the same system calls
# and nothing else: the floor any checker pays on this host, the responder's
# half of each loopback handshake included. BENCH_FLOOR_MODE=reuse measures
# instead sockets reset by connect(AF_UNSPEC) and reused (see tcp_floor.c).
#
#   tests/bench/checkd_tcp.sh [BINDIR]     (as root; BINDIR default build/bin)
#   BENCH_SECONDS=60 BENCH_ADDRESSES=250 BENCH_PORTS=40 BENCH_WORKERS=0 (one per CPU)
#   BENCH_FLOOR=1 BENCH_FLOOR_MODE=reset
set -euo pipefail
export HK_BIN=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
. "$(dirname "$0")/../netns/lib.sh"

seconds=${BENCH_SECONDS:-60}
addresses=${BENCH_ADDRESSES:-250}
ports=${BENCH_PORTS:-40}
workers=${BENCH_WORKERS:-0}
targets=$((addresses * ports))
sock=$HK_TMP/sock

hk_ns_create bench
ns=$(hk_ns bench)
# Every address of 203.0.113.0/24 is local here (AnyIP): one listener per port serves them all.
ip -n "$ns" route add local 203.0.113.0/24 dev lo
hk_ns_exec bench sysctl -q -w net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=8192

hk_bg bench "$HK_PYTHON" "$(cd "$(dirname "$0")" && pwd)/responder.py" 10001 "$ports"
hk_wait_for "hk_ns_exec bench bash -c 'exec 3<>/dev/tcp/203.0.113.1/10001'" 5 || hk_fail "the responder did not start"

{
  echo "network_workers $workers"
  for ((a = 1; a <= addresses; a++)); do
    for ((p = 10001; p < 10001 + ports; p++)); do
      echo "check t${a}_$p { address 203.0.113.$a $p  delay_loop 1  TCP_CHECK { retry 0  connect_timeout 1 } }"
    done
  done
} | hk_write_config "$HK_TMP/checkd.conf"
hk_start_daemon bench checkd -f "$HK_TMP/checkd.conf" --socket-dir "$sock" --user nobody
supervisor=$HK_LAST_PID
hk_wait_for "hk_status_is '$sock' checkd 'x[\"counters\"][\"checks_known\"]' $targets" 20 ||
  hk_fail "not every check decided within 20 s: $(hk_status_field "$sock" checkd 'x["counters"]')"

tree() { # the supervisor and all its descendants
  local p=$1 c
  echo "$p"
  for c in $(ps -o pid= --ppid "$p"); do tree "$c"; done
}
ticks() { # total utime+stime of the tree, in clock ticks
  local p total=0
  for p in $(tree "$supervisor"); do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  echo "$total"
}
counter() { hk_status_field "$sock" checkd "x[\"counters\"][\"$1\"]"; }

sleep 2  # past the first, spread runs
runs0=$(counter runs) ticks0=$(ticks) t0=$EPOCHREALTIME
sleep "$seconds"
runs1=$(counter runs) ticks1=$(ticks) t1=$EPOCHREALTIME

hz=$(getconf CLK_TCK)
"$HK_PYTHON" - "$runs0" "$runs1" "$ticks0" "$ticks1" "$t0" "$t1" "$hz" "$targets" <<'PY'
import sys
runs0, runs1, ticks0, ticks1 = map(int, sys.argv[1:5])
t0, t1, hz, targets = float(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
elapsed = t1 - t0
runs = runs1 - runs0
cpu = (ticks1 - ticks0) / hz
print("checkd TCP benchmark: %d targets, delay_loop 1, %.1f s measured" % (targets, elapsed))
print("  checks run:              %d (%.0f per second)" % (runs, runs / elapsed))
print("  CPU, all checkd processes: %.2f s, %.1f%% of one core" % (cpu, 100 * cpu / elapsed))
print("  CPU per 10,000 checks:   %.3f s" % (cpu * 10000 / runs if runs else float("nan")))
PY
echo "  lateness since start:    p50 $(counter lateness_p50_ms) ms, p99 $(counter lateness_p99_ms) ms"
echo "  supervisor heap: $(counter heap_in_use_kb) kB in use of $(counter heap_held_kb) kB held"
echo "  checks DOWN at the end:  $(counter checks_down) of $targets; workers: $(counter workers)"
echo "  load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "  per process (CPU over the whole run, start-up included; RSS, of which private and shared):"
for p in $(tree "$supervisor"); do
  printf '    %-16s pid %-7s CPU %6.2f s (user %5.2f, kernel %5.2f)  RSS %s kB (private %s, shared %s)\n' \
    "$(cat "/proc/$p/comm")" "$p" \
    $(awk -v hz="$hz" '{ print ($14 + $15) / hz, $14 / hz, $15 / hz }' "/proc/$p/stat") \
    "$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status")" \
    $(awk '$1 ~ /^Private_/ { private += $2 } $1 ~ /^Shared_/ { shared += $2 }
           END { print private, shared }' "/proc/$p/smaps_rollup")
done

if [[ ${BENCH_FLOOR:-1} != 0 ]]; then
  processes=$(summary workers)  # one floor process per network worker
  hk_stop_daemon bench checkd
  cc -O2 -o "$HK_TMP/tcp_floor" "$(cd "$(dirname "$0")" && pwd)/tcp_floor.c" || hk_fail "cannot build tcp_floor.c"
  echo "  the floor, the same connections without checkd:"
  printf '    '
  hk_ns_exec bench "$HK_TMP/tcp_floor" 203.0.113.1 "$addresses" 10001 "$ports" "$targets" "$seconds" "$processes" "${BENCH_FLOOR_MODE:-reset}"
fi
