#!/bin/bash
# The packaged daemons started the way their units start them, in a fresh
# Debian 12 root with the package installed: directly as their accounts,
# with exactly their capabilities as ambient ones (bounding set narrowed,
# no_new_privs), behind the unit's system call filter and address families,
# NOTIFY_SOCKET and WATCHDOG_USEC set. Then:
#   - each creates its socket in the tmpfiles.d directory (root:hakeep, the
#     ACL lets only the daemon accounts write) and says READY=1; ipvsd also
#     its own directory there for its list of owned services;
#   - /proc/PID/status: its uid, its capabilities only, no ambient ones,
#     NoNewPrivs 1, Seccomp 2 (DESIGN.md §1, the service-manager path);
#   - the three reach each other across accounts (hactl status as root);
#   - WATCHDOG=1 every WATCHDOG_USEC/2; SIGHUP gives RELOADING=1 then
#     READY=1; SIGTERM gives STOPPING=1 and exit 0.
# Everything runs in new mount, network and PID namespaces: the daemons see
# only a loopback interface, touch nothing of the host's network, and die
# with the namespace.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || hk_fail "python3 is missing; run 'make deps'"

root=$HK_TMP/root
hk_fresh_root "$root"
cp "$HK_DEB" "$root/tmp/hakeep.deb"
hk_in_root "$root" dpkg -i /tmp/hakeep.deb >"$HK_TMP/install.log" 2>&1 ||
  { cat "$HK_TMP/install.log"; hk_fail "dpkg -i failed"; }
# The unit's system call filter and address families, as systemd would
# install them (tests/package/unit_filter.cc), expanded from the packaged
# unit with `systemd-analyze syscall-filter`.
g++ -std=c++20 -O2 -o "$root/tmp/unit_filter" "$HK_PKG_DIR/unit_filter.cc" -lseccomp ||
  hk_fail "cannot build unit_filter (libseccomp-dev: make deps)"
expand() { # ITEM...: the system call names
  local item sub
  for item; do
    if [[ $item == @* ]]; then
      for sub in $(systemd-analyze syscall-filter "$item" 2>/dev/null | awk 'NR > 1 && $1 !~ /^#/ && NF { print $1 }'); do
        expand "$sub"
      done
    else
      echo "$item"
    fi
  done
}
declare -A family_number=([AF_UNIX]=1 [AF_INET]=2 [AF_INET6]=10 [AF_NETLINK]=16 [AF_PACKET]=17)
for d in vrrpd ipvsd checkd; do
  unit=$root/lib/systemd/system/hakeep-$d.service
  : >"$HK_TMP/$d.allowed"
  while read -r value; do
    if [[ $value == "~"* ]]; then
      # shellcheck disable=SC2086
      expand ${value#\~} | sort -u >"$HK_TMP/denied"
      sort -u "$HK_TMP/$d.allowed" | comm -23 - "$HK_TMP/denied" >"$HK_TMP/next"
    else
      # shellcheck disable=SC2086
      { cat "$HK_TMP/$d.allowed"; expand $value; } | sort -u >"$HK_TMP/next"
    fi
    mv "$HK_TMP/next" "$HK_TMP/$d.allowed"
  done < <(sed -n 's/^SystemCallFilter=//p' "$unit")
  (($(wc -l <"$HK_TMP/$d.allowed") > 100)) || hk_fail "$d: the unit's filter expanded to too few calls"
  cp "$HK_TMP/$d.allowed" "$root/tmp/$d.syscalls"
  fams=''
  for f in $(sed -n 's/^RestrictAddressFamilies=//p' "$unit"); do fams+=${family_number[$f]},; done
  echo "$fams" >"$HK_TMP/$d.families"
done

# Configurations of this host: no instance, no virtual server, no check, so
# that nothing leaves the namespace even in principle. Written into the
# packaged files, which keeps their owner and mode.
for d in vrrpd ipvsd checkd; do
  printf '# %s.conf of the service test: nothing to do\nglobal_defs {\n}\n' "$d" >"$root/etc/hakeep/$d.conf"
done

cat >"$HK_TMP/listen.py" <<'PY'
import socket, sys, time
name, path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name)
with open(path, "a", buffering=1) as out:
    out.write("listening\n")
    while True:
        data = s.recv(4096).decode()
        out.write("%.3f %s\n" % (time.monotonic(), data.replace("\n", "|")))
PY

cat >"$HK_TMP/inner.sh" <<'INNER'
set -euo pipefail
root=$1 tmp=$2
mount -t proc proc "$root/proc"
ip link set lo up
declare -A acct=([vrrpd]=hakeep-vrrp [ipvsd]=hakeep-ipvs [checkd]=hakeep-check)
declare -A caps=([vrrpd]=+net_raw,+net_admin [ipvsd]=+net_admin [checkd]='')
declare -A hex=([vrrpd]=0000000000003000 [ipvsd]=0000000000001000 [checkd]=0000000000000000)
declare -A pid=()
fail() { echo "FAIL [t_service]: $*" >&2; for d in vrrpd ipvsd checkd; do echo "--- $d log"; cat "$tmp/$d.log" 2>/dev/null; echo "--- $d notify"; cat "$tmp/$d.notify" 2>/dev/null; done; exit 1; }
wait_for() { # FILE REGEX SECONDS
  local i
  for ((i = 0; i < $3 * 20; i++)); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}
field() { awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print; exit }' "/proc/$1/status"; }

for d in vrrpd ipvsd checkd; do
  python3 "$tmp/listen.py" "hk-notify-$d" "$tmp/$d.notify" &
  wait_for "$tmp/$d.notify" listening 5 || fail "notify listener for $d"
  c=${caps[$d]}
  # What systemd does for the unit: User=, AmbientCapabilities=,
  # CapabilityBoundingSet=, NoNewPrivileges=yes, SystemCallFilter=,
  # RestrictAddressFamilies=, NOTIFY_SOCKET, WATCHDOG_*.
  sh -c 'export WATCHDOG_PID=$$; exec "$@"' sh \
    env -i PATH=/usr/sbin:/usr/bin NOTIFY_SOCKET="@hk-notify-$d" WATCHDOG_USEC=1000000 \
    chroot "$root" setpriv --reuid="${acct[$d]}" --regid="${acct[$d]}" --init-groups \
      --inh-caps="-all${c:+,$c}" --ambient-caps="-all${c:+,$c}" --bounding-set="-all${c:+,$c}" \
      --no-new-privs /tmp/unit_filter "/tmp/$d.syscalls" "$(cat "$tmp/$d.families")" \
      "/usr/sbin/$d" >"$tmp/$d.log" 2>&1 &
  pid[$d]=$!
done
for d in vrrpd ipvsd checkd; do
  wait_for "$tmp/$d.notify" 'READY=1' 10 || fail "$d did not say READY=1"
  grep -q "READY=1|STATUS=running as ${acct[$d]}" "$tmp/$d.notify" || fail "$d: READY=1 without its STATUS"
  p=${pid[$d]}
  uid=$(chroot "$root" id -u "${acct[$d]}")
  [[ $(field "$p" Uid) == "$uid $uid $uid $uid" ]] || fail "$d Uid: $(field "$p" Uid)"
  for f in CapEff CapPrm; do [[ $(field "$p" $f) == "${hex[$d]}" ]] || fail "$d $f: $(field "$p" $f)"; done
  for f in CapInh CapAmb; do [[ $(field "$p" $f) == 0000000000000000 ]] || fail "$d $f: $(field "$p" $f)"; done
  b=$(field "$p" CapBnd)
  [[ $b == "${hex[$d]}" || $b == 0000000000000000 ]] || fail "$d CapBnd: $b"
  [[ $(field "$p" NoNewPrivs) == 1 ]] || fail "$d NoNewPrivs"
  [[ $(field "$p" Seccomp) == 2 ]] || fail "$d Seccomp: $(field "$p" Seccomp)"
  s=$(stat -c '%F %a %u %g' "$root/run/hakeep/$d.sock" 2>/dev/null) || fail "$d made no socket in /run/hakeep"
  [[ $s == "socket 660 $uid $(chroot "$root" getent group hakeep | cut -d: -f3)" ]] ||
    fail "$d socket (type, mode, uid, gid): $s"
  if [[ $d == ipvsd ]]; then
    # Its list of owned services goes in a directory of its own, made through the ACL.
    s=$(stat -c '%F %a %u' "$root/run/hakeep/ipvsd" 2>/dev/null) ||
      fail "ipvsd made no /run/hakeep/ipvsd: $(cat "$tmp/ipvsd.log")"
    [[ $s == "directory 700 $uid" ]] || fail "/run/hakeep/ipvsd (type, mode, uid): $s"
    grep -q 'owned-services: none yet (first start)' "$tmp/ipvsd.log" || fail "ipvsd did not read its list: $(cat "$tmp/ipvsd.log")"
  fi
done
echo "three daemons ready as their accounts, with their capabilities only"

# The three reach each other (checkd -> vrrpd, ipvsd; vrrpd -> checkd, ipvsd; ipvsd -> vrrpd).
ok=0
for i in $(seq 1 60); do
  out=$(chroot "$root" hactl --json status 2>/dev/null || true)
  if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
links = {(x["name"], p["name"]): p["connected"] for x in d["daemons"] for p in x.get("peers", [])}
want = {("vrrpd", "checkd"), ("vrrpd", "ipvsd"), ("ipvsd", "vrrpd"), ("checkd", "vrrpd"), ("checkd", "ipvsd")}
sys.exit(0 if all(x["reachable"] for x in d["daemons"]) and all(links.get(w) for w in want) else 1)
' "$out" 2>/dev/null; then ok=1; break; fi
  sleep 0.1
done
((ok)) || fail "the daemons did not all reach each other: $out"
echo "hactl: all reachable, every peer link up"

sleep 1.3
for d in vrrpd ipvsd checkd; do
  n=$(grep -c 'WATCHDOG=1' "$tmp/$d.notify" || true)
  ((n >= 2)) || fail "$d: $n WATCHDOG=1 in 1.3 s with WATCHDOG_USEC=1000000"
  kill -HUP "${pid[$d]}"
  wait_for "$tmp/$d.notify" 'RELOADING=1\|STATUS=reloading\|MONOTONIC_USEC=[0-9]+' 5 || fail "$d: no RELOADING=1 on SIGHUP"
  wait_for "$tmp/$d.notify" 'RELOADING=1.*' 1
  # READY=1 again after the reload: two READY=1 lines in all.
  for i in $(seq 1 100); do (($(grep -c 'READY=1' "$tmp/$d.notify") >= 2)) && break; sleep 0.05; done
  (($(grep -c 'READY=1' "$tmp/$d.notify") >= 2)) || fail "$d: no READY=1 after the reload"
  awk '/RELOADING=1/ { r = NR } /READY=1/ { if (r && NR > r) ok = 1 } END { exit !ok }' "$tmp/$d.notify" ||
    fail "$d: READY=1 not after RELOADING=1"
done
for d in vrrpd ipvsd checkd; do
  kill -TERM "${pid[$d]}"
  rc=0; wait "${pid[$d]}" || rc=$?
  ((rc == 0)) || fail "$d exited $rc on SIGTERM"
  grep -q 'STOPPING=1' "$tmp/$d.notify" || fail "$d: no STOPPING=1"
done
echo "watchdog, reload and stop notifications as sd_notify(3) says"
INNER

timeout -k 5 60 unshare --mount --net --pid --fork --mount-proc --propagation private \
  bash "$HK_TMP/inner.sh" "$root" "$HK_TMP" || hk_fail "the service test failed (above)"
echo "ok: the packaged daemons run as their units run them, and speak sd_notify"
