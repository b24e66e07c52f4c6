#!/bin/bash
# ipvsd restarted (SIGKILL) while a real server's check is DOWN: until
# checkd's first snapshot, a real server of unknown health keeps what the
# kernel has, so the real server ipvsd had removed never comes back, not even
# for a moment (ipvsadm polled through the restart), and the restart writes
# nothing. The snapshot (still DOWN) keeps it out. Without a snapshot, after
# check_snapshot_wait the configuration decides (unknown counts as up).
# uml-run: --timeout 120
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

write_config() {
  ipvsd_config <<'CONF'
virtual_server 192.0.2.100 80 {
    lb_algo wrr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 2  track_check web1 }
    real_server 203.0.113.12 8080 { weight 1  track_check web2 }
}
CONF
}
# A wait long enough that the snapshot below comes within it even on a slow,
# loaded guest (3 s of polling and a few hactl calls come first).
IPVSD_GLOBAL='    check_snapshot_wait 10'
write_config
ipvsd_start
printf 'snapshot web1=down web2=up\n' | fake_checkd >/dev/null
web1() { kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080; }
wait_for '[[ -z $(web1) && $(kernel_weight "-t 192.0.2.100:80" 203.0.113.12:8080) == 1 ]]' 5 ||
  fail "web1 DOWN was not removed: $(ipvsadm_list -t 192.0.2.100:80)"
table=$(ipvsadm_list --exact)
echo "$table"
ok "web1 DOWN: removed from the kernel"
applied() { ipvs_json 'd["operations_applied"]'; }

# poll_web1 SECONDS: in the background, ipvsadm as often as it can; every
# sighting of web1 is appended to $LT/seen.
poll_web1() {
  : >"$LT/seen"
  bg bash -c '
    end=$((${EPOCHREALTIME/./} + $1 * 1000000))
    while ((${EPOCHREALTIME/./} < end)); do
      ipvsadm -Ln -t 192.0.2.100:80 2>/dev/null | grep -q "203.0.113.11:8080" && date +%T.%N >>"$2"
    done' poll "$1" "$LT/seen"
  POLL_PID=$BG_PID
}

# ---------------------------------------------------------------- restart, then the snapshot
ipvsd_stop KILL
poll_web1 3
t0=${EPOCHREALTIME/./}
ipvsd_start
[[ $(applied) == 0 ]] || fail "the restart wrote $(applied) operation(s)"
ipvs_assert "restarted, before checkd's snapshot: web1 UNKNOWN, not in the kernel" \
  'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["health"] == "UNKNOWN"' \
  'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["kernel_weight"] is None'
wait "$POLL_PID" || true
[[ ! -s $LT/seen ]] || fail "web1 was back in the kernel during the restart at $(head -3 "$LT/seen")"
same "ipvsadm after the restart" "$table" "$(ipvsadm_list --exact)"
ok "3 s of ipvsadm through the restart: web1 never back, 0 operations"

printf 'snapshot web1=down web2=up\n' | fake_checkd >/dev/null
wait_for 'ipvs_json_is "rs(\"192.0.2.100:80/tcp\", \"203.0.113.11:8080\")[\"health\"]" DOWN' 5 ||
  fail "the snapshot did not arrive"
grep -q 'no check snapshot from checkd within' "$IPVSD_LOG" &&
  fail "the snapshot came after check_snapshot_wait (10 s): the guest is too slow for this test"
# Past check_snapshot_wait (10 s from the start): the snapshot ended the wait.
while ((${EPOCHREALTIME/./} - t0 < 11000000)); do sleep 0.2; done
[[ -z $(web1) ]] || fail "web1 back after the snapshot: $(ipvsadm_list -t 192.0.2.100:80)"
[[ $(applied) == 0 ]] || fail "$(applied) operation(s) after the snapshot"
same "ipvsadm after the snapshot" "$table" "$(ipvsadm_list --exact)"
ok "the snapshot (web1 DOWN) keeps it out: still 0 operations"

# ---------------------------------------------------------------- no snapshot: the wait ends
IPVSD_GLOBAL='    check_snapshot_wait 2'
write_config
ipvsd_stop KILL
t0=${EPOCHREALTIME/./}
ipvsd_start
# Read before the 2 s are up (a slow guest may already be past them).
w=$(web1)
early=$(((${EPOCHREALTIME/./} - t0) / 1000))
[[ -z $w ]] || ((early >= 2000)) || fail "web1 back after $early ms, before check_snapshot_wait (2 s)"
wait_for '[[ $(web1) == 2 ]]' 5 || fail "web1 not added after check_snapshot_wait 2 s"
took=$(((${EPOCHREALTIME/./} - t0) / 1000))
((took >= 2000)) || fail "web1 added after $took ms, before check_snapshot_wait (2 s)"
grep -q 'no check snapshot from checkd within 2 s' "$IPVSD_LOG" || fail "the end of the wait was not logged"
ok "no snapshot within check_snapshot_wait 2: web1 (unknown, no alpha) added after $took ms"
ipvsd_alive || fail "ipvsd died"
echo "ok: a restart while a check is DOWN keeps the real server out"
