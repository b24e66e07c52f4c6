#!/bin/bash
# ipvsd at keepalived's worst known LVS size, side by side with `ipvsadm -R`
# and keepalived 2.2.7, in one User-Mode Linux guest (tests/uml/uml-run: the
# host kernel has no IPVS). Prints figures, not pass/fail.
#
#   tests/bench/ipvsd_scale.sh BINDIR        (make bench runs it with build/bin)
#
# Shape: 2,277 virtual servers with 37,205 real servers in total (the
# configuration of keepalived commit 238bf177 that took keepalived 2.2.7 132 s
# to reload with its checkers), addresses from 192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24 and 2001:db8::/32 with varied ports, TCP and UDP, NAT and DR,
# seven schedulers, every tenth persistent; no checks, so every real server is
# up. One generator writes the same table three ways: ipvsd.conf, an
# `ipvsadm -R` rules file, keepalived.conf (the same virtual_server blocks).
#
#   (a) ipvsadm -R of the rules;
#   (b) ipvsd cold start: start -> its "N operation(s) applied" log line;
#   (c) keepalived 2.2.7 cold start (--dont-fork --log-console --check, no
#       checkers, plus --no-syslog so that its 2,277 log lines go to a file,
#       not to the guest console): start -> /proc/net/ip_vs holds every entry;
#   (d) three reloads (SIGHUP) changing one real server's weight, to 77,
#       back, to 77, ipvsd and keepalived: until the log line that says it
#       (ipvsd's "1 operation(s) applied", keepalived's "Changing weight")
#       and until `ipvsadm -Ln` shows it; medians; ipvsd's operation counts
#       and page faults;
#   (e) ipvsd's VmRSS with the full table;
#   (f) ipvsd restart with nothing changed: until it serves its control
#       socket (the first reconciliation is done by then), operations applied.
# Every table is compared with the rules through `ipvsadm -Sn`. ipvsd's
# operation counts come from its log, and `hactl ipvs --json` (paged) is
# asked too.
#
# Each contender gets a network namespace of its own (hk-bench-*), so each
# starts from an IPVS that has never held a destination. That matters: the
# kernel keeps deleted destinations in a trash list for about two minutes and
# searches it linearly on every add, so filling a table right after flushing
# the same one costs O(n^2) in the kernel (seconds at this size). Note (b2)
# shows that case for ipvsd.
#
# Environment: HK_BENCH_VS, HK_BENCH_RS change the size (default 2277, 37205);
# HK_BENCH_TIMEOUT the guest's wall-clock limit (default 900 s).
set -uo pipefail

# ====================================================================== host
if [[ ${HK_BENCH_IN_GUEST:-} != 1 ]]; then
  prog=${0##*/}
  (($# == 1)) || { echo "usage: $0 BINDIR" >&2; exit 2; }
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
  . "$here/uml_bench_host.sh"
  uml_bench_bindir "$prog" "$1" ipvsd hactl /usr/sbin/ipvsadm /usr/sbin/keepalived /usr/bin/python3 /usr/bin/linux.uml
  export HK_BENCH_IN_GUEST=1 HK_BENCH_BIN=$bin
  export HK_BENCH_VS=${HK_BENCH_VS:-2277} HK_BENCH_RS=${HK_BENCH_RS:-37205}
  uml_bench_boot "$prog" "$here/${BASH_SOURCE[0]##*/}" "${HK_BENCH_TIMEOUT:-900}" 2G
fi

# ===================================================================== guest
bin=${HK_BENCH_BIN:?}
nvs=${HK_BENCH_VS:?} nrs=${HK_BENCH_RS:?}
work=/tmp/bench
want=$((nvs + nrs))
phase=${1:-main}

# ----------------------------------------------------------------- helpers
# Waiting with builtins only: a process start costs ~30 ms of the guest's one
# CPU, which would be taken from the program being measured.
nap() { read -r -t "$1" -u "$nap_fd" _ || true; }
now() { printf '%s' "$EPOCHREALTIME"; }
# ms FROM TO, secs FROM TO: the time between two $EPOCHREALTIME values.
ms() {
  local a=${1/./} b=${2/./}
  local d=$(((10#$b - 10#$a) / 100))
  printf '%d.%d' $((d / 10)) $((d % 10))
}
secs() {
  local a=${1/./} b=${2/./}
  local d=$(((10#$b - 10#$a) / 10000))
  printf '%d.%02d' $((d / 100)) $((d % 100))
}
say() { printf '%s\n' "$*"; }
# result KEY VALUE: handed from a phase (in its namespace) to the summary.
result() { printf '%s=%q\n' "$1" "$2" >>"$work/results"; }
problem() { printf '%s\n' "$*" >>"$work/problems"; }
# A log written through stamp gets "$EPOCHREALTIME line" per line. bash
# reads a pipe a byte at a time: pystamp for a talkative program.
stamp() { local line; while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done; }
pystamp() {
  python3 -u -c 'import sys, time
for line in sys.stdin:
    sys.stdout.write("%.6f %s" % (time.time(), line))
    sys.stdout.flush()'
}
# wait_log FILE PATTERN FROM TIMEOUT_S: the first line at index >= FROM that
# matches *PATTERN*: its stamp in found_stamp, its text in found_line. Fails
# on timeout. Call it directly, not in $(...): it sets globals.
found_stamp='' found_line=''
wait_log() {
  local file=$1 pattern=$2 from=$3 limit=$(($4 * 100)) i tries lines
  ((limit > 0)) || limit=1
  for ((tries = 0; tries < limit; tries++)); do
    mapfile -t lines <"$file"
    for ((i = from; i < ${#lines[@]}; i++)); do
      if [[ ${lines[i]} == *"$pattern"* ]]; then
        found_stamp=${lines[i]%% *} found_line=${lines[i]#* }
        return 0
      fi
    done
    ((tries + 1 < limit)) && nap 0.01
  done
  return 1
}
log_lines() { local lines; mapfile -t lines <"$1"; echo "${#lines[@]}"; }
table_entries() { local n; n=$(wc -l </proc/net/ip_vs); echo $((n - 3)); }
# The kernel table in ipvsadm's save format, sorted, against a sorted rules file.
same_table() {
  ipvsadm -Sn | sort >"$work/table.now"
  if cmp -s "$1" "$work/table.now"; then echo yes; else
    echo "NO: $(diff "$1" "$work/table.now" | grep -c '^[<>]') lines differ, e.g. $(diff "$1" "$work/table.now" | grep -m2 '^[<>]' | tr '\n' ' ')"
  fi
}
status_field() { local k v; while read -r k v _; do [[ $k == "$2:" ]] && { echo "$v"; return; }; done <"/proc/$1/status"; echo 0; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# poll_weight FLAG VS RS WEIGHT TIMEOUT_S: prints the stamp at which
# `ipvsadm -Ln FLAG VS` shows RS with WEIGHT.
poll_weight() {
  local out tries line
  for ((tries = 0; tries < $5 * 20; tries++)); do
    out=$(ipvsadm -Ln "$1" "$2" 2>/dev/null)
    while IFS= read -r line; do
      if [[ $line =~ ^\ +-\>\ +([^ ]+)\ +[A-Za-z]+\ +([0-9]+) ]] &&
         [[ ${BASH_REMATCH[1]} == "$3" && ${BASH_REMATCH[2]} == "$4" ]]; then
        now
        return 0
      fi
    done <<<"$out"
  done
  return 1
}
# hactl ipvs --json's operations_applied, or "?" (the reason goes to hactl.why).
hactl_ops() {
  local out status=0
  out=$(timeout 20 "$bin/hactl" --socket-dir "$work/run" --json ipvs 2>"$work/hactl.err") || status=$?
  if ((status == 0)) && [[ $out =~ \"operations_applied\":([0-9]+) ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo "hactl ipvs --json exited $status: $(tr '\n' ' ' <"$work/hactl.err")" >"$work/hactl.why"
    echo "?"
  fi
}
# settle PID...: wait until the processes' CPU time stands still for 0.3 s
# (at most 60 s), so that a measurement does not start while the program
# is still busy with the previous step.
cpu_ticks() {
  local total=0 pid stat
  for pid; do
    { read -r stat <"/proc/$pid/stat"; } 2>/dev/null || continue
    stat=${stat##*) }
    # shellcheck disable=SC2086  # the fields of /proc/PID/stat
    set -- $stat
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}
# minor_faults PID: page faults the process has taken (field 10 of its
# stat); each costs some 45 us in this guest against 2 us on the host.
minor_faults() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || { echo 0; return; }
  stat=${stat##*) }
  # shellcheck disable=SC2086  # the fields of /proc/PID/stat
  set -- $stat
  echo "$8"
}
settle() {
  local before after tries
  before=$(cpu_ticks "$@")
  for ((tries = 0; tries < 200; tries++)); do
    nap 0.3
    after=$(cpu_ticks "$@")
    [[ $after == "$before" ]] && return 0
    before=$after
  done
}
# median of the arguments ("-" counts as missing).
median() { printf '%s\n' "$@" | grep -v '^-$' | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else { r = a / b; printf (r < 0.1 ? "%.3f" : "%.2f"), r } }'; }

if [[ $phase != main ]]; then
  mkfifo "$work/nap.$phase"
  exec {nap_fd}<>"$work/nap.$phase"
  read -r t_flag t_vs t_rs t_weight <"$work/target"
fi

# ====================================================================== (a)
phase_ipvsadm() {
  local t0 t1 status=0
  t0=$(now)
  ipvsadm -R <"$work/rules" || status=$?
  t1=$(now)
  ((status == 0)) || problem "ipvsadm -R exited $status"
  result a_s "$(secs "$t0" "$t1")"
  result a_same "$(same_table "$work/rules.sorted")"
  say "(a) ipvsadm -R: $(secs "$t0" "$t1") s, $(table_entries) entries"
}

# ====================================================================== (b) (d) (e) (f)
ipvsd_pid=''
start_ipvsd() { # LOG
  "$bin/ipvsd" -f "$work/ipvsd.conf" --socket-dir "$work/run" --user nobody 2> >(stamp >>"$1") &
  ipvsd_pid=$!
}
stop_ipvsd() {
  [[ -n $ipvsd_pid ]] || return 0
  kill -TERM "$ipvsd_pid" 2>/dev/null
  wait "$ipvsd_pid" 2>/dev/null
  ipvsd_pid=''
}
# cold_start LOG: seconds to the "applied" line and the operation count.
cold_s='-' cold_ops='?' cold_ready='-'
cold_start() {
  local log=$1 t0 refused=0
  cold_s='-' cold_ops='?' cold_ready='-'
  : >"$log"
  t0=$(now)
  start_ipvsd "$log"
  if wait_log "$log" "operation(s) applied" 0 300; then
    cold_s=$(secs "$t0" "$found_stamp")
    # "N operation(s) applied", with ", M refused" when the kernel refused some.
    if [[ $found_line =~ ([0-9]+)\ operation\(s\)\ applied(,\ ([0-9]+)\ refused)? ]]; then
      cold_ops=${BASH_REMATCH[1]} refused=${BASH_REMATCH[3]:-0}
    fi
    ((refused == 0)) || problem "ipvsd cold start: the kernel refused $refused operations"
    wait_log "$log" "running as" 0 60 && cold_ready=$(secs "$t0" "$found_stamp")
  else
    problem "ipvsd cold start: no 'operation(s) applied' line within 300 s"
  fi
}

phase_ipvsd() {
  local ilog=$work/ipvsd.log flog=$work/ipvsd-restart.log t0 t1 from
  local hactl_cold hactl_before hactl_after why
  cp "$work/ipvsd.conf.plain" "$work/ipvsd.conf"
  # (b)
  cold_start "$ilog"
  result b_s "$cold_s"
  result b_ops "$cold_ops"
  result b_same "$(same_table "$work/rules.sorted")"
  say "(b) ipvsd cold start: $cold_s s to the full table ($cold_ops operations), serving after $cold_ready s"
  hactl_cold=$(hactl_ops)
  why=$(cat "$work/hactl.why" 2>/dev/null); rm -f "$work/hactl.why"
  result hactl_cold "$hactl_cold"
  settle "$ipvsd_pid"
  if [[ -n $why ]]; then
    problem "$why (ipvsd: $(grep -m1 -o 'outgoing message too large.*' "$ilog"))"
  fi
  result e_rss_cold "$(status_field "$ipvsd_pid" VmRSS)"

  # (d): three reloads, 77, back, 77 again; each one weight, one operation.
  settle "$ipvsd_pid"
  t0=$(now); ipvsadm -Ln "$t_flag" "$t_vs" >/dev/null; t1=$(now)
  result poll_cost "$(ms "$t0" "$t1")"
  hactl_before=$(hactl_ops); rm -f "$work/hactl.why"
  local round conf weight faults0 logged=() seen=() reloaded=() ops=() faults=()
  for round in 1 2 3; do
    if ((round == 2)); then conf=plain weight=$t_weight; else conf=changed weight=77; fi
    settle "$ipvsd_pid"
    from=$(log_lines "$ilog")
    cp "$work/ipvsd.conf.$conf" "$work/ipvsd.conf.new" && mv "$work/ipvsd.conf.new" "$work/ipvsd.conf"
    faults0=$(minor_faults "$ipvsd_pid")
    t0=$(now)
    kill -HUP "$ipvsd_pid"
    if t1=$(poll_weight "$t_flag" "$t_vs" "$t_rs" "$weight" 60); then seen+=("$(ms "$t0" "$t1")"); else
      seen+=(-); problem "ipvsd reload $round: weight $weight not seen within 60 s"
    fi
    if wait_log "$ilog" "configuration reloaded" "$from" 30; then reloaded+=("$(ms "$t0" "$found_stamp")"); else reloaded+=(-); fi
    if wait_log "$ilog" "operation(s) applied" "$from" 5; then
      logged+=("$(ms "$t0" "$found_stamp")")
      [[ $found_line =~ ([0-9]+)\ operation\(s\)\ applied ]] && ops+=("${BASH_REMATCH[1]}")
    else
      logged+=(-) ops+=(?)
      problem "ipvsd reload $round: no 'operation(s) applied' line"
    fi
    settle "$ipvsd_pid"
    faults+=($(($(minor_faults "$ipvsd_pid") - faults0)))
  done
  result d_i_faults "${faults[*]}"
  result d_i_ms "$(median "${logged[@]}")"
  result d_i_seen "$(median "${seen[@]}")"
  result d_i_reloaded "$(median "${reloaded[@]}")"
  result d_i_all "${logged[*]} / ${seen[*]}"
  result d_i_ops "${ops[*]}"
  settle "$ipvsd_pid"
  hactl_after=$(hactl_ops); rm -f "$work/hactl.why"
  if [[ $hactl_before != "?" && $hactl_after != "?" ]]; then
    result hactl_reload $((hactl_after - hactl_before))
  fi
  result d_i_same "$(same_table "$work/rules.changed.sorted")"
  say "(d) ipvsd reloads: to its log line ${logged[*]} ms, to ipvsadm showing it ${seen[*]} ms, operations ${ops[*]}"

  # (e)
  result e_rss "$(status_field "$ipvsd_pid" VmRSS)"
  result e_hwm "$(status_field "$ipvsd_pid" VmHWM)"

  # (f)
  settle "$ipvsd_pid"
  stop_ipvsd
  result f_kept "$(table_entries)"
  : >"$flog"
  t0=$(now)
  start_ipvsd "$flog"
  if wait_log "$flog" "running as" 0 120; then
    result f_s "$(secs "$t0" "$found_stamp")"
    # The first reconciliation runs before the control socket is served; a
    # change would have logged "N operation(s) applied" before "running as".
    if wait_log "$flog" "operation(s) applied" 0 0; then
      [[ $found_line =~ ([0-9]+)\ operation ]] && result f_ops "${BASH_REMATCH[1]}"
    else
      result f_ops 0
    fi
  else
    problem "ipvsd restart: no 'running as' line within 120 s"
  fi
  result hactl_restart "$(hactl_ops)"; rm -f "$work/hactl.why"
  result f_same "$(same_table "$work/rules.changed.sorted")"
  say "(f) ipvsd restart done"
  stop_ipvsd

  # (b2): the same cold start right after flushing the same table.
  ipvsadm -C
  cp "$work/ipvsd.conf.plain" "$work/ipvsd.conf"
  cold_start "$work/ipvsd-again.log"
  result b2_s "$cold_s"
  say "(b2) ipvsd cold start after ipvsadm -C: $cold_s s"
  stop_ipvsd
}

# ====================================================================== (c) (d)
phase_keepalived() {
  local kd=$work/kd t0 t1 tries n kd_pid kchild from lines quorums
  local klog=$kd/keepalived.log
  mkdir -p "$kd/run"
  # keepalived 2.2.7 keeps its runtime files in /run/keepalived (built in):
  # a directory under /tmp takes its place, like the pid files below.
  mkdir -p /run/keepalived && mount --bind "$kd/run" /run/keepalived
  cp "$work/keepalived.conf" "$kd/keepalived.conf"
  t0=$(now)
  keepalived -f "$kd/keepalived.conf" --dont-fork --log-console --no-syslog --check \
    -p "$kd/keepalived.pid" -c "$kd/checkers.pid" -r "$kd/vrrp.pid" -b "$kd/bfd.pid" \
    > >(pystamp >"$klog" 2>/dev/null) 2>&1 &
  kd_pid=$!
  # Complete when /proc/net/ip_vs holds every entry; polled every 0.5 s (a
  # process start each time: a few % of the CPU, taken from keepalived).
  local c_s='-' c_note='' c_log='-'
  for ((tries = 0; tries < 600; tries++)); do
    nap 0.5
    kill -0 "$kd_pid" 2>/dev/null || { c_note="keepalived exited: $(tail -3 "$klog" | tr '\n' ' ')"; break; }
    n=$(table_entries)
    if ((n >= want)); then t1=$(now); c_s=$(secs "$t0" "$t1"); break; fi
  done
  [[ $c_s == - && -z $c_note ]] && c_note="table incomplete after 300 s: $(table_entries) of $want entries"
  [[ -n $c_note ]] && problem "keepalived cold start: $c_note"
  kchild=$(cat "$kd/checkers.pid" 2>/dev/null)
  settle "$kd_pid" "$kchild"
  # keepalived logs "Gained quorum" for a virtual server once its real
  # servers are in: the last of them is the finer end of the cold start.
  mapfile -t quorums < <(grep 'Gained quorum' "$klog")
  ((${#quorums[@]} == nvs)) && c_log=$(secs "$t0" "${quorums[-1]%% *}")
  result c_s "$c_s"
  result c_log "$c_log"
  result c_same "$(same_table "$work/rules.sorted")"
  say "(c) keepalived cold start: $c_s s (polled), last 'Gained quorum' line after $c_log s"
  [[ -n $kchild && -e /proc/$kchild ]] && result k_rss "$(status_field "$kchild" VmRSS)"

  if [[ -z $c_note ]]; then
    local round conf weight seen=() logged=() done_ms=()
    for round in 1 2 3; do
      if ((round == 2)); then conf=keepalived.conf weight=$t_weight; else conf=keepalived.conf.changed weight=77; fi
      settle "$kd_pid" "$kchild"
      from=$(log_lines "$klog")
      cp "$work/$conf" "$kd/keepalived.conf.new" && mv "$kd/keepalived.conf.new" "$kd/keepalived.conf"
      t0=$(now)
      kill -HUP "$kd_pid"
      if t1=$(poll_weight "$t_flag" "$t_vs" "$t_rs" "$weight" 120); then seen+=("$(ms "$t0" "$t1")"); else
        seen+=(-); problem "keepalived reload $round: weight $weight not seen within 120 s"
      fi
      # "Changing weight from A to B for active service ..." comes right
      # before its one netlink request.
      if wait_log "$klog" "Changing weight from" "$from" 30; then logged+=("$(ms "$t0" "$found_stamp")"); else
        logged+=(-); problem "keepalived reload $round: no 'Changing weight' line"
      fi
      if wait_log "$klog" "Reload complete" "$from" 30; then done_ms+=("$(ms "$t0" "$found_stamp")"); else done_ms+=(-); fi
      # A respawned checker process would write a new pid file.
      kchild=$(cat "$kd/checkers.pid" 2>/dev/null)
    done
    result d_k_ms "$(median "${logged[@]}")"
    result d_k_seen "$(median "${seen[@]}")"
    result d_k_done "$(median "${done_ms[@]}")"
    result d_k_all "${logged[*]} / ${seen[*]}"
    result d_k_same "$(same_table "$work/rules.changed.sorted")"
    [[ -n $kchild && -e /proc/$kchild ]] && result k_rss2 "$(status_field "$kchild" VmRSS)"
    say "(d) keepalived reloads: to its log line ${logged[*]} ms, to ipvsadm showing it ${seen[*]} ms; 'Reload complete' after ${done_ms[*]} ms"
  fi
  # SIGKILL: its orderly stop would remove 39k entries, one round trip each.
  # The parent first: it would respawn a checker process killed before it.
  kill -KILL "$kd_pid" 2>/dev/null
  [[ -n $kchild ]] && kill -KILL "$kchild" 2>/dev/null
  wait "$kd_pid" 2>/dev/null
  umount /run/keepalived
}

case $phase in
  ipvsadm) phase_ipvsadm; exit 0 ;;
  ipvsd) phase_ipvsd; exit 0 ;;
  keepalived) phase_keepalived; exit 0 ;;
  main) ;;
  *) echo "unknown phase $phase" >&2; exit 2 ;;
esac

# ====================================================================== main
rm -rf "$work"
mkdir -p "$work/run"
cd "$work" || exit 1
: >"$work/results"
: >"$work/problems"

# One generator writes the three forms; ipvsd.conf and keepalived.conf hold
# the same virtual_server blocks (keepalived's gets a global_defs too).
python3 - "$nvs" "$nrs" "$work" <<'PY' || { echo "generator failed"; exit 1; }
import sys
nvs, nrs, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
pool4 = [f"192.0.2.{i}" for i in range(1, 255)] + [f"198.51.100.{i}" for i in range(1, 255)]
ports4 = [80, 443, 8080, 8443, 25, 110]
ports6 = [80, 443, 53, 8080, 993]
scheds = ["wrr", "rr", "wlc", "lc", "sh", "sed", "nq"]
base, extra = divmod(nrs, nvs)
target = nvs // 2          # the virtual server whose 4th real server changes weight
blocks, rules, changed_rules = [], [], []
n4 = n6 = 0
for i in range(nvs):
    v6 = i % 5 == 4
    if v6:
        addr, port = f"2001:db8::{n6 + 1:x}", ports6[n6 % len(ports6)]
        n6 += 1
    else:
        addr, port = pool4[n4 % len(pool4)], ports4[n4 // len(pool4)]
        n4 += 1
    proto = "UDP" if i % 7 == 3 else "TCP"
    sched = scheds[i % len(scheds)]
    dr = (not v6) and i % 6 == 5          # DR: the real server's port is the service's
    persistent = i % 10 == 0
    vs_text = f"[{addr}]:{port}" if v6 else f"{addr}:{port}"
    flag = "-u" if proto == "UDP" else "-t"
    rule = f"-A {flag} {vs_text} -s {sched}" + (" -p 300" if persistent else "")
    rules.append(rule)
    changed_rules.append(rule)
    head = [f"virtual_server {addr} {port} {{", f"    lb_algo {sched}",
            f"    lb_kind {'DR' if dr else 'NAT'}", f"    protocol {proto}"]
    if persistent:
        head.append("    persistence_timeout 300")
    plain, changed = list(head), list(head)
    for j in range(base + (1 if i < extra else 0)):
        if v6:
            raddr, rport = f"2001:db8:1:{i:x}::{j + 1:x}", 8000 + j
            rtext = f"[{raddr}]:{rport}"
        else:
            raddr = f"203.0.113.{(i * 7 + j) % 254 + 1}"
            rport = port if dr else 8000 + (i * 13 + j) % 1000
            rtext = f"{raddr}:{rport}"
        weight = 1 + (i + j) % 10
        new_weight = 77 if i == target and j == 3 else weight
        if new_weight != weight:
            with open(f"{work}/target", "w") as f:
                f.write(f"{flag} {vs_text} {rtext} {weight}\n")
        rule = f"-a {flag} {vs_text} -r {rtext} {'-g' if dr else '-m'} -w "
        rules.append(rule + str(weight))
        changed_rules.append(rule + str(new_weight))
        plain.append(f"    real_server {raddr} {rport} {{ weight {weight} }}")
        changed.append(f"    real_server {raddr} {rport} {{ weight {new_weight} }}")
    blocks.append(("\n".join(plain + ["}"]), "\n".join(changed + ["}"])))
def write(name, header, which):
    with open(f"{work}/{name}", "w") as f:
        f.write(header)
        for block in blocks:
            f.write(block[which] + "\n")
write("ipvsd.conf.plain", "# generated by tests/bench/ipvsd_scale.sh\n", 0)
write("ipvsd.conf.changed", "# generated by tests/bench/ipvsd_scale.sh\n", 1)
kd = "global_defs {\n    router_id hk-bench\n}\n"
write("keepalived.conf", kd, 0)
write("keepalived.conf.changed", kd, 1)
for name, lines in (("rules", rules), ("rules.changed", changed_rules)):
    with open(f"{work}/{name}", "w") as f:
        f.write("\n".join(lines) + "\n")
PY
chmod 0644 "$work"/*
sort "$work/rules" >"$work/rules.sorted"
sort "$work/rules.changed" >"$work/rules.changed.sorted"
read -r t_flag t_vs t_rs t_weight <"$work/target"

say "ipvsd_scale: $nvs virtual servers, $nrs real servers ($want kernel entries);"
say "  ipvsd.conf and keepalived.conf $(wc -l <"$work/ipvsd.conf.plain") lines each; guest: Linux $(uname -r) (UML), $(nproc) CPU"
say "  the reloads change the weight of $t_rs in $t_vs ($t_flag): $t_weight -> 77 -> $t_weight -> 77"

self=$(realpath "$0")
for p in ipvsadm ipvsd keepalived; do
  ns=hk-bench-$p
  ip netns add "$ns"
  # Without lo up a namespace has no local routing table, and IPVS refuses
  # every IPv4 real server ("address not unicast").
  ip -n "$ns" link set lo up
  ip netns exec "$ns" "$self" "$p" 2>&1 | head -c 100000
  ip netns del "$ns"
done

# ----------------------------------------------------------------- summary
a_s=- a_same=- b_s=- b_ops='?' b_same=- b2_s=- c_s=- c_same=- d_i_ms=- d_i_ops='?' d_i_seen=- d_i_reloaded=-
d_i_same=- d_k_ms=- d_k_done=- d_k_same=- d_i_all=- d_i_faults=- d_k_all=- d_k_seen=- c_log=- e_rss_cold=0 e_rss=0 e_hwm=0 f_s=- f_ops='?' f_kept=- f_same=-
hactl_cold='?' hactl_reload='?' hactl_restart='?' poll_cost=- k_rss=0 k_rss2=0
# shellcheck disable=SC1091  # written above by the phases, KEY=VALUE with %q
source "$work/results"
say ""
say "IPVS benchmark, $(date -u '+%Y-%m-%d'), UML lab on this machine (linux.uml $(uname -r), one CPU):"
say "$nvs virtual servers, $nrs real servers, no checks; each contender in a fresh network namespace."
say ""
say "| measurement | time | kernel operations | ipvsd / ipvsadm -R | ipvsd / keepalived |"
say "|---|---:|---:|---:|---:|"
row() { printf '| %s | %s | %s | %s | %s |\n' "$@"; }
row "(a) \`ipvsadm -R\`, empty table" "$a_s s" "$want" "" ""
row "(b) ipvsd cold start, empty table" "$b_s s" "$b_ops" "$(ratio "$b_s" "$a_s")" "$(ratio "$b_s" "$c_s")"
row "(c) keepalived 2.2.7 cold start, empty table (polled every 0.5 s)" "$c_s s" "" "" ""
row "(d) reload, one weight changed: ipvsd, SIGHUP to its log line (median of 3)" "$d_i_ms ms" "${d_i_ops// /, }" "" "$(ratio "$d_i_ms" "$d_k_ms")"
row "(d) reload, one weight changed: keepalived, SIGHUP to its log line (median of 3)" "$d_k_ms ms" "" "" ""
row "(d) the same, SIGHUP to \`ipvsadm -Ln\` showing it: ipvsd / keepalived" "$d_i_seen / $d_k_seen ms" "" "" "$(ratio "$d_i_seen" "$d_k_seen")"
row "(e) ipvsd VmRSS with the full table (after the reload)" "$(mib "$e_rss") MiB" "" "" ""
row "(f) ipvsd restart, nothing changed, until it serves" "$f_s s" "$f_ops" "" ""
say ""
say "Notes:"
say "- (b2) ipvsd cold start right after \`ipvsadm -C\` of the same table in the same namespace: $b2_s s"
say "  (the kernel's destination trash, see the script's header)."
say "- ipvsd VmRSS: $(mib "$e_rss_cold") MiB after the cold start, $(mib "$e_rss") MiB after the reload, peak $(mib "$e_hwm") MiB;"
say "  keepalived's checker process: $(mib "$k_rss") MiB after its start, $(mib "$k_rss2") MiB after the reload."
say "- keepalived's cold start to its last 'Gained quorum' log line: $c_log s."
say "- Reloads, each, to the log line / to ipvsadm showing it: ipvsd $d_i_all ms; keepalived $d_k_all ms."
say "  ipvsd's page faults during each reload (the ipvsadm polls aside): $d_i_faults."
say "  The log lines: ipvsd's 'N operation(s) applied' after the kernel's answer, keepalived's"
say "  'Changing weight from A to B' just before its request."
say "  ipvsd logs 'configuration reloaded' after $d_i_reloaded ms (median), keepalived 'Reload complete' after $d_k_done ms;"
say "  one \`ipvsadm -Ln\` poll costs $poll_cost ms, the resolution of the 'showing it' rows."
say "- Kernel operations are ipvsd's own count (its log line). hactl ipvs --json operations_applied:"
say "  cold $hactl_cold, delta over the three reloads $hactl_reload, restart $hactl_restart."
say "- ipvsd stopped with SIGTERM left $f_kept entries in the kernel; tables compared with \`ipvsadm -Sn\`:"
say "  (a) $a_same; (b) $b_same; (c) $c_same; after the reloads: ipvsd $d_i_same, keepalived $d_k_same; after the restart $f_same."
if [[ -s $work/problems ]]; then
  say ""
  say "Problems:"
  sed 's/^/- /' "$work/problems"
fi
exit 0
