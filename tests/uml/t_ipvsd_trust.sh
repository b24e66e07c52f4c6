#!/bin/bash
# Only checkd's role may move real servers, and only those declared: a fake
# checkd under a wrong uid is refused (ErrorReply "permission denied"),
# checkd's uid naming an unknown check is refused and counted
# (check_events_refused), malformed, truncated, oversized and empty
# envelopes are refused (ErrorReply, connection closed); none of it changes
# the kernel table, and ipvsd keeps running and still obeys the real checkd
# (events in seq order, dynamic weights).
# checkd's uid may not drain or reload either.
# uml-run: --timeout 90
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

ipvsd_config <<'EOF'
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 2  track_check web1 }
    real_server 203.0.113.12 8080 { weight 1  track_check web2 }
}
virtual_server 192.0.2.101 80 {
    lb_algo rr
    lb_kind DR
    inhibit_on_failure
    real_server 203.0.113.11 80 { weight 4  track_check web1 }
}
EOF
ipvsd_start
out=$(printf 'snapshot web1=up web2=up\n' | fake_checkd)
[[ $out == "sent CheckSnapshot" ]] || fail "checkd's snapshot: $out"
wait_for 'ipvs_json_is "rs(\"192.0.2.100:80/tcp\", \"203.0.113.12:8080\")[\"health\"]" UP' 5 ||
  fail "the snapshot was not taken"
table=$(ipvsadm_list --exact)
echo "$table"
applied=$(ipvs_json 'd["operations_applied"]')
refused=$(ipvs_json 'd["check_events_refused"]')
unchanged() { # WHAT
  same "$1: table unchanged" "$table" "$(ipvsadm_list --exact)"
  [[ $(ipvs_json 'd["operations_applied"]') == "$applied" ]] || fail "$1: ipvsd wrote to the kernel"
  ipvsd_alive || fail "$1: ipvsd died"
}

# ---------------------------------------------------------------- a wrong uid
out=$(printf 'event web1 down 10\n' | fake_checkd --uid "$WRONG_UID" --linger 5000)
echo "$out"
[[ $out == *"reply ErrorReply CODE_FORBIDDEN: permission denied: CheckEvent needs a role this account (uid $WRONG_UID, roles reader) does not have"* ]] ||
  fail "CheckEvent from uid $WRONG_UID not refused with 'permission denied': $out"
[[ $out == *"closed by peer"* ]] || fail "the connection of uid $WRONG_UID was not closed"
out=$(printf 'snapshot web1=down web2=down\n' | fake_checkd --uid "$WRONG_UID" --linger 5000)
[[ $out == *"reply ErrorReply CODE_FORBIDDEN: permission denied: CheckSnapshot"* ]] ||
  fail "CheckSnapshot from uid $WRONG_UID not refused: $out"
unchanged "wrong uid"
[[ $(ipvs_json 'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["health"]') == UP ]] || fail "web1 not UP any more"
[[ $(ipvs_json 'd["check_events_refused"]') == "$refused" ]] || fail "a forbidden message counted as an unknown check"
ok "wrong uid: permission denied, nothing changed"

# ---------------------------------------------------------------- unknown check names
out=$(printf 'event nosuch down 1\nevent web1x down 2\nsleep 100\n' | fake_checkd)
[[ $out != *ErrorReply* ]] || fail "an unknown check name should be dropped, not answered: $out"
wait_for '[[ $(ipvs_json "d[\"check_events_refused\"]") == $((refused + 2)) ]]' 3 ||
  fail "check_events_refused $(ipvs_json 'd["check_events_refused"]'), expected $((refused + 2))"
unchanged "unknown check names"
grep -q "check event for 'nosuch', which nothing here tracks: refused" "$IPVSD_LOG" || fail "the refusal was not logged"
ok "unknown check names: refused, check_events_refused $refused -> $((refused + 2)), nothing changed"
# In a snapshot, unknown names are ignored (and the tracked ones still count).
out=$(printf 'snapshot web1=up web2=up nosuch=down\nstatus\nexpect 5000\n' | fake_checkd)
[[ $out == "sent CheckSnapshot"*"reply StatusReply"* && $out != *ErrorReply* ]] || fail "snapshot with an unknown name: $out"
unchanged "snapshot naming an unknown check"

# ---------------------------------------------------------------- malformed envelopes
# (each line: HEX, and what the refusal says)
malformed=(
  'ffffffffffff'                  # not protobuf at all
  '5a0a0a04776562311001'          # CheckEvent (field 11) with its length cut: 10 bytes announced, 8 sent
  '8a0100'                        # field 17 (not in Envelope): no body
  '00'                            # field number 0
)
for hex in "${malformed[@]}"; do
  out=$(printf 'raw %s\n' "$hex" | fake_checkd --linger 5000)
  [[ $out == *"reply ErrorReply CODE_"* && $out == *"closed by peer"* ]] ||
    fail "envelope $hex: no ErrorReply and close: $out"
  echo "envelope $hex: $(grep ErrorReply <<<"$out")"
done
# Larger than 64 KiB: refused before parsing.
big=$(head -c 70000 /dev/zero | od -An -v -tx1 | tr -d ' \n')
out=$(printf 'raw %s\n' "$big" | fake_checkd --linger 5000)
[[ $out == *"reply ErrorReply CODE_MALFORMED"* ]] || fail "a 70000-byte datagram was not refused as malformed: $out"
echo "70000 bytes: $(grep ErrorReply <<<"$out")"
# A valid message after a malformed one on the same connection is never read.
# (The second send fails if ipvsd has closed the connection already.)
out=$(printf 'raw ffff\nevent web1 down 3\n' | fake_checkd --linger 5000) || true
[[ $out == *"CODE_MALFORMED"*"closed by peer"* ]] || fail "malformed then valid: $out"
unchanged "malformed envelopes"
ok "malformed envelopes: refused, connection closed, nothing changed"

# ---------------------------------------------------------------- checkd may not do more
for request in "drain 192.0.2.100:80 203.0.113.11:8080" "reload ipvsd"; do
  rc=0
  # shellcheck disable=SC2086
  out=$(setpriv --reuid "$CHECKD_UID" --regid "$SOCKET_GID" --clear-groups "$HACTL" --socket-dir "$IPVSD_SOCKDIR" \
    $request 2>&1) || rc=$?
  ((rc == 1)) && [[ $out == *"permission denied"* ]] || fail "hactl $request as checkd's uid: exit $rc: $out"
done
unchanged "drain and reload from checkd's uid"
ok "checkd's uid may not drain or reload"

# ---------------------------------------------------------------- still obeys checkd
out=$(printf 'event web1 down 3 connect: refused\n' | fake_checkd)
[[ $out == "sent CheckEvent" ]] || fail "checkd's event: $out"
wait_for '[[ -z $(kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080) ]]' 3 ||
  fail "web1 not removed after checkd's event: $(ipvsadm_list -t 192.0.2.100:80)"
[[ $(kernel_weight "-t 192.0.2.101:80" 203.0.113.11:80) == 0 ]] || fail "web1 not weight 0 (inhibit_on_failure)"
# A replayed (older) event changes nothing.
before=$(ipvs_json 'd["operations_applied"]')
# (A StatusRequest on the same connection: its reply comes after the event was handled.)
out=$(printf 'event web1 up 2\nstatus\nexpect 5000\n' | fake_checkd)
[[ $out == *"reply StatusReply"* ]] || fail "no StatusReply: $out"
[[ -z $(kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080) ]] || fail "an older event (seq 2 < 3) brought web1 back"
[[ $(ipvs_json 'd["operations_applied"]') == "$before" ]] || fail "an older event wrote to the kernel"
printf 'event web1 up 4\n' | fake_checkd >/dev/null
wait_for '[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080) == 2 ]]' 3 || fail "web1 not back after seq 4"
ok "checkd's own events still work (an older seq is ignored)"
# A dynamic weight (MISC_CHECK misc_dynamic) replaces the configured one while it lasts.
printf 'weight web2 up 5 7\n' | fake_checkd >/dev/null
wait_for '[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.12:8080) == 7 ]]' 3 ||
  fail "dynamic weight 7 not in the kernel: $(ipvsadm_list -t 192.0.2.100:80)"
printf 'event web2 up 6\n' | fake_checkd >/dev/null
wait_for '[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.12:8080) == 1 ]]' 3 ||
  fail "configured weight 1 not back after the dynamic weight ended"
ok "dynamic weight from checkd: 7, then the configured 1 again"
ipvsd_alive || fail "ipvsd died"
echo "ok: ipvsd trusts checkd's uid alone, with declared checks alone, and survives garbage"
