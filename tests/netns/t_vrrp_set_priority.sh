#!/bin/bash
# hactl set-priority (DESIGN.md §2 SetPriority) against a vrrpd pair, VRRPv3
# advert_int 0.1, a 100 and b 110 in vrrpd.conf, both preempting:
# - a backup set above the master (a 150) preempts it; the master's peer
#   sees the new priority in its adverts; hactl vrrp, explain and status
#   show the value as set at runtime, beside the configured one;
# - refusals, exit 1, nothing changed: 0, 255 on a non-owner, 300, the
#   owner's 255 (VI_2), an unknown instance, an account without the admin
#   role; usage errors exit 2;
# - a reload that leaves VI_1's `priority` alone keeps the runtime value
#   (a stays MASTER at 150 although the file says 100);
# - a master set below the backup (a 90) hands over: b preempts it;
# - a reload changing VI_1's `priority` (to 120) drops the runtime value
#   (the reload says so) and the file's priority preempts b again;
# - the configured value set again clears the runtime one; a restart
#   returns to the file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a b
sock=$HK_TMP/sock-a
schema() { "$HK_PYTHON" "$HK_NETNS_DIR/hactl_schema.py" "$@"; }
ha() { hk_hactl --socket-dir "$sock" "$@"; }
conf() { # HOST PRIORITY [EXTRA_VIP of VI_2]: VI_2 (vrid 52) is a's alone, the address owner
  {
    vr_instance VI_1 51 "$2" 192.0.2.100/24
    [[ $1 != a ]] || vr_instance VI_2 52 255 "192.0.2.101/24 ${3:-}"
  } | vr_conf "$1"
}
# a's VI_1 as "STATE PRIORITY RUNTIME EFFECTIVE"
a_vi1() { vr_field a VI_1 '" ".join(str(x) for x in [i["state"], i["priority"], i["runtime_priority"], i["effective_priority"]])'; }

conf a 100
conf b 110
vr_start a
vr_start b
hk_wait_for 'vr_is a VI_1 BACKUP && vr_is b VI_1 MASTER && vr_is a VI_2 MASTER' 5 ||
  hk_fail "start: expected a BACKUP, b MASTER; got a=$(vr_state a) b=$(vr_state b)"
hk_assert_eq "BACKUP 100 None 100" "$(a_vi1)" "a before set-priority"

# ---- a backup set above the master preempts it.
ha set-priority VI_1 150
hk_assert_rc 0 "set-priority VI_1 150 on a (BACKUP)"
hk_assert_eq "vrrpd: VI_1 priority 100 -> 150 (effective 150, BACKUP); runtime only: a restart, or a reload that changes its priority in vrrpd.conf, returns to 100" \
  "$HK_OUT" "set-priority 150"
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP && vr_has a 192.0.2.100' 3 ||
  hk_fail "a (150) did not preempt b (110): a=$(vr_state a) b=$(vr_state b)"
vr_has b 192.0.2.100 && hk_fail "b kept the VIP after a preempted"
hk_assert_eq "MASTER 100 150 150" "$(a_vi1)" "a after set-priority 150"
a_log=$(hk_daemon_log a vrrpd)
hk_assert_line 'VI_1: priority 100 -> 150 set by hactl \(configured 100\), effective 150' "$(cat "$a_log")" "a's log"
hk_assert_line 'VI_1: BACKUP -> MASTER \(master down timer expired\)' "$(cat "$a_log")" "a's log"
# b hears the new priority in a's adverts.
hk_hactl --socket-dir "$HK_TMP/sock-b" --json explain VI_1
hk_assert_eq '["192.0.2.11", 150]' "$(hk_json '[d["master"]["address"], d["master"]["priority"]]' <<<"$HK_OUT")" "b's view of the master"
# How hactl shows it.
ha vrrp
hk_assert_line '^VI_1 +MASTER +150\* +150 +51 ' "$HK_OUT" "hactl vrrp row"
hk_assert_line '^\* priority set at runtime \(hactl set-priority\), until vrrpd restarts:$' "$HK_OUT" "hactl vrrp footnote"
hk_assert_line '^  VI_1: 150 \(configured 100\)$' "$HK_OUT" "hactl vrrp footnote"
ha --json vrrp
schema vrrp --strict <<<"$HK_OUT" || hk_fail "hactl --json vrrp does not follow vrrp.schema.json: $HK_OUT"
ha explain VI_1
hk_assert_line '^Priority: configured 100, set at runtime to 150 \(hactl set-priority; until vrrpd restarts\), effective 150 \(no trackers\)\.$' \
  "$HK_OUT" "explain VI_1"
ha --json explain VI_1
schema explain --strict <<<"$HK_OUT" || hk_fail "hactl --json explain does not follow explain.schema.json: $HK_OUT"
hk_assert_eq '[100, 150, 150]' "$(hk_json '[d["priority"], d["runtime_priority"], d["effective_priority"]]' <<<"$HK_OUT")" "explain JSON"
hk_assert_eq "VI_1:150" "$(hk_status_field "$sock" vrrpd 'x["config_summary"]["runtime_priority"]')" "hactl status"
ha status
hk_assert_line '^vrrpd +UP .* runtime_priority=VI_1:150( |$)' "$HK_OUT" "hactl status row"
echo "ok: a backup set above the master preempts it; vrrp, explain, status show it"

# ---- refusals: exit 1, one line, nothing changed.
refused() { # EXPECTED_STDERR ARGS...
  local expected=$1
  shift
  ha set-priority "$@"
  hk_assert_rc 1 "set-priority $*"
  hk_assert_eq "$expected" "$HK_ERR" "set-priority $*"
  hk_assert_eq "" "$HK_OUT" "stdout of set-priority $*"
}
refused "hactl: vrrpd: priority 0 is a resignation, not a priority: VALUE must be 1..254 (hactl resign VI_1 hands mastership over at once)" VI_1 0
refused "hactl: vrrpd: priority 255 is only for the address owner: VALUE must be 1..254 (an owner is configured with priority 255 in vrrpd.conf)" VI_1 255
refused "hactl: vrrpd: priority 300 is out of range: VALUE must be 1..254" VI_1 300
refused "hactl: vrrpd: VI_2 is the address owner (priority 255 in vrrpd.conf): its priority never changes at runtime; give it another priority in vrrpd.conf and reload" VI_2 100
refused "hactl: vrrpd: no vrrp_instance 'NOPE' (hactl vrrp lists them)" NOPE 100
# nobody reaches the socket (the lab runs the daemons as nobody) but is no admin.
hk_run setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups "$HK_BIN/hactl" --socket-dir "$sock" set-priority VI_1 90
hk_assert_rc 1 "set-priority as nobody"
hk_assert_match "^hactl: vrrpd refused: permission denied: SetPriority needs a role .*: add your user to group hakeep-admin to change state \(or run hactl as root\)$" \
  "$HK_ERR" "set-priority as nobody"
for args in "" "VI_1" "VI_1 high" "VI_1 -5" "VI_1 1e2" "VI_1 150 extra"; do
  # shellcheck disable=SC2086
  ha set-priority $args
  hk_assert_rc 2 "set-priority $args"
  hk_assert_eq "hactl: usage: hactl set-priority INSTANCE VALUE (VALUE a number, 1..254)" "$HK_ERR" "set-priority $args"
done
hk_assert_eq "MASTER 100 150 150" "$(a_vi1)" "a after the refusals"
hk_assert_eq 255 "$(vr_field a VI_2 'i["effective_priority"]')" "the owner after the refusals"
hk_assert_eq null "$(vr_field a VI_2 'i["runtime_priority"]')" "the owner after the refusals"
echo "ok: refusals (0, 255, 300, the owner, unknown instance, no admin role) and usage errors"

# ---- a reload that leaves VI_1's priority alone keeps the runtime value.
conf a 100 192.0.2.102/24   # VI_2 gets a VIP; VI_1 as before
ha reload vrrpd
hk_assert_rc 0 "hactl reload vrrpd (VI_1 unchanged)"
hk_assert_eq "vrrpd: configuration reloaded from $HK_TMP/a.conf: the same counts as before" "$HK_OUT" "reload message"
hk_wait_for 'vr_has a 192.0.2.102' 3 || hk_fail "the reload did not apply (VI_2's new VIP missing)"
sleep 1   # > 3 Master_Down_Intervals: a would have lost VI_1 at 100
hk_assert_eq "MASTER 100 150 150" "$(a_vi1)" "a after a reload that keeps VI_1's priority"
hk_assert_eq BACKUP "$(vr_state b)" "b after a's reload"
hk_assert_eq "VI_1:150" "$(hk_status_field "$sock" vrrpd 'x["config_summary"]["runtime_priority"]')" "status after the reload"
echo "ok: a reload that does not change VI_1's priority keeps the runtime value"

# ---- the master set below the backup hands over.
ha --json set-priority VI_1 90
hk_assert_rc 0 "set-priority VI_1 90 on a (MASTER)"
schema command --strict <<<"$HK_OUT" || hk_fail "set-priority JSON does not follow command.schema.json: $HK_OUT"
hk_assert_eq '["vrrpd", "set-priority", true, ["VI_1: priority 150 -> 90"]]' \
  "$(hk_json '[d["daemon"], d["command"], d["ok"], d["changes"]]' <<<"$HK_OUT")" "set-priority JSON"
hk_wait_for 'vr_is b VI_1 MASTER && vr_is a VI_1 BACKUP && vr_has b 192.0.2.100' 3 ||
  hk_fail "b (110) did not take over from a (90): a=$(vr_state a) b=$(vr_state b)"
vr_has a 192.0.2.100 && hk_fail "a kept the VIP after b took over"
hk_assert_line 'VI_1: MASTER -> BACKUP \(higher priority advert from 192.0.2.12 \(110\)\)' "$(cat "$a_log")" "a's log"
hk_assert_eq "BACKUP 100 90 90" "$(a_vi1)" "a after set-priority 90"
echo "ok: a master set below the backup hands over"

# ---- a reload changing VI_1's priority drops the runtime value.
conf a 120 192.0.2.102/24
ha reload vrrpd
hk_assert_rc 0 "hactl reload vrrpd (VI_1's priority 100 -> 120)"
hk_assert_eq "vrrpd: configuration reloaded from $HK_TMP/a.conf: runtime_priority gone (was VI_1:90)" "$HK_OUT" "reload message"
hk_assert_line 'VI_1: priority in vrrpd.conf changed 100 -> 120: the priority set at runtime \(90\) no longer applies' \
  "$(cat "$a_log")" "a's log"
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP' 3 ||
  hk_fail "a (120 from the file) did not preempt b (110): a=$(vr_state a) b=$(vr_state b)"
hk_assert_eq "MASTER 120 None 120" "$(a_vi1)" "a after a reload that changes VI_1's priority"
hk_assert_eq "" "$(hk_status_field "$sock" vrrpd 'x["config_summary"].get("runtime_priority", "")')" "status without runtime priorities"
echo "ok: a reload that changes VI_1's priority drops the runtime value"

# ---- the configured value clears it; a restart returns to the file.
ha set-priority VI_1 100
hk_assert_rc 0 "set-priority VI_1 100"
hk_wait_for 'vr_is b VI_1 MASTER && vr_is a VI_1 BACKUP' 3 || hk_fail "b (110) did not take over from a (100)"
ha set-priority VI_1 100
hk_assert_rc 0 "set-priority VI_1 100 again"
hk_assert_eq "vrrpd: VI_1 has priority 100 already (set at runtime): nothing changed" "$HK_OUT" "the same value again"
ha set-priority VI_1 120
hk_assert_rc 0 "set-priority VI_1 120 (the configured value)"
hk_assert_match "^vrrpd: VI_1 priority 100 -> 120, its configured priority again \(effective 120, (BACKUP|MASTER)\)$" "$HK_OUT" "back to the configured value"
hk_wait_for 'vr_is a VI_1 MASTER' 3 || hk_fail "a (120) did not preempt b again"
hk_assert_eq "MASTER 120 None 120" "$(a_vi1)" "a at its configured priority"
ha set-priority VI_1 100
hk_wait_for 'vr_is b VI_1 MASTER && vr_is a VI_1 BACKUP' 3 || hk_fail "b (110) did not take over from a (100)"
hk_stop_daemon a vrrpd
hk_wait_for 'vr_is b VI_1 MASTER' 3 || hk_fail "b not MASTER while a is stopped"
vr_start a
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP' 5 ||
  hk_fail "restarted a (120 in the file) did not preempt b: a=$(vr_state a) b=$(vr_state b)"
hk_assert_eq "MASTER 120 None 120" "$(a_vi1)" "a after a restart"
echo "ok: the configured value clears the runtime one; a restart returns to vrrpd.conf"
