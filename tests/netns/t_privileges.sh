#!/bin/bash
# DESIGN.md §1's observable result: each daemon, started as root with
# --user nobody, runs as nobody with exactly its capabilities, no bounding or
# ambient set, no_new_privs and a seccomp filter. hactl sees all three; a uid
# with no role is turned away by the socket directory's mode and, when the
# files are opened up, by the daemons themselves; a stopped daemon is
# reported as not running while the others stay UP.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

hk_ns_create n
sock=$HK_TMP/sock
hk_start_all n "$sock"

nobody_uid=$(id -u nobody)
declare -A want_caps=([vrrpd]=0000000000003000 [ipvsd]=0000000000001000 [checkd]=0000000000000000)
field() { awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status"; }
for d in vrrpd ipvsd checkd; do
  pid=$(hk_pid n "$d")
  hk_assert_running n "$d"
  uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")
  hk_assert_eq "$nobody_uid $nobody_uid $nobody_uid $nobody_uid" "$uids" "$d Uid (real, effective, saved, fs)"
  hk_assert_ne 0 "$(field "$pid" Uid)" "$d Uid"
  hk_assert_eq "${want_caps[$d]}" "$(field "$pid" CapEff)" "$d CapEff"
  hk_assert_eq "${want_caps[$d]}" "$(field "$pid" CapPrm)" "$d CapPrm"
  hk_assert_eq 0000000000000000 "$(field "$pid" CapInh)" "$d CapInh"
  hk_assert_eq 0000000000000000 "$(field "$pid" CapAmb)" "$d CapAmb"
  bnd=$(field "$pid" CapBnd)
  [[ $bnd == "${want_caps[$d]}" || $bnd == 0000000000000000 ]] ||
    hk_fail "$d CapBnd is $bnd: expected ${want_caps[$d]} or 0000000000000000"
  hk_assert_eq 1 "$(field "$pid" NoNewPrivs)" "$d NoNewPrivs"
  hk_assert_eq 2 "$(field "$pid" Seccomp)" "$d Seccomp (2 = filter mode)"
  # Its own netns: the daemon really runs inside the lab namespace.
  hk_assert_eq "$(readlink "/proc/$pid/ns/net")" "$(hk_ns_exec n readlink /proc/self/ns/net)" "$d network namespace"
done

# ---- hactl as root: everything reachable, the right pids, valid JSON.
hk_hactl --socket-dir "$sock" --json status
hk_assert_rc 0 "hactl --json status"
"$HK_PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
want = {"vrrpd": int(sys.argv[2]), "ipvsd": int(sys.argv[3]), "checkd": int(sys.argv[4])}
rows = {x["name"]: x for x in d["daemons"]}
assert sorted(rows) == sorted(want), "daemons listed: %s" % sorted(rows)
for name, pid in want.items():
    assert rows[name]["reachable"] is True, "%s not reachable: %r" % (name, rows[name])
    assert rows[name]["pid"] == pid, "%s pid %r, expected %d" % (name, rows[name]["pid"], pid)
    assert rows[name]["user"] == "nobody", "%s user %r" % (name, rows[name]["user"])
' "$HK_OUT" "$(hk_pid n vrrpd)" "$(hk_pid n ipvsd)" "$(hk_pid n checkd)" ||
  hk_fail "hactl --json status is not what was expected: $HK_OUT"

hk_hactl --socket-dir "$sock" status
hk_assert_rc 0 "hactl status"
for d in vrrpd ipvsd checkd; do
  hk_assert_line "^$d +UP +$(hk_pid n "$d") " "$HK_OUT" "hactl status row of $d"
done

# ---- a uid with no role (not root, no group): the directory keeps it out.
stranger=(setpriv --reuid 65533 --regid 65533 --clear-groups)
hk_run "${stranger[@]}" "$HK_BIN/hactl" --socket-dir "$sock" status
hk_assert_rc 1 "hactl status as uid 65533"
hk_assert_match "permission denied" "$HK_ERR" "stderr of hactl as uid 65533"
# The group named is the one that owns the socket directory (no 'hakeep' group here).
dir_group=$(stat -c %G "$sock")
hk_assert_contains "add your user to group $dir_group" "$HK_ERR" "stderr of hactl as uid 65533"
hk_assert_contains "uid 65533" "$HK_ERR" "stderr of hactl as uid 65533"

# ---- open the files up: the daemons themselves must refuse StatusRequest.
chmod 0755 "$sock"
chmod 0666 "$sock"/vrrpd.sock "$sock"/ipvsd.sock "$sock"/checkd.sock
hk_run "${stranger[@]}" "$HK_BIN/hactl" --socket-dir "$sock" status
hk_assert_rc 1 "hactl status as uid 65533 with open sockets"
for d in vrrpd ipvsd checkd; do
  hk_assert_match "$d refused: permission denied" "$HK_ERR" "stderr of hactl as uid 65533 (open sockets)"
done
hk_assert_not_match ' UP ' "$HK_OUT" "hactl status table as uid 65533"
hk_run "${stranger[@]}" "$HK_BIN/hactl" --socket-dir "$sock" --json status
hk_assert_rc 1 "hactl --json status as uid 65533 with open sockets"
hk_assert_eq '[false, false, false]' "$(hk_json '[x["reachable"] for x in d["daemons"]]' <<<"$HK_OUT")" \
  "reachable, as uid 65533"
# The daemons are still there for root after refusing the stranger.
for d in vrrpd ipvsd checkd; do hk_assert_running n "$d"; done
hk_hactl --socket-dir "$sock" status
hk_assert_rc 0 "hactl status as root after the refusals"

# ---- stop one daemon: hactl says so and still shows the other two UP.
hk_stop_daemon n ipvsd TERM
hk_assert_eq 0 "$HK_RC" "exit status of ipvsd after SIGTERM"
hk_hactl --socket-dir "$sock" status
hk_assert_rc 1 "hactl status with ipvsd stopped"
hk_assert_match "ipvsd is not running" "$HK_ERR" "stderr of hactl status with ipvsd stopped"
hk_assert_line "^ipvsd +DOWN" "$HK_OUT" "ipvsd row"
hk_assert_line "^vrrpd +UP" "$HK_OUT" "vrrpd row"
hk_assert_line "^checkd +UP" "$HK_OUT" "checkd row"
hk_hactl --socket-dir "$sock" --json status
hk_assert_rc 1 "hactl --json status with ipvsd stopped"
hk_assert_eq '{"vrrpd": true, "ipvsd": false, "checkd": true}' \
  "$(hk_json '{x["name"]: x["reachable"] for x in d["daemons"]}' <<<"$HK_OUT")" "reachable with ipvsd stopped"
hk_assert_match "not running" "$(hk_json '[x for x in d["daemons"] if x["name"] == "ipvsd"][0]["error"]' <<<"$HK_OUT")" \
  "JSON error of ipvsd"
echo "ok: uid, capabilities, no_new_privs, seccomp; hactl access control; a stopped daemon"
