#!/bin/bash
# checkd against real servers in another namespace (issue 4, DESIGN.md §2):
# TCP_CHECK and HTTP_GET go UP, a stopped backend goes DOWN only after `fall`
# failures in a row and UP again only after `rise` successes; a wrong status
# and a wrong digest give their typed reasons; retry with delay_before_retry
# hides one failure; `hactl checks` shows every field, in text and JSON.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a b
web=$(hk_ip4 b)
web6=$(hk_ip6 b)
echo 200 >"$HK_TMP/flip"
ck_server b http 8080 "$HK_TMP/flip"
ck_server b accept 8081
accept_pid=$HK_LAST_PID
hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$web/8081'" 5 || hk_fail "the TCP server did not start"
hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$web/8080'" 5 || hk_fail "the HTTP server did not start"

hk_write_config "$HK_TMP/checkd.conf" <<EOF
check web {
    address $web 8080
    delay_loop 0.2
    HTTP_GET { url { path /health  status_code 200  digest 6f5902ac237024bdd0c176cb93063dc4 }  retry 0 }
}
check web6 {
    address $web6 8080
    delay_loop 0.2
    HTTP_GET { url { path /health } url { path /503  status_code 500-599 } retry 0  http_protocol 1.1 }
}
check flip {
    address $web 8080
    delay_loop 0.3
    rise 2
    fall 3
    HTTP_GET { url { path /flip  status_code 200-299 } retry 0 }
}
check svc {
    address $web 8081
    delay_loop 0.3
    rise 2
    fall 2
    TCP_CHECK { connect_timeout 0.5  retry 0 }
}
check status {
    address $web 8080
    delay_loop 0.2
    HTTP_GET { url { path /503 } retry 0 }
}
check digest {
    address $web 8080
    delay_loop 0.2
    HTTP_GET { url { path /health  digest 00000000000000000000000000000000 } retry 0 }
}
check both {
    address $web 8080
    delay_loop 0.2
    TCP_CHECK { retry 0 }
    HTTP_GET { url { path /503 } retry 0 }
}
check patient {
    address $web 8080
    delay_loop 0.5
    HTTP_GET { url { path /alternate } retry 1  delay_before_retry 0.3 }
}
EOF
ck_start a "$HK_TMP/checkd.conf"

ck_wait web 'c["state"]' UP 5
ck_wait web6 'c["state"]' UP 5 "IPv6, two urls"
ck_wait flip 'c["state"]' UP 5
ck_wait svc 'c["state"]' UP 5
ck_wait status 'c["state"]' DOWN 5
hk_assert_eq "http: status 503" "$(ck_field status 'c["last_error"]')" "reason of a 503"
ck_wait digest 'c["state"]' DOWN 5
hk_assert_eq "http: digest mismatch" "$(ck_field digest 'c["last_error"]')" "reason of a wrong digest"
ck_wait both 'c["state"]' DOWN 5 "a check whose second checker fails"
hk_assert_eq "http: status 503" "$(ck_field both 'c["last_error"]')" "reason of the failing checker"
hk_assert_eq "TCP_CHECK+HTTP_GET" "$(ck_field both 'c["type"]')" "type of a check with two checkers"

# ---- fall 3: two failures keep it UP, the third makes it DOWN.
echo 503 >"$HK_TMP/flip"
ck_wait flip 'c["consecutive_failures"]' 2 5 "flip after its server turned to 503"
hk_assert_eq UP "$(ck_field flip 'c["state"]')" "flip with 2 failures of fall 3"
ck_wait flip 'c["state"]' DOWN 3
hk_assert_eq "http: status 503" "$(ck_field flip 'c["last_error"]')" "reason of flip"
hk_assert_eq true "$(ck_field flip 'c["consecutive_failures"] >= 3')" "failures of flip when DOWN"
# ---- rise 2: one success keeps it DOWN.
echo 200 >"$HK_TMP/flip"
ck_wait flip 'c["consecutive_failures"]' 0 5 "flip after its server recovered"
hk_assert_eq DOWN "$(ck_field flip 'c["state"]')" "flip after one success of rise 2"
ck_wait flip 'c["state"]' UP 3

# ---- a stopped backend: DOWN after fall, UP after rise once restarted.
kill "$accept_pid"
ck_wait svc 'c["state"]' DOWN 5 "svc after its server stopped"
hk_assert_eq "connect: refused" "$(ck_field svc 'c["last_error"]')" "reason of a stopped server"
ck_server b accept 8081
ck_wait svc 'c["state"]' UP 5 "svc after its server came back"

# ---- retry: every first attempt gets a 503, its retry 0.3 s later a 200.
ck_wait patient 'c["runs"] >= 4' true 5 "patient (a server answering 503 and 200 in turn)"
hk_assert_eq "UP 0 " "$(ck_field patient 'c["state"] + " " + str(c["consecutive_failures"]) + " " + c["last_error"]')" \
  "patient: each failure hidden by its retry"
hk_assert_eq true "$(ck_field patient 'c["latency"] < 250')" "latency of patient: the last attempt's, not the retry delay"

# ---- hactl checks: every field, text and JSON.
hk_hactl --socket-dir "$CK_SOCK" --json checks
hk_assert_rc 0 "hactl --json checks"
"$HK_PYTHON" - "$HK_OUT" "$web" <<'PY' || hk_fail "hactl --json checks: $HK_OUT"
import json, sys, time
d = json.loads(sys.argv[1])
want = {"name", "type", "target", "state", "last_change", "consecutive_failures", "last_error",
        "latency", "weight", "runs"}
checks = {c["name"]: c for c in d["checks"]}
assert set(checks) == {"web", "web6", "flip", "svc", "status", "digest", "both", "patient"}, sorted(checks)
for c in d["checks"]:
    assert set(c) == want, (c["name"], sorted(c))
web = checks["web"]
assert web["type"] == "HTTP_GET" and web["target"] == sys.argv[2] + ":8080", web
assert web["state"] == "UP" and web["consecutive_failures"] == 0 and web["runs"] >= 5, web
assert 0 < web["latency"] < 500, web
assert abs(web["last_change"] / 1000 - time.time()) < 60, web
assert checks["web6"]["target"].startswith("[2001:db8::"), checks["web6"]
assert d["workers"] >= 1 and d["worker_restarts"] == 0, d
PY
hk_hactl --socket-dir "$CK_SOCK" checks
hk_assert_rc 0 "hactl checks"
hk_assert_line '^CHECK +TYPE +TARGET +STATE +SINCE +FAILURES +LATENCY +LAST REASON' "$HK_OUT" "table header"
hk_assert_line "^status +HTTP_GET +$web:8080 +DOWN .*http: status 503\$" "$HK_OUT" "row of check status"
hk_assert_line "^web +HTTP_GET +$web:8080 +UP " "$HK_OUT" "row of check web"
# Transitions are logged in one form: "check NAME: A -> B (reason)".
hk_assert_line 'check flip: UP -> DOWN \(http: status 503\)' "$(cat "$(hk_daemon_log a checkd)")" "checkd log"
hk_assert_running a checkd
echo "ok: TCP and HTTP up, down after fall, up after rise, typed reasons, retry, hactl checks"
