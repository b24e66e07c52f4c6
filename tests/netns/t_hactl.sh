#!/bin/bash
# hactl for people (issue 6, DESIGN.md §4): every command against real
# daemons (a vrrpd pair, checkd and ipvsd on node a; this host has no kernel
# IPVS, so ipvsd runs without it and its table is ipvsd's wish), as tables and
# as JSON validated against hactl/schema/*.schema.json; explain naming the
# tracked check that lowered the priority; colour only on a terminal (script
# gives a pty) and never with NO_COLOR; one line per change for drain,
# undrain, resign and reload; refusals (daemon down, no socket, a user without
# the group, a role that may not change state) with exit 1, usage errors 2.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a b
sock=$HK_TMP/sock-a
ip_a=$(hk_ip4 a)
ip_b=$(hk_ip4 b)
schema() { "$HK_PYTHON" "$HK_NETNS_DIR/hactl_schema.py" "$@"; }
# hactl on node a; HK_OUT, HK_ERR, HK_RC as hk_run sets them.
ha() { hk_hactl --socket-dir "$sock" "$@"; }
# ha --json ARGS, exit status EXPECTED, output valid for SCHEMA and strict.
json_ok() { # SCHEMA EXPECTED_RC ARGS...
  local name=$1 rc=$2
  shift 2
  ha --json "$@"
  hk_assert_rc "$rc" "hactl --json $*"
  schema "$name" --strict <<<"$HK_OUT" 2>"$HK_TMP/schema.err" ||
    hk_fail "hactl --json $* does not follow $name.schema.json: $(<"$HK_TMP/schema.err") in: $HK_OUT"
}

# ---- the lab: chk_web (nothing listens on its port) is DOWN and costs a 20,
# so a (110 - 20 = 90) is BACKUP under b (100).
hk_write_config "$HK_TMP/checkd.conf" <<EOF2
check chk_web {
    address $ip_a 8080
    delay_loop 0.2
    TCP_CHECK { connect_timeout 0.5  retry 0 }
}
EOF2
hk_write_config "$HK_TMP/ipvsd.conf" <<EOF2
virtual_server 192.0.2.100 80 {
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 203.0.113.11 8080 { weight 3 }
    real_server 203.0.113.12 8080 { weight 1  track_check chk_web }
}
EOF2
vrrp_conf() { # PRIORITY [TRACK]
  echo "vrrp_instance VI_1 {"
  echo "    interface eth0"; echo "    virtual_router_id 51"; echo "    version 3"
  echo "    priority $1"; echo "    advert_int 0.1"
  echo "    virtual_ipaddress {"; echo "        192.0.2.100/24"; echo "    }"
  [[ -z ${2:-} ]] || { echo "    track_script {"; echo "        $2"; echo "    }"; }
  echo "}"
}
vrrp_conf 110 "chk_web weight -20" | vr_conf a
vrrp_conf 100 | vr_conf b
hk_start_daemon a checkd -f "$HK_TMP/checkd.conf" --socket-dir "$sock" --user nobody
hk_start_daemon a ipvsd -f "$HK_TMP/ipvsd.conf" --socket-dir "$sock" --user nobody
vr_start a
vr_start b
for d in vrrpd ipvsd checkd; do
  hk_wait_for "hk_status_is '$sock' $d 'x[\"reachable\"]' true" 10 || hk_fail "$d on a did not answer within 10 s"
done
hk_wait_for "vr_is a VI_1 BACKUP && vr_is b VI_1 MASTER && [[ \$(vr_field a VI_1 'i[\"effective_priority\"]') == 90 ]]" 10 ||
  hk_fail "expected a BACKUP at 90 and b MASTER, got a=$(vr_state a) ($(vr_field a VI_1 'i["effective_priority"]')) b=$(vr_state b)"

# ---- status, vrrp, ipvs, checks: tables and JSON
ha status
hk_assert_rc 0 "hactl status"
hk_assert_line "^DAEMON +STATE +PID +VERSION +UPTIME +USER +CONFIGURATION +COUNTERS$" "$HK_OUT" "status header"
for d in vrrpd ipvsd checkd; do hk_assert_line "^$d +UP +$(hk_pid a "$d") +" "$HK_OUT" "status row of $d"; done
# The counts of the configuration, then the counters (a is BACKUP, knows chk_web).
hk_assert_line "^vrrpd +.* nobody +instances=1 sync_groups=0 +checks_known=1 master=0$" "$HK_OUT" "vrrpd's counts and counters"
hk_assert_line "^ipvsd +.* nobody +real_servers=2 virtual_servers=1 +checks_known=[01] kernel=unavailable$" "$HK_OUT" "ipvsd's counts and counters"
hk_assert_line "^checkd +.* nobody +checks=1 probes=1 vrrp_scripts=0 +checks_down=1 checks_known=1 .* runs=[0-9]+ workers=[0-9]+$" "$HK_OUT" "checkd's counts and counters"
[[ $HK_OUT != *$'\e['* ]] || hk_fail "colour in hactl status without a terminal: $HK_OUT"
json_ok status 0 status
hk_assert_eq '["vrrpd", "ipvsd", "checkd"]' "$(hk_json '[x["name"] for x in d["daemons"] if x["reachable"]]' <<<"$HK_OUT")" "reachable daemons"
hk_assert_eq '[["instances", "sync_groups"], ["checks_known", "master"], ["real_servers", "virtual_servers"], ["checks_known", "kernel"], ["checks", "probes", "vrrp_scripts"]]' \
  "$(hk_json '[sorted(x[m]) for x in d["daemons"] for m in ("config_summary", "counters")][:5]' <<<"$HK_OUT")" "status JSON: counts apart from counters"
hk_assert_eq '["1", "0"]' "$(hk_json '[d["daemons"][2]["counters"][k] for k in ("checks_down", "notify_started")]' <<<"$HK_OUT")" "checkd's counters in JSON"

ha vrrp
hk_assert_rc 0 "hactl vrrp"
hk_assert_line "^INSTANCE +STATE +PRIO +EFF +VRID +IF +VER +MASTER +VIPS" "$HK_OUT" "vrrp header"
hk_assert_line "^VI_1 +BACKUP +110 +90 +51 +eth0 +v3 +$ip_b +192.0.2.100/24 " "$HK_OUT" "vrrp row of a"
json_ok vrrp 0 vrrp
hk_assert_eq '["BACKUP", 110, 90, "192.0.2.12"]' \
  "$(hk_json '[[i["state"], i["priority"], i["effective_priority"], i["master_address"]] for i in d["instances"]][0]' <<<"$HK_OUT")" "vrrp JSON of a"
hk_run "$HK_BIN/hactl" --socket-dir "$HK_TMP/sock-b" --json vrrp
schema vrrp --strict <<<"$HK_OUT" || hk_fail "hactl --json vrrp of b does not follow the schema"
hk_assert_eq MASTER "$(hk_json 'd["instances"][0]["state"]' <<<"$HK_OUT")" "b's state in JSON"

ha ipvs
hk_assert_rc 0 "hactl ipvs"
hk_assert_line "^kernel: IPVS unavailable" "$HK_OUT" "ipvs without kernel IPVS"
hk_assert_line "^192.0.2.100:80/tcp  wrr NAT  quorum UP" "$HK_OUT" "virtual server line"
hk_assert_line "^  REAL SERVER +HEALTH +WEIGHT +KERNEL +CHECK" "$HK_OUT" "real server header"
hk_assert_line "^  203.0.113.11:8080 +UP +3 +- +- " "$HK_OUT" "untracked real server row"
hk_wait_for "hk_hactl --socket-dir '$sock' ipvs; grep -Eq '^  203.0.113.12:8080 +DOWN +1 +- +chk_web ' <<<\"\$HK_OUT\"" 5 ||
  hk_fail "203.0.113.12:8080 (chk_web) not DOWN in hactl ipvs: $HK_OUT"
json_ok ipvs 0 ipvs
hk_assert_eq '[false, "DOWN", 3]' \
  "$(hk_json '[d["kernel_available"], d["virtual_servers"][0]["real_servers"][1]["health"], d["virtual_servers"][0]["real_servers"][0]["configured_weight"]]' <<<"$HK_OUT")" "ipvs JSON"

ha checks
hk_assert_rc 0 "hactl checks"
hk_assert_line "^CHECK +TYPE +TARGET +STATE +SINCE +FAILURES +LATENCY +LAST REASON$" "$HK_OUT" "checks header"
hk_assert_line "^chk_web +TCP_CHECK +$ip_a:8080 +DOWN +.* connect: refused$" "$HK_OUT" "checks row"
json_ok checks 0 checks

# ---- explain: the tracked check that lowered the priority, the master.
ha explain VI_1
hk_assert_rc 0 "hactl explain VI_1"
hk_assert_line "^VI_1 is BACKUP on eth0 \(VRID 51, VRRPv3, inet\)\.$" "$HK_OUT" "explain: state"
hk_assert_line "^Priority: configured 110, effective 90 = 110 - 20 \(track_script chk_web\)\.$" "$HK_OUT" "explain: priority"
hk_assert_line "^  track_script chk_web \(DOWN, weight -20\): lowers the priority by 20\.$" "$HK_OUT" "explain: tracker"
hk_assert_line "^The master is $ip_b with priority 100, higher than ours \(90\): this node stays BACKUP\.$" "$HK_OUT" "explain: master"
hk_assert_line "^Preemption: on" "$HK_OUT" "explain: preemption"
hk_assert_line "^Sync group: none" "$HK_OUT" "explain: sync group"
hk_assert_line "^Last transition .* ago, to BACKUP: " "$HK_OUT" "explain: last transition"
json_ok explain 0 explain VI_1
hk_assert_eq '["track_script", "chk_web", "DOWN", -20, false]' \
  "$(hk_json '[[t["kind"], t["name"], t["state"], t["contribution"], t["faults"]] for t in d["trackers"]][0]' <<<"$HK_OUT")" "explain JSON tracker"
hk_assert_eq "[\"$ip_b\", 100]" "$(hk_json '[d["master"]["address"], d["master"]["priority"]]' <<<"$HK_OUT")" "explain JSON master"
hk_run "$HK_BIN/hactl" --socket-dir "$HK_TMP/sock-b" explain VI_1
hk_assert_line "^This node is the master, advertising priority 100\.$" "$HK_OUT" "explain on b"
hk_assert_line "^Priority: configured 100, effective 100 \(no trackers\)\.$" "$HK_OUT" "explain on b: priority"
ha explain VI_9
hk_assert_rc 1 "hactl explain of an unknown instance"
hk_assert_eq "hactl: vrrpd has no vrrp_instance 'VI_9' (it has: VI_1)" "$HK_ERR" "explain VI_9"

# ---- colour: only on a terminal, never with NO_COLOR; alignment unchanged.
strip() { sed -e 's/\x1b\[[0-9;]*m//g' -e 's/\r$//'; }
for cmd in status vrrp checks ipvs; do
  plain=$("$HK_BIN/hactl" --socket-dir "$sock" $cmd)
  tty=$(env -u NO_COLOR script -qec "$HK_BIN/hactl --socket-dir $sock $cmd" /dev/null)
  [[ $tty == *$'\e['* ]] || hk_fail "no colour in hactl $cmd on a terminal: $tty"
  # Same text and columns once the escapes are gone (times may tick: compare the stable columns).
  hk_assert_eq "$(cut -c1-40 <<<"$plain" | sed 's/[0-9]*m[0-9]*s//g')" \
    "$(strip <<<"$tty" | cut -c1-40 | sed 's/[0-9]*m[0-9]*s//g')" "hactl $cmd on a terminal, escapes removed"
  nocolor=$(NO_COLOR=1 script -qec "$HK_BIN/hactl --socket-dir $sock $cmd" /dev/null)
  [[ $nocolor != *$'\e['* ]] || hk_fail "colour in hactl $cmd with NO_COLOR=1: $nocolor"
done
tty=$(env -u NO_COLOR script -qec "$HK_BIN/hactl --socket-dir $sock vrrp" /dev/null)
hk_assert_contains $'\e[36mBACKUP\e[0m' "$tty" "BACKUP in cyan"
tty=$(env -u NO_COLOR script -qec "$HK_BIN/hactl --socket-dir $sock checks" /dev/null)
hk_assert_contains $'\e[31mDOWN\e[0m' "$tty" "DOWN in red"
tty=$(env -u NO_COLOR script -qec "$HK_BIN/hactl --socket-dir $sock --json vrrp" /dev/null)
[[ $tty != *$'\e['* ]] || hk_fail "colour in JSON on a terminal"

# ---- drain, undrain: one line each, JSON.
ha drain 192.0.2.100:80 203.0.113.11:8080
hk_assert_rc 0 "hactl drain"
hk_assert_eq "ipvsd: drained 203.0.113.11:8080 of 192.0.2.100:80/tcp: weight 3 -> 0, kernel update pending (IPVS unavailable)" "$HK_OUT" "hactl drain"
ha drain 192.0.2.100:80 203.0.113.11:8080
hk_assert_eq "ipvsd: 203.0.113.11:8080 of 192.0.2.100:80/tcp was already drained: nothing changed (weight 0)" "$HK_OUT" "second drain"
hk_assert_eq true "$(ha --json ipvs; hk_json 'd["virtual_servers"][0]["real_servers"][0]["drained"]' <<<"$HK_OUT")" "drained in ipvs JSON"
json_ok command 0 undrain 192.0.2.100:80 203.0.113.11:8080
hk_assert_eq '["ipvsd", "undrain", true]' "$(hk_json '[d["daemon"], d["command"], d["ok"]]' <<<"$HK_OUT")" "undrain JSON"
hk_assert_contains "weight 0 -> 3" "$(hk_json 'd["message"]' <<<"$HK_OUT")" "undrain JSON message"
ha drain 192.0.2.100:80 198.51.100.1:80
hk_assert_rc 1 "drain of an unknown real server"
hk_assert_eq "hactl: ipvsd: no real server 198.51.100.1:80 in virtual server 192.0.2.100:80/tcp (hactl ipvs lists them)" "$HK_ERR" "unknown real server"

# ---- resign: one line; refused on a BACKUP.
ha resign VI_1
hk_assert_rc 1 "resign on a BACKUP"
hk_assert_eq "hactl: vrrpd: VI_1 is BACKUP, not MASTER: nothing to resign" "$HK_ERR" "resign on a BACKUP"
hk_run "$HK_BIN/hactl" --socket-dir "$HK_TMP/sock-b" resign VI_1
hk_assert_rc 0 "resign on b (MASTER)"
hk_assert_eq "vrrpd: VI_1 resigned: MASTER -> BACKUP, priority-0 advert sent, 1 VIP(s) released; a backup takes over" "$HK_OUT" "resign"
hk_wait_for "vr_is b VI_1 MASTER" 5 || hk_fail "b (100 > 90) did not take VI_1 back after resigning"
hk_run "$HK_BIN/hactl" --socket-dir "$HK_TMP/sock-b" --json resign VI_1
hk_assert_rc 0 "resign --json on b"
schema command --strict <<<"$HK_OUT" || hk_fail "resign JSON does not follow command.schema.json: $HK_OUT"
hk_assert_eq '["vrrpd", "resign", ["VI_1: MASTER -> BACKUP"]]' "$(hk_json '[d["daemon"], d["command"], d["changes"]]' <<<"$HK_OUT")" "resign JSON"

# ---- reload: one line per daemon, saying what moved.
ha reload
hk_assert_rc 0 "hactl reload"
for d in vrrpd ipvsd checkd; do
  hk_assert_line "^$d: configuration reloaded from $HK_TMP/(a\.conf|$d\.conf): the same counts as before$" "$HK_OUT" "reload of $d"
done
hk_assert_eq 3 "$(wc -l <<<"$HK_OUT")" "lines of hactl reload"
# VI_2 tracks a maintenance file with weight 0: a non-zero value is FAULT.
echo 1 >"$HK_TMP/maint"
{
  vrrp_conf 110 "chk_web weight -20"
  vrrp_conf 90 | sed 's/VI_1/VI_2/; s/virtual_router_id 51/virtual_router_id 52/; s/192.0.2.100/192.0.2.101/; $d'
  echo "    track_file {"; echo "        $HK_TMP/maint weight 0"; echo "    }"; echo "}"
} | vr_conf a
json_ok reload 0 reload vrrpd
hk_assert_eq "vrrpd: configuration reloaded from $HK_TMP/a.conf: instances 1 -> 2" "$(hk_json 'd["reload"][0]["message"]' <<<"$HK_OUT")" "reload message"
hk_assert_eq '["instances 1 -> 2"]' "$(hk_json 'd["reload"][0]["changes"]' <<<"$HK_OUT")" "reload changes"
hk_wait_for "vr_is a VI_2 FAULT" 5 || hk_fail "VI_2 with $HK_TMP/maint = 1 (weight 0) is $(vr_state a VI_2), not FAULT"
ha explain VI_2
hk_assert_rc 0 "hactl explain VI_2"
hk_assert_line "^VI_2 is FAULT on eth0 " "$HK_OUT" "explain VI_2: state"
hk_assert_line "^FAULT because track_file $HK_TMP/maint is 1: " "$HK_OUT" "explain VI_2: cause"
hk_assert_line "^  track_file $HK_TMP/maint \(value 1, weight 0\): puts the instance in FAULT\.$" "$HK_OUT" "explain VI_2: tracker"
json_ok explain 0 explain VI_2
hk_assert_eq "[true, \"track_file $HK_TMP/maint is 1\"]" "$(hk_json '[d["trackers"][0]["faults"], d["fault_reason"]]' <<<"$HK_OUT")" "explain VI_2 JSON"
tty=$(env -u NO_COLOR script -qec "$HK_BIN/hactl --socket-dir $sock vrrp" /dev/null)
hk_assert_contains $'\e[1;31mFAULT\e[0m' "$tty" "FAULT in bold red"

# ---- usage errors: exit 2
for args in "" "explain" "explain a b" "drain 192.0.2.100:80" "undrain" "resign" "reload nosuchd" "nosuchcommand" "--bogus status" "vrrp extra"; do
  # shellcheck disable=SC2086
  ha $args
  hk_assert_rc 2 "hactl $args"
  hk_assert_match "^hactl: " "$HK_ERR" "stderr of hactl $args"
done

# ---- refusals: exit 1, one line saying what is wrong and what to do.
ha --socket-dir "$HK_TMP/nowhere" vrrp
hk_assert_rc 1 "hactl vrrp without vrrpd"
hk_assert_eq "hactl: vrrpd is not running (no socket $HK_TMP/nowhere/vrrpd.sock): start it with systemctl start hakeep-vrrpd" "$HK_ERR" "no socket"
mkdir -m 0755 "$HK_TMP/stale"
"$HK_PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])' "$HK_TMP/stale/ipvsd.sock"
hk_hactl --socket-dir "$HK_TMP/stale" ipvs
hk_assert_rc 1 "hactl ipvs on a socket nobody accepts on"
hk_assert_eq "hactl: ipvsd is not running (nothing accepts on $HK_TMP/stale/ipvsd.sock): start it with systemctl start hakeep-ipvsd" "$HK_ERR" "stale socket"
hk_stop_daemon a checkd
ha checks
hk_assert_rc 1 "hactl checks with checkd stopped"
hk_assert_match "^hactl: checkd is not running \((no socket|nothing accepts on) $sock/checkd.sock\): start it with systemctl start hakeep-checkd$" "$HK_ERR" "checkd stopped"
ha --json checks
hk_assert_rc 1 "hactl --json checks with checkd stopped"
hk_assert_eq "" "$HK_OUT" "stdout of a refused --json checks"

# A user without the socket's group: the directory keeps it out.
stranger=(setpriv --reuid 65533 --regid 65533 --clear-groups)
hk_run "${stranger[@]}" "$HK_BIN/hactl" --socket-dir "$sock" vrrp
hk_assert_rc 1 "hactl vrrp as uid 65533"
hk_assert_eq "hactl: permission denied on $sock/vrrpd.sock (uid 65533): add your user to group $(stat -c %G "$sock") (and to hakeep-admin to change state), then log in again" \
  "$HK_ERR" "hactl vrrp as uid 65533"
# nobody gets in (the daemons' own account here) but has no admin role.
as_nobody=(setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups)
hk_run "${as_nobody[@]}" "$HK_BIN/hactl" --socket-dir "$sock" drain 192.0.2.100:80 203.0.113.11:8080
hk_assert_rc 1 "hactl drain as nobody"
hk_assert_match "^hactl: ipvsd refused: permission denied: Drain needs a role .*: add your user to group hakeep-admin to change state \(or run hactl as root\)$" \
  "$HK_ERR" "hactl drain as nobody"
[[ $HK_ERR != *$'\n'* ]] || hk_fail "more than one line for a refusal: $HK_ERR"
echo "ok: every hactl command, tables, JSON by schema, explain, colour, one-line changes, refusals"
