#!/bin/bash
# keepalived's checker options alpha, log_all_failures and fast_recovery
# against a real HTTP server (issue 4):
# - alpha: the check is DOWN from the start ("initial state (alpha)"), so it
#   is in the snapshot vrrpd receives, until it has passed `rise` times; the
#   same check without alpha is UNKNOWN and left out.
# - log_all_failures: every failed run before the fall is logged; a check
#   without it logs only its change of state.
# - fast_recovery: one run checks every url, so a DOWN check with three urls
#   is UP on its first passing run (keepalived without fast_recovery needs one
#   delay_loop per url).
# - regex (PCRE2): UP while the body matches, DOWN with "http: regex not
#   matched" when it stops, UP again; regex_no_match; options and offsets; a
#   pattern that backtracks forever on a hostile body ends at the match limit
#   while the other checks keep their schedule.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a b
web=$(hk_ip4 b)
echo 200 >"$HK_TMP/flip"
echo "<p>Status: READY</p>" >"$HK_TMP/flip.body"
ck_server b http 8080 "$HK_TMP/flip"
hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$web/8080'" 5 || hk_fail "the HTTP server did not start"
hk_start_all a "$CK_SOCK" vrrpd

hk_write_config "$HK_TMP/checkd.conf" <<EOF
check first {
    address $web 8080
    delay_loop 2
    rise 2
    alpha
    HTTP_GET { url { path /health } retry 0  warmup 2 }
}
check plain {
    address $web 8080
    delay_loop 2
    rise 2
    HTTP_GET { url { path /health } retry 0  warmup 2 }
}
check loud {
    address $web 8080
    delay_loop 0.2
    fall 3
    log_all_failures
    HTTP_GET { url { path /flip?loud } retry 0 }
}
check quiet {
    address $web 8080
    delay_loop 0.2
    fall 3
    HTTP_GET { url { path /flip?quiet } retry 0 }
}
check three {
    address $web 8080
    delay_loop 0.3
    HTTP_GET { url { path /flip?1 } url { path /flip?2 } url { path /flip?3 } retry 0  fast_recovery }
}
check regex {
    address $web 8080
    delay_loop 0.2
    HTTP_GET { url { path /body  regex "status: (ready|ok)"  regex_options caseless } retry 0 }
}
check maintenance {
    address $web 8080
    delay_loop 0.2
    HTTP_GET { url { path /body  regex "maintenance"  regex_no_match } retry 0 }
}
check offset {
    address $web 8080
    delay_loop 0.2
    HTTP_GET { url { path /body  regex "Status"  regex_min_offset 3  regex_max_offset 3 } retry 0 }
}
check backtrack {
    address $web 8080
    delay_loop 0.2
    HTTP_GET { url { path /aaaa  regex "^(a|a)+$" } retry 0 }
}
EOF
ck_start a "$HK_TMP/checkd.conf"

# ---- alpha: DOWN from the start, known to vrrpd; plain is UNKNOWN. Both
# have rise 2 and runs 2 s apart: at most one (passing) run so far.
hk_assert_eq "DOWN initial state (alpha)" "$(ck_field first 'c["state"] + " " + c["last_error"]')" "first at start"
hk_assert_eq "UNKNOWN" "$(ck_field plain 'c["state"]')" "plain at start"
hk_wait_for "grep -qF 'check first is DOWN (initial state (alpha))' '$(hk_daemon_log a vrrpd)'" 5 ||
  hk_fail "vrrpd did not learn that 'first' starts DOWN: $(cat "$(hk_daemon_log a vrrpd)")"
# rise 2: one passing run leaves it DOWN, the second makes it UP.
ck_wait first 'c["runs"]' 1 5 "first's first run"
hk_assert_eq DOWN "$(ck_field first 'c["state"]')" "first after one pass of rise 2"
ck_wait first 'c["state"]' UP 5 "first after its second pass"
ck_wait plain 'c["state"]' UP 5
ck_wait three 'c["state"]' UP 3
ck_wait loud 'c["state"]' UP 3
ck_wait quiet 'c["state"]' UP 3
hk_assert_line "check first: DOWN -> UP" "$(cat "$(hk_daemon_log a checkd)")" "checkd's log"
hk_assert_line "check plain: UNKNOWN -> UP" "$(cat "$(hk_daemon_log a checkd)")" "checkd's log"
hk_wait_for "grep -qF 'check plain is UP' '$(hk_daemon_log a vrrpd)'" 5 || hk_fail "vrrpd did not learn plain"
hk_assert_eq "check plain is UP" "$(grep -o 'check plain is.*' "$(hk_daemon_log a vrrpd)" | head -1)" \
  "vrrpd's first word of plain (never sent while UNKNOWN)"

# ---- log_all_failures: the two failures before the fall are logged.
echo 503 >"$HK_TMP/flip"
ck_wait loud 'c["state"]' DOWN 5
ck_wait quiet 'c["state"]' DOWN 5
ck_wait three 'c["state"]' DOWN 5
log=$(cat "$(hk_daemon_log a checkd)")
hk_assert_line 'check loud: checker 1 failed \(http: status 503\), 1 consecutive failure\(s\), still UP' "$log" "checkd's log"
hk_assert_line 'check loud: checker 1 failed \(http: status 503\), 2 consecutive failure\(s\), still UP' "$log" "checkd's log"
hk_assert_line 'check loud: UP -> DOWN \(http: status 503\)' "$log" "checkd's log"
hk_assert_not_match 'check quiet: checker' "$log" "checkd's log for quiet (no log_all_failures)"
hk_assert_line 'check quiet: UP -> DOWN \(http: status 503\)' "$log" "checkd's log"

# ---- fast_recovery: the first run that passes has checked all three urls.
echo 200 >"$HK_TMP/flip"
ck_wait three 'c["consecutive_failures"]' 0 5 "three after its server recovered"
hk_assert_eq UP "$(ck_field three 'c["state"]')" "three on its first passing run"
# ---- regex: UP, DOWN when the body stops matching, UP again.
ck_wait regex 'c["state"]' UP 3
ck_wait maintenance 'c["state"]' UP 3
ck_wait offset 'c["state"]' UP 3 "offset (Status at offset 3)"
ck_wait backtrack 'c["state"]' DOWN 3
hk_assert_eq "http: regex match limit" "$(ck_field backtrack 'c["last_error"]')" "reason of the backtracking regex"
echo "<p>Status: BUSY, maintenance</p>" >"$HK_TMP/flip.body"
ck_wait regex 'c["state"]' DOWN 3
hk_assert_eq "http: regex not matched" "$(ck_field regex 'c["last_error"]')" "reason of regex"
ck_wait maintenance 'c["state"]' DOWN 3
hk_assert_eq "http: regex matched" "$(ck_field maintenance 'c["last_error"]')" "reason of regex_no_match"
echo "Status: OK" >"$HK_TMP/flip.body"
ck_wait regex 'c["state"]' UP 3 "regex after the body matched again"
ck_wait maintenance 'c["state"]' UP 3
ck_wait offset 'c["state"]' DOWN 3 "offset (Status now at offset 0)"
# The backtracking check kept running on its period: its worker never stalled.
runs=$(ck_field backtrack 'c["runs"]')
ck_wait backtrack "c[\"runs\"] >= $runs + 5" true 3 "backtrack keeps its schedule"
hk_assert_running a checkd
echo "ok: alpha starts DOWN in the snapshot; log_all_failures logs each failure; one run checks every url; regex"
