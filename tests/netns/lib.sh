# shellcheck shell=bash
# tests/netns/lib.sh: the network-namespace lab's library. A test sources it:
#
#   #!/bin/bash
#   set -euo pipefail
#   . "$(dirname "$0")/lib.sh"
#
# Sourcing it creates the test's temp dir ($HK_TMP) and installs the cleanup
# trap (EXIT INT TERM): every daemon and helper the test started is stopped
# (TERM, then KILL after HK_STOP_TIMEOUT seconds), every hk-$HK_ID-* namespace
# it created is emptied of processes and deleted, and $HK_TMP is removed,
# whatever way the test ends (success, hk_fail, a failing command under
# set -e, a signal, the runner's timeout). Run as root. See README.md.
#
# Rules the helpers enforce: namespaces are named hk-<id>-NAME; nothing is
# created in the root namespace (veths are created inside the switch
# namespace with their peer directly in the host namespace); addresses come
# only from 192.0.2.0/24 and 2001:db8::/64; no namespace has a route to
# anywhere but its own lab segment.

if [[ -n ${HK_LIB_LOADED:-} ]]; then return 0; fi
HK_LIB_LOADED=1

# ---------------------------------------------------------------- settings
HK_NETNS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
HK_REPO=$(cd "$HK_NETNS_DIR/../.." && pwd -P)
: "${HK_BIN:=$HK_REPO/build/bin}"
HK_BIN=$(realpath -m -- "$HK_BIN")
export HK_BIN
HK_TEST_NAME=${HK_TEST_NAME:-$(basename -- "$0" .sh)}
HK_STOP_TIMEOUT=${HK_STOP_TIMEOUT:-3}   # seconds (fractions allowed) between TERM and KILL
if [[ -x /usr/bin/python3 ]]; then HK_PYTHON=${HK_PYTHON:-/usr/bin/python3}; else HK_PYTHON=${HK_PYTHON:-python3}; fi
umask 022

# ---------------------------------------------------------------- state
HK_MAIN_PID=$BASHPID
HK_NS_CREATED=()            # full names, creation order
HK_PIDS=()                  # every background pid started through the library
declare -gA HK_DAEMON_PID=() # "NS/NAME" -> pid of the last start
declare -gA HK_DAEMON_LOG=() # "NS/NAME" -> log file
declare -gA HK_IP4=()        # host -> 192.0.2.x
declare -gA HK_IP6=()        # host -> 2001:db8::x
HK_LAB_HOSTS=()
HK_ON_EXIT=()               # extra cleanup commands (hk_on_exit), run first
_hk_err_cmd='' _hk_err_where=''

_hk_die_early() { echo "lib.sh: $*" >&2; exit 1; }
((EUID == 0)) || _hk_die_early "the netns lab must run as root"
command -v ip >/dev/null || _hk_die_early "ip (iproute2) is missing; run 'make deps'"

# A short id unique among the namespaces present: the runner passes one
# (HK_ID) so that it can check for leftovers; otherwise made up here.
_hk_new_id() {
  local id n
  for n in 1 2 3 4 5 6 7 8; do
    id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
    if ! ip netns list 2>/dev/null | grep -q "^hk-$id-"; then echo "$id"; return 0; fi
  done
  return 1
}
if [[ -n ${HK_ID:-} ]]; then
  [[ $HK_ID =~ ^[a-z0-9]{1,10}$ ]] || _hk_die_early "HK_ID '$HK_ID' must be 1-10 of [a-z0-9]"
  ! ip netns list 2>/dev/null | grep -q "^hk-$HK_ID-" || _hk_die_early "namespaces hk-$HK_ID-* already exist"
else
  HK_ID=$(_hk_new_id) || _hk_die_early "cannot find an unused namespace id"
fi
export HK_ID

# The temp dir is world-traversable (0755) on purpose: the daemons drop to
# their accounts and must still reach their sockets and re-read their
# configuration files on reload. Nothing secret is kept there.
HK_TMP=$(mktemp -d "${HK_TMPDIR:-/tmp}/hk-$HK_ID.XXXXXX") || _hk_die_early "mktemp failed"
chmod 0755 "$HK_TMP"
mkdir -p "$HK_TMP/log"
export HK_TMP

# ---------------------------------------------------------------- output
hk_log() { printf '[%s] %s\n' "$HK_TEST_NAME" "$*" >&2; }

hk_dump_logs() {
  local key file
  for key in "${!HK_DAEMON_LOG[@]}"; do
    file=${HK_DAEMON_LOG[$key]}
    [[ -f $file ]] || continue
    echo "----- log of $key (pid ${HK_DAEMON_PID[$key]:-?}): $file" >&2
    tail -n 60 -- "$file" >&2 || true
  done
  echo "----- end of logs" >&2
}

# hk_fail MESSAGE: print it, dump every daemon log, exit 1 (the trap cleans up).
hk_fail() {
  # From a subshell ($(...)) the message is still printed, once.
  echo "FAIL [$HK_TEST_NAME]: $*" >&2
  if [[ ! -e $HK_TMP/.failed ]]; then
    : >"$HK_TMP/.failed" 2>/dev/null || true
    hk_dump_logs
  fi
  exit 1
}

# ---------------------------------------------------------------- cleanup
# hk_on_exit CMD...: run CMD (eval'd) first during cleanup.
hk_on_exit() { HK_ON_EXIT+=("$*"); }

# _hk_us SECONDS: microseconds (SECONDS may have up to 6 decimals).
_hk_us() {
  local frac=
  [[ $1 =~ ^[0-9]+(\.[0-9]{1,6})?$ ]] || { echo "lib.sh: bad number of seconds '$1'" >&2; echo 0; return 1; }
  [[ $1 == *.* ]] && frac=${1#*.}
  frac=${frac}000000
  echo $((10#${1%%.*} * 1000000 + 10#${frac:0:6}))
}

hk_alive() { # PID: running and not a zombie
  local state
  [[ -r /proc/$1/stat ]] || return 1
  state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# _hk_stop_pids TIMEOUT PID...: TERM, wait up to TIMEOUT s, KILL, reap.
_hk_stop_pids() {
  local bound=$1 pid left deadline
  shift
  (($#)) || return 0
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((${EPOCHREALTIME/./} + $(_hk_us "$bound")))
  while :; do
    left=0
    for pid in "$@"; do hk_alive "$pid" && left=1; done
    ((left)) || break
    ((${EPOCHREALTIME/./} < deadline)) || break
    sleep 0.05
  done
  for pid in "$@"; do
    if hk_alive "$pid"; then
      echo "[$HK_TEST_NAME] pid $pid ignored SIGTERM for ${bound}s: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # Reap our own children (no zombies left behind); others were not ours.
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}

_hk_cleanup() {
  local rc=$? ns pids i
  [[ $BASHPID == "$HK_MAIN_PID" ]] || return "$rc"
  set +e +u
  trap - ERR EXIT
  trap '' INT TERM HUP
  if ((rc != 0)) && [[ ! -e $HK_TMP/.failed ]]; then
    if [[ -n $_hk_err_cmd ]]; then
      echo "FAIL [$HK_TEST_NAME]: command failed (exit $rc) at $_hk_err_where: $_hk_err_cmd" >&2
    else
      echo "FAIL [$HK_TEST_NAME]: exit status $rc" >&2
    fi
    hk_dump_logs
  fi
  for ((i = ${#HK_ON_EXIT[@]} - 1; i >= 0; i--)); do eval "${HK_ON_EXIT[i]}" >/dev/null 2>&1; done
  _hk_stop_pids "$HK_STOP_TIMEOUT" "${HK_PIDS[@]}"
  # Anything else still living in our namespaces (a helper started with
  # hk_ns_exec ... &, a child of a daemon) goes too; then the namespaces.
  for ((i = ${#HK_NS_CREATED[@]} - 1; i >= 0; i--)); do
    ns=${HK_NS_CREATED[i]}
    pids=$(ip netns pids "$ns" 2>/dev/null)
    if [[ -n $pids ]]; then
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10; do [[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break; sleep 0.05; done
    fi
    ip netns del "$ns" 2>/dev/null || echo "[$HK_TEST_NAME] could not delete namespace $ns" >&2
  done
  [[ -n $HK_TMP && -d $HK_TMP ]] && rm -rf -- "$HK_TMP"
  exit "$rc"
}

set -E  # the ERR trap below also sees failures inside functions
trap '_hk_err_cmd=$BASH_COMMAND; _hk_err_where="${BASH_SOURCE[0]##*/}:$LINENO"' ERR
trap _hk_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- namespaces
hk_ns() { # NAME -> full namespace name
  printf 'hk-%s-%s\n' "$HK_ID" "$1"
}

_hk_ns_known() { local n; for n in "${HK_NS_CREATED[@]}"; do [[ $n == "$1" ]] && return 0; done; return 1; }

# hk_ns_create NAME...: namespaces hk-<id>-NAME with lo up, IPv6 DAD and
# router advertisements off. NAME: [a-z0-9_], up to 16; "sw" is the switch's.
hk_ns_create() {
  local name ns
  for name in "$@"; do
    [[ $name =~ ^[a-z0-9][a-z0-9_]{0,15}$ ]] || hk_fail "hk_ns_create: bad name '$name' ([a-z0-9_], up to 16)"
    [[ $name != sw || -n ${_hk_making_switch:-} ]] || hk_fail "hk_ns_create: 'sw' is reserved for hk_bridge_lab's switch"
    ns=$(hk_ns "$name")
    _hk_ns_known "$ns" && hk_fail "hk_ns_create: $ns exists already"
    ip netns add "$ns" || hk_fail "ip netns add $ns failed"
    HK_NS_CREATED+=("$ns")
    ip -n "$ns" link set lo up || hk_fail "cannot bring lo up in $ns"
    # Addresses are usable at once (no DAD wait), link-local included.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 >/dev/null ||
      hk_fail "sysctl in $ns failed"
  done
}

# hk_ns_exec NAME CMD...: run CMD inside hk-<id>-NAME.
hk_ns_exec() {
  local ns
  ns=$(hk_ns "$1")
  shift
  ip netns exec "$ns" "$@"
}

# hk_bridge_lab HOST...: one L2 segment. A bridge br0 lives in its own
# namespace hk-<id>-sw (no addresses, IPv6 off); each HOST (created if
# needed) gets eth0, a veth whose peer is a port of br0, with the next
# address of 192.0.2.0/24 and 2001:db8::/64 (hosts .11, .12, ...; see hk_ip4,
# hk_ip6). May be called again to add hosts to the same segment.
hk_bridge_lab() {
  local sw host ns port n
  sw=$(hk_ns sw)
  if ! _hk_ns_known "$sw"; then
    _hk_making_switch=1 hk_ns_create sw
    ip netns exec "$sw" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null ||
      hk_fail "cannot disable IPv6 in the switch namespace"
    ip -n "$sw" link add br0 type bridge || hk_fail "cannot create the bridge in $sw"
    ip -n "$sw" link set br0 up
  fi
  for host in "$@"; do
    [[ $host != sw ]] || hk_fail "hk_bridge_lab: 'sw' is the switch's name"
    [[ -z ${HK_IP4[$host]:-} ]] || hk_fail "hk_bridge_lab: $host is on the segment already"
    ns=$(hk_ns "$host")
    _hk_ns_known "$ns" || hk_ns_create "$host"
    n=$((${#HK_LAB_HOSTS[@]} + 1))
    ((n <= 80)) || hk_fail "hk_bridge_lab: at most 80 hosts"
    port=p$n
    # Created inside the switch namespace, the peer directly inside the host:
    # the root namespace never sees either end.
    ip -n "$sw" link add "$port" type veth peer name eth0 netns "$ns" ||
      hk_fail "cannot create veth $port <-> $ns:eth0"
    ip -n "$sw" link set "$port" master br0
    ip -n "$sw" link set "$port" up
    HK_IP4[$host]=192.0.2.$((10 + n))
    HK_IP6[$host]=2001:db8::$((10 + n))
    ip -n "$ns" addr add "${HK_IP4[$host]}/24" dev eth0
    ip -n "$ns" addr add "${HK_IP6[$host]}/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
    HK_LAB_HOSTS+=("$host")
  done
}

hk_ip4() { [[ -n ${HK_IP4[$1]:-} ]] || hk_fail "hk_ip4: $1 is not on the lab"; echo "${HK_IP4[$1]}"; }
hk_ip6() { [[ -n ${HK_IP6[$1]:-} ]] || hk_fail "hk_ip6: $1 is not on the lab"; echo "${HK_IP6[$1]}"; }

# ---------------------------------------------------------------- processes
# hk_bg NS CMD...: a helper process in namespace NS (or "-" for none of
# ours, e.g. a monitor of the root namespace), stopped by the cleanup.
# Output goes to $HK_TMP/log/bg-N.log. Sets HK_LAST_PID and HK_LAST_LOG.
hk_bg() {
  local ns=$1 log
  shift
  log=$HK_TMP/log/bg-${#HK_PIDS[@]}.log
  if [[ $ns == - ]]; then
    "$@" >"$log" 2>&1 </dev/null &
  else
    ip netns exec "$(hk_ns "$ns")" "$@" >"$log" 2>&1 </dev/null &
  fi
  HK_LAST_PID=$!
  HK_LAST_LOG=$log
  HK_PIDS+=("$HK_LAST_PID")
}

# hk_start_daemon NS NAME ARGS...: $HK_BIN/NAME ARGS... in the background
# inside namespace NS, stdout+stderr appended to hk_daemon_log NS NAME.
# `ip netns exec` execs the daemon, so the pid recorded (hk_pid NS NAME,
# HK_LAST_PID) is the daemon's own. Sets HK_LAST_LOG too. Returns at once:
# wait for readiness with hk_wait_for (or use hk_start_all).
hk_start_daemon() {
  local ns=$1 name=$2 key log
  shift 2
  [[ -x $HK_BIN/$name ]] || hk_fail "no executable $HK_BIN/$name (build first: make all)"
  key=$ns/$name
  log=$HK_TMP/log/$ns-$name.log
  HK_DAEMON_LOG[$key]=$log
  echo "=== $(date +%T.%N | cut -c1-12) start: $name $*" >>"$log"
  ip netns exec "$(hk_ns "$ns")" "$HK_BIN/$name" "$@" >>"$log" 2>&1 </dev/null &
  HK_LAST_PID=$!
  HK_LAST_LOG=$log
  HK_PIDS+=("$HK_LAST_PID")
  HK_DAEMON_PID[$key]=$HK_LAST_PID
}

hk_pid() { # NS NAME
  [[ -n ${HK_DAEMON_PID[$1/$2]:-} ]] || hk_fail "hk_pid: $2 was not started in $1"
  echo "${HK_DAEMON_PID[$1/$2]}"
}
hk_daemon_log() { # NS NAME
  [[ -n ${HK_DAEMON_LOG[$1/$2]:-} ]] || hk_fail "hk_daemon_log: $2 was not started in $1"
  echo "${HK_DAEMON_LOG[$1/$2]}"
}

# hk_stop_daemon NS NAME [SIGNAL]: signal (default TERM), wait up to
# HK_STOP_TIMEOUT s (then KILL); sets HK_RC to its exit status.
hk_stop_daemon() {
  local pid deadline
  pid=$(hk_pid "$1" "$2")
  kill "-${3:-TERM}" "$pid" 2>/dev/null || true
  deadline=$((${EPOCHREALTIME/./} + $(_hk_us "$HK_STOP_TIMEOUT")))
  while hk_alive "$pid" && ((${EPOCHREALTIME/./} < deadline)); do sleep 0.05; done
  if hk_alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    HK_RC=0
    wait "$pid" 2>/dev/null || HK_RC=$?
    hk_fail "$2 in $1 (pid $pid) did not stop within ${HK_STOP_TIMEOUT}s of SIG${3:-TERM}"
  fi
  HK_RC=0
  wait "$pid" 2>/dev/null || HK_RC=$?
}

# hk_wait_for COND TIMEOUT_S: poll COND (a command string, eval'd) every
# 0.1 s until it succeeds (0) or TIMEOUT_S seconds (may be fractional) pass (1).
hk_wait_for() {
  local cond=$1 timeout=${2:-10} deadline us
  us=$(_hk_us "$timeout") || hk_fail "hk_wait_for: bad timeout '$timeout'"
  deadline=$((${EPOCHREALTIME/./} + us))
  while :; do
    if eval "$cond" >/dev/null 2>&1; then return 0; fi
    ((${EPOCHREALTIME/./} < deadline)) || return 1
    sleep 0.1
  done
}

# hk_run CMD...: run CMD, never tripping set -e; stdout, stderr and exit
# status in HK_OUT, HK_ERR, HK_RC (trailing newlines stripped).
hk_run() {
  HK_RC=0
  "$@" >"$HK_TMP/.run.out" 2>"$HK_TMP/.run.err" || HK_RC=$?
  HK_OUT=$(<"$HK_TMP/.run.out")
  HK_ERR=$(<"$HK_TMP/.run.err")
}

# hk_hactl ARGS...: $HK_BIN/hactl ARGS... through hk_run.
hk_hactl() { hk_run "$HK_BIN/hactl" "$@"; }

# hk_json EXPR: read JSON from stdin (invalid JSON fails), print the Python
# expression EXPR of it (`d` is the document): strings as they are, anything
# else as JSON (true, false, null, 3, [..]).
hk_json() {
  "$HK_PYTHON" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError as e:
    sys.exit("hk_json: not valid JSON: %s" % e)
v = eval(sys.argv[1], {"d": d})
print(v if isinstance(v, str) else json.dumps(v))
' "$1"
}

# hk_status_field SOCKDIR DAEMON EXPR: from `hactl --json status`, the
# Python expression EXPR of that daemon's object `x` (e.g. 'x["reachable"]',
# 'x["config_summary"]["instances"]'), printed as hk_json does. Fails (empty
# output) if hactl's output is not JSON or does not list DAEMON.
hk_status_field() {
  local json
  json=$("$HK_BIN/hactl" --socket-dir "$1" --json status 2>/dev/null) || true
  hk_json "(lambda x: ($3))(next(x for x in d['daemons'] if x['name'] == '$2'))" <<<"$json" 2>/dev/null
}
# A condition for hk_wait_for: hk_status_is SOCKDIR DAEMON EXPR VALUE
hk_status_is() { [[ $(hk_status_field "$1" "$2" "$3") == "$4" ]]; }

# ---------------------------------------------------------------- configs
# hk_write_config FILE [INCLUDE]: FILE with `include INCLUDE` (if given) and
# a global_defs naming nobody for the three daemon roles (the accounts the
# lab runs the daemons as), then stdin if it is a pipe or a file (a heredoc,
# `cmd | hk_write_config F`); a terminal or /dev/null adds nothing.
hk_write_config() {
  local file=$1 include=${2:-} tmp
  tmp=$file.tmp.$$
  {
    [[ -z $include ]] || printf 'include %s\n' "$include"
    printf 'global_defs {\n    vrrpd_user nobody\n    ipvsd_user nobody\n    checkd_user nobody\n}\n'
    if [[ -p /dev/stdin || -f /dev/stdin ]]; then cat; fi
  } >"$tmp"
  mv -f -- "$tmp" "$file"   # atomic: a reload never reads half a file
}

# hk_start_all NS SOCKDIR [DAEMON...]: write $HK_TMP/DAEMON.conf (the
# example conf/DAEMON.conf plus hk_write_config's global_defs) and start
# each DAEMON (default all three) as nobody; waits until each answers hactl.
hk_start_all() {
  local ns=$1 dir=$2 d
  shift 2
  (($#)) || set -- vrrpd ipvsd checkd
  for d in "$@"; do
    hk_write_config "$HK_TMP/$d.conf" "$HK_REPO/conf/$d.conf" </dev/null
    hk_start_daemon "$ns" "$d" -f "$HK_TMP/$d.conf" --socket-dir "$dir" --user nobody
  done
  for d in "$@"; do
    hk_wait_for "hk_status_is '$dir' $d 'x[\"reachable\"]' true" 10 ||
      hk_fail "$d did not answer hactl status within 10 s"
  done
}

# hk_pos FILE TEXT: "LINE:COL" (1-based) of the first occurrence of TEXT.
hk_pos() {
  awk -v t="$2" '{ i = index($0, t); if (i) { print NR ":" i; found = 1; exit } } END { exit !found }' "$1"
}

# ---------------------------------------------------------------- assertions
hk_assert_eq() { # EXPECTED ACTUAL [WHAT]
  [[ $1 == "$2" ]] || hk_fail "${3:-value}: expected '$1', got '$2'"
}
hk_assert_ne() { # UNEXPECTED ACTUAL [WHAT]
  [[ $1 != "$2" ]] || hk_fail "${3:-value}: expected anything but '$1'"
}
hk_assert_match() { # REGEX TEXT [WHAT]   (bash ERE, unanchored)
  [[ $2 =~ $1 ]] || hk_fail "${3:-text} does not match /$1/: '$2'"
}
hk_assert_not_match() { # REGEX TEXT [WHAT]
  [[ ! $2 =~ $1 ]] || hk_fail "${3:-text} matches /$1/ but must not: '$2'"
}
hk_assert_line() { # REGEX TEXT [WHAT]: some line of TEXT matches REGEX (grep -E)
  grep -Eq -- "$1" <<<"$2" || hk_fail "${3:-text}: no line matches /$1/ in: '$2'"
}
hk_assert_contains() { # SUBSTRING TEXT [WHAT]
  [[ $2 == *"$1"* ]] || hk_fail "${3:-text} does not contain '$1': '$2'"
}
hk_assert_rc() { # EXPECTED [WHAT]: checks HK_RC from hk_run
  [[ $HK_RC == "$1" ]] || hk_fail "${2:-command}: exit status $HK_RC, expected $1; stdout: '$HK_OUT' stderr: '$HK_ERR'"
}
hk_assert_running() { # NS NAME [WHEN]
  local pid
  pid=$(hk_pid "$1" "$2")
  hk_alive "$pid" || hk_fail "$2 in $1 (pid $pid) is not running${3:+ $3}: $(hk_exit_text "$pid")"
}
# hk_exit_text PID: how a dead child of ours ended ("exit 2", "killed by SIGSYS").
hk_exit_text() {
  local rc=0
  hk_alive "$1" && { echo "still running"; return 0; }
  wait "$1" 2>/dev/null || rc=$?
  if ((rc == 127)); then echo "ended (not our child, or already reaped)"
  elif ((rc > 128)); then echo "killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
  else echo "exit $rc"; fi
}
hk_assert_file_absent() { # PATH [WHAT]
  [[ ! -e $1 && ! -L $1 ]] || hk_fail "${2:-$1} exists but must not"
}
