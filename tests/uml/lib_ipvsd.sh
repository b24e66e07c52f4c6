# shellcheck shell=bash
# tests/uml/lib_ipvsd.sh: what the ipvsd lab tests (t_ipvsd_*.sh) share.
# Sourced INSIDE the UML guest, after `set -euo pipefail`:
#
#   . "$HK_UML_DIR/lib_ipvsd.sh"
#
# Sourcing it makes the test's directory $LT (under the guest's /tmp, mode
# 0755 so that ipvsd, running as nobody, can re-read its configuration on
# reload) and installs the cleanup trap: every process started through the
# library is stopped, every namespace made with ns_create deleted.
#
# Accounts (the guest sees the host's /etc/passwd, read-only):
#   ipvsd runs as nobody (--user nobody, global_defs ipvsd_user nobody);
#   checkd's role is uid 1 ("daemon": global_defs checkd_user daemon), the
#   uid fake_checkd runs as; uid 2 ("bin") has no daemon role;
#   reader_group nogroup (gid 65534): the socket directory and ipvsd.sock are
#   group nogroup, so fake_checkd runs with gid 65534 to reach them whatever
#   its uid, and the daemon itself must decide (SO_PEERCRED + roles).
# Addresses: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32
# only; namespaces hk-*.

if [[ -n ${HK_LIB_IPVSD:-} ]]; then return 0; fi
HK_LIB_IPVSD=1

fail() {
  echo "FAIL [${HK_TEST_NAME:-${0##*/}}]: $*" >&2
  if [[ -z ${_lt_failed:-} ]]; then
    _lt_failed=1
    if [[ -n ${IPVSD_LOG:-} && -s $IPVSD_LOG ]]; then
      echo "----- ipvsd log ($IPVSD_LOG, last 40 lines)" >&2
      tail -n 40 "$IPVSD_LOG" >&2 || true
    fi
  fi
  exit 1
}
note() { echo "[$(date +%T.%N | cut -c1-12)] $*"; }
ok() { echo "ok: $*"; }

[[ -n ${HK_BIN:-} ]] || fail "HK_BIN is not set (run through tests/uml/run)"
IPVSD=$HK_BIN/ipvsd
HACTL=$HK_BIN/hactl
FAKE_CHECKD=$(realpath -m -- "$HK_BIN/../tests/uml/fake_checkd")
for _lt_exe in "$IPVSD" "$HACTL" "$FAKE_CHECKD"; do
  [[ -x $_lt_exe ]] || fail "$_lt_exe missing: run 'make all' first"
done
PYTHON=/usr/bin/python3

CHECKD_UID=$(id -u daemon)   # checkd's role (global_defs checkd_user daemon)
WRONG_UID=$(id -u bin)       # no daemon role
SOCKET_GID=$(getent group nogroup | cut -d: -f3)

LT=$(mktemp -d /tmp/hk-ipvsd.XXXXXX)
chmod 0755 "$LT"
IPVSD_CONF=$LT/ipvsd.conf
IPVSD_SOCKDIR=$LT/run
IPVSD_LOG=$LT/ipvsd.log
IPVSD_NS=''    # namespace ipvsd runs in ('' = the guest's own)
IPVSD_PID=''
LT_PIDS=()     # background processes to stop on exit
LT_NS=()       # namespaces to delete on exit

# ---------------------------------------------------------------- cleanup
_lt_cleanup() {
  local rc=$? pid ns i
  set +eu
  trap - EXIT
  for pid in "${LT_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for ((i = 0; i < 30; i++)); do
    local left=0
    for pid in "${LT_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && left=1; done
    ((left)) || break
    sleep 0.1
  done
  for pid in "${LT_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  for ((i = ${#LT_NS[@]} - 1; i >= 0; i--)); do
    ns=${LT_NS[i]}
    # shellcheck disable=SC2046
    kill -KILL $(ip netns pids "$ns" 2>/dev/null) 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
  if ((rc != 0)) && [[ -z ${_lt_failed:-} && -s ${IPVSD_LOG:-} ]]; then
    echo "----- exit status $rc; ipvsd log ($IPVSD_LOG, last 40 lines)" >&2
    tail -n 40 "$IPVSD_LOG" >&2
  fi
  exit "$rc"
}
trap _lt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bg CMD...: CMD in the background, stopped on exit; sets BG_PID.
bg() {
  "$@" &
  BG_PID=$!
  LT_PIDS+=("$BG_PID")
}

# wait_for COND SECONDS: eval COND every 0.1 s until it succeeds (0) or the
# time is up (1).
wait_for() {
  local cond=$1 deadline
  deadline=$((${EPOCHREALTIME/./} + ${2:-10} * 1000000))
  while :; do
    if eval "$cond" >/dev/null 2>&1; then return 0; fi
    ((${EPOCHREALTIME/./} < deadline)) || return 1
    sleep 0.1
  done
}

# ---------------------------------------------------------------- namespaces
# Each process start costs in the guest (more so on a busy host): the lab is
# made with a few `ip -batch` runs rather than one `ip` per step.
# ns_create NAME...: namespaces hk-NAME with lo up.
ns_create() {
  local name
  for name in "$@"; do
    ip netns add "hk-$name" || fail "ip netns add hk-$name"
    LT_NS+=("hk-$name")
    ip -n "hk-$name" link set lo up
  done
}
nsx() { local ns=$1; shift; ip netns exec "hk-$ns" "$@"; }
# ns_batch NAME: `ip -n hk-NAME -batch -` of stdin (lines like "addr add ...").
ns_batch() { ip -n "hk-$1" -batch - || fail "ip -n hk-$1 -batch failed"; }

# lab_nat_director N: the usual NAT lab, IPVS in namespace hk-dir:
#   hk-client  eth0 192.0.2.2/24, default via 192.0.2.1
#   hk-dir     eth0 192.0.2.1/24 (+ the VIPs 192.0.2.100-104), br0 203.0.113.1/24
#              (ports p1..pN), forwarding on; ipvsd will run here
#              (IPVS is per network namespace)
#   hk-webI    eth0 203.0.113.1I/24 (I = 1..N), default via 203.0.113.1,
#              serving "webI" over HTTP on port 8080 (busybox httpd)
lab_nat_director() {
  local n=$1 i
  ns_create client dir
  for ((i = 1; i <= n; i++)); do ns_create "web$i"; done
  {
    echo "link add eth0 netns hk-client type veth peer name eth0 netns hk-dir"
    for ((i = 1; i <= n; i++)); do echo "link add eth0 netns hk-web$i type veth peer name p$i netns hk-dir"; done
  } | ip -batch - || fail "cannot create the lab's veths"
  printf '%s\n' "addr add 192.0.2.2/24 dev eth0" "link set eth0 up" "route add default via 192.0.2.1" |
    ns_batch client
  {
    echo "addr add 192.0.2.1/24 dev eth0"
    for i in 100 101 102 103 104; do echo "addr add 192.0.2.$i/32 dev eth0"; done
    echo "link set eth0 up"
    echo "link add br0 type bridge forward_delay 0"
    echo "addr add 203.0.113.1/24 dev br0"
    echo "link set br0 up"
    for ((i = 1; i <= n; i++)); do echo "link set p$i master br0"; echo "link set p$i up"; done
  } | ns_batch dir
  nsx dir sysctl -qw net.ipv4.ip_forward=1 >/dev/null
  for ((i = 1; i <= n; i++)); do
    printf '%s\n' "addr add 203.0.113.1$i/24 dev eth0" "link set eth0 up" "route add default via 203.0.113.1" |
      ns_batch "web$i"
    web_serve "web$i" 8080 "web$i"
  done
  IPVSD_NS=dir
  local check="true"
  for ((i = 1; i <= n; i++)); do
    check+=" && [[ \$(curl -s -m 1 http://203.0.113.1$i:8080/) == web$i ]]"
  done
  wait_for "nsx dir bash -c '$check'" 10 ||
    fail "the backends (203.0.113.11-1$n:8080) do not all answer from the director"
}

# web_serve NS PORT TEXT: busybox httpd in hk-NS answering TEXT on PORT.
web_serve() {
  local ns=$1 port=$2 text=$3 dir
  dir=$LT/www-$ns-$port
  mkdir -p "$dir"
  echo "$text" >"$dir/index.html"
  bg nsx "$ns" busybox httpd -f -p "$port" -h "$dir"
}

# ---------------------------------------------------------------- ipvsd
# ipvsd_config: $IPVSD_CONF = global_defs for the lab's accounts + stdin.
# Written to a temp file and renamed: a reload never reads half a file.
ipvsd_config() {
  {
    printf 'global_defs {\n    ipvsd_user nobody\n    checkd_user daemon\n    reader_group nogroup\n'
    [[ -z ${IPVSD_GLOBAL:-} ]] || printf '%s\n' "$IPVSD_GLOBAL"
    printf '}\n'
    cat
  } >"$IPVSD_CONF.tmp"
  chmod 0644 "$IPVSD_CONF.tmp"
  mv -f "$IPVSD_CONF.tmp" "$IPVSD_CONF"
}

# ipvsd_start [ARGS...]: ipvsd as nobody (in $IPVSD_NS if set), waits until
# it answers hactl (its first reconciliation is done by then).
ipvsd_start() {
  local run=("$IPVSD" -f "$IPVSD_CONF" --socket-dir "$IPVSD_SOCKDIR" --user nobody "$@")
  [[ -z $IPVSD_NS ]] || run=(ip netns exec "hk-$IPVSD_NS" "${run[@]}")
  echo "=== $(date +%T.%N | cut -c1-12) start: ${run[*]}" >>"$IPVSD_LOG"
  "${run[@]}" >>"$IPVSD_LOG" 2>&1 </dev/null &
  IPVSD_PID=$!
  LT_PIDS+=("$IPVSD_PID")
  wait_for '"$HACTL" --socket-dir "$IPVSD_SOCKDIR" ipvs' 10 ||
    fail "ipvsd did not answer hactl ipvs within 10 s"
  kill -0 "$IPVSD_PID" 2>/dev/null || fail "ipvsd exited"
}

# ipvsd_stop [SIGNAL]: signal (default TERM) and wait (3 s) until it is gone;
# IPVSD_RC is its exit status.
ipvsd_stop() {
  local sig=${1:-TERM} i
  [[ -n $IPVSD_PID ]] || return 0
  kill "-$sig" "$IPVSD_PID" 2>/dev/null || true
  for ((i = 0; i < 30; i++)); do
    kill -0 "$IPVSD_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$IPVSD_PID" 2>/dev/null && { kill -KILL "$IPVSD_PID"; fail "ipvsd ignored SIG$sig for 3 s"; }
  IPVSD_RC=0
  wait "$IPVSD_PID" 2>/dev/null || IPVSD_RC=$?
  IPVSD_PID=''
}

# ipvsd_hup: SIGHUP, and wait (5 s) until ipvsd logs that it reloaded.
ipvsd_hup() {
  local n
  n=$(grep -c 'configuration reloaded' "$IPVSD_LOG" || true)
  kill -HUP "$IPVSD_PID"
  wait_for '(( $(grep -c "configuration reloaded" "$IPVSD_LOG") > n ))' 5 ||
    fail "ipvsd did not reload on SIGHUP: $(tail -3 "$IPVSD_LOG")"
}

ipvsd_alive() { [[ -n $IPVSD_PID ]] && kill -0 "$IPVSD_PID" 2>/dev/null; }

hactl() { "$HACTL" --socket-dir "$IPVSD_SOCKDIR" "$@"; }

# ipvs_json EXPR: the Python expression EXPR of `hactl --json ipvs` (`d` is
# the document; vs(NAME) its virtual server, rs(NAME, ADDR) a real server),
# strings printed as they are, anything else as JSON.
ipvs_json() {
  local json
  json=$(hactl --json ipvs) || fail "hactl --json ipvs failed"
  "$PYTHON" -c '
import json, sys
d = json.loads(sys.argv[2])
def vs(name):
    return next(v for v in d["virtual_servers"] if v["name"] == name)
def rs(name, address):
    return next(r for r in vs(name)["real_servers"] if r["address"] == address)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))
' "$1" "$json" || fail "ipvs_json $1: failed on $json"
}
# ipvs_assert WHAT EXPR...: each Python EXPR (as for ipvs_json) of one
# `hactl --json ipvs` must be true; else fail with those that are not.
ipvs_assert() {
  local what=$1 json out
  shift
  json=$(hactl --json ipvs) || fail "hactl --json ipvs failed"
  out=$("$PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
def vs(name):
    return next(v for v in d["virtual_servers"] if v["name"] == name)
def rs(name, address):
    return next(r for r in vs(name)["real_servers"] if r["address"] == address)
for e in sys.argv[2:]:
    try:
        ok = eval(e)
    except Exception as x:
        ok = False
        e += " (%r)" % x
    if not ok:
        print("not true: " + e)
' "$json" "$@") || fail "$what: python failed"
  [[ -z $out ]] || fail "$what: hactl --json ipvs: $out; document: $json"
  ok "$what"
}
# ipvs_json_is EXPR VALUE: a condition for wait_for.
ipvs_json_is() { [[ $(ipvs_json "$1" 2>/dev/null) == "$2" ]]; }

# fake_checkd [--uid UID] [ARGS...] < COMMANDS: tests/uml/fake_checkd on
# ipvsd.sock as UID (default checkd's), gid nogroup, no other groups.
fake_checkd() {
  local uid=$CHECKD_UID
  if [[ ${1:-} == --uid ]]; then uid=$2; shift 2; fi
  setpriv --reuid "$uid" --regid "$SOCKET_GID" --clear-groups \
    "$FAKE_CHECKD" "$@" "$IPVSD_SOCKDIR/ipvsd.sock"
}

# ---------------------------------------------------------------- ipvsadm
# ipvsadm in ipvsd's namespace.
ipvsadm_ns() {
  if [[ -n $IPVSD_NS ]]; then ip netns exec "hk-$IPVSD_NS" ipvsadm "$@"; else ipvsadm "$@"; fi
}
# ipvsadm_list ARGS...: ipvsadm -Ln ARGS without the header lines.
ipvsadm_list() {
  ipvsadm_ns -Ln "$@" | grep -v -e '^IP Virtual Server' -e '^Prot ' -e '^  -> RemoteAddress' || true
}
# kernel_weight SERVICE-ARGS RS: the weight ipvsadm shows for RS ("" if absent),
# e.g. kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080.
kernel_weight() {
  # shellcheck disable=SC2086
  ipvsadm_list $1 | awk -v rs="$2" '$1 == "->" && $2 == rs { print $4 }'
}

# same WHAT EXPECTED ACTUAL: equal once whitespace runs are squeezed
# (ipvsadm pads its columns); else a diff and fail.
same() {
  local what=$1 expected actual
  expected=$(sed -E 's/[[:space:]]+/ /g; s/ $//' <<<"$2")
  actual=$(sed -E 's/[[:space:]]+/ /g; s/ $//' <<<"$3")
  if [[ $expected != "$actual" ]]; then
    echo "--- expected $what / +++ actual" >&2
    diff -u <(echo "$expected") <(echo "$actual") >&2 || true
    fail "$what differs"
  fi
  ok "$what"
}

# ---------------------------------------------------------------- traffic
# http_client writes $LT/client.py:
#   client.py URL COUNT [--interval S] [--timeout S] [--source ADDR]
# COUNT requests, each a new TCP connection; prints one line per answer
# (the body, or "ERROR reason"), then "total N ok M failed F"; exit 1 if any
# failed.
cat >"$LT/client.py" <<'PY'
import socket, sys, time
url, count = sys.argv[1], int(sys.argv[2])
interval, timeout, source = 0.0, 2.0, None
args = sys.argv[3:]
while args:
    if args[0] == "--interval": interval = float(args[1]); args = args[2:]
    elif args[0] == "--timeout": timeout = float(args[1]); args = args[2:]
    elif args[0] == "--source": source = args[1]; args = args[2:]
    else: sys.exit("client.py: bad argument %s" % args[0])
hostport = url.split("//", 1)[1].split("/", 1)[0]
host, port = hostport.rsplit(":", 1)
host = host.strip("[]")
family = socket.AF_INET6 if ":" in host else socket.AF_INET
ok = failed = 0
for i in range(count):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        if source: s.bind((source, 0))
        s.connect((host, int(port)))
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.") or b" 200 " not in head.split(b"\r\n")[0] + b" ":
            raise Exception("bad answer %r" % head[:40])
        print(body.decode().strip(), flush=True)
        ok += 1
    except Exception as e:
        print("ERROR %d %s" % (i, e), flush=True)
        failed += 1
    if interval: time.sleep(interval)
print("total %d ok %d failed %d" % (count, ok, failed), flush=True)
sys.exit(1 if failed else 0)
PY

# http_get COUNT VIP:PORT [CLIENT-OPTIONS]: COUNT requests from hk-client;
# prints the bodies, one a line.
http_get() {
  local count=$1 target=$2 out
  shift 2
  out=$(nsx client "$PYTHON" "$LT/client.py" "http://$target/" "$count" --timeout 2 "$@") ||
    fail "requests to $target failed: $(grep -v '^[a-z0-9]*$' <<<"$out" | head -5)"
  grep -v '^total ' <<<"$out"
}
# tally: "web1 20 web2 20" from http_get's output on stdin (sorted by name).
tally() { sort | uniq -c | awk '{ printf "%s%s %s", (NR > 1 ? " " : ""), $2, $1 } END { print "" }'; }

# ---------------------------------------------------------------- a fake vrrpd
# fake_vrrpd_start: listens on $IPVSD_SOCKDIR/vrrpd.sock (the socket ipvsd
# connects to) and appends what it receives to $LT/vrrpd.events, one line a
# datagram: "connect", "QuorumEvent LABEL up|down", or "other HEX". The socket
# directory is made here (mode 0755) if ipvsd has not made it yet.
# fake_vrrpd_stop: stops it (ipvsd sees vrrpd go away).
cat >"$LT/fake_vrrpd.py" <<'PY'
import os, select, socket, sys
path, out = sys.argv[1], sys.argv[2]
def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]; i += 1
        v |= (c & 0x7f) << shift; shift += 7
        if not c & 0x80: return v, i
def fields(b):
    i, f = 0, {}
    while i < len(b):
        key, i = varint(b, i)
        num, kind = key >> 3, key & 7
        if kind == 0: v, i = varint(b, i)
        elif kind == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        else: raise ValueError("wire type %d" % kind)
        f[num] = v
    return f
def log(line):
    with open(out, "a") as o: o.write(line + "\n")
try: os.unlink(path)
except FileNotFoundError: pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(path); os.chmod(path, 0o666); s.listen(8)
log("listening")
conns = []
while True:
    r, _, _ = select.select([s] + conns, [], [])
    for c in r:
        if c is s:
            conns.append(s.accept()[0]); log("connect"); continue
        data = c.recv(65536)
        if not data:
            conns.remove(c); c.close(); log("disconnect"); continue
        try:
            env = fields(data)
            if 13 in env:
                q = fields(env[13])
                log("QuorumEvent %s %s" % (q.get(1, b"").decode(), "up" if q.get(2, 0) else "down"))
                continue
        except Exception:
            pass
        log("other " + data.hex())
PY
FAKE_VRRPD_PID=''
fake_vrrpd_start() {
  if [[ ! -d $IPVSD_SOCKDIR ]]; then mkdir -m 0755 "$IPVSD_SOCKDIR"; fi
  : >>"$LT/vrrpd.events"
  local before
  before=$(grep -c '^listening' "$LT/vrrpd.events" || true)
  bg "$PYTHON" "$LT/fake_vrrpd.py" "$IPVSD_SOCKDIR/vrrpd.sock" "$LT/vrrpd.events"
  FAKE_VRRPD_PID=$BG_PID
  wait_for '(( $(grep -c "^listening" "$LT/vrrpd.events") > before ))' 10 || fail "fake vrrpd did not start"
}
fake_vrrpd_stop() {
  [[ -n $FAKE_VRRPD_PID ]] || return 0
  kill "$FAKE_VRRPD_PID" 2>/dev/null || true
  wait "$FAKE_VRRPD_PID" 2>/dev/null || true
  FAKE_VRRPD_PID=''
}
