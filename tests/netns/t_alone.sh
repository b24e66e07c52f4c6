#!/bin/bash
# DESIGN.md §1: every daemon works alone. vrrpd without its peers keeps
# running, says once that checkd is absent (while retrying), answers hactl,
# and connects to checkd as soon as checkd starts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

hk_ns_create n
sock=$HK_TMP/sock
hk_start_all n "$sock" vrrpd
log=$(hk_daemon_log n vrrpd)

# Several retries (backoff capped at 1 s) happen in these 2.5 s.
sleep 2.5
hk_assert_running n vrrpd
n_absent=$(grep -c "peer checkd absent" "$log" || true)
hk_assert_eq 1 "$n_absent" "times vrrpd logged 'peer checkd absent' in 2.5 s"

hk_hactl --socket-dir "$sock" --json status
hk_assert_rc 1 "hactl --json status with vrrpd alone"
hk_assert_eq '{"vrrpd": true, "ipvsd": false, "checkd": false}' \
  "$(hk_json '{x["name"]: x["reachable"] for x in d["daemons"]}' <<<"$HK_OUT")" "reachable with vrrpd alone"
hk_assert_eq "$(hk_pid n vrrpd)" "$(hk_json '[x for x in d["daemons"] if x["name"] == "vrrpd"][0]["pid"]' <<<"$HK_OUT")" \
  "pid of vrrpd in hactl"
hk_assert_eq false "$(hk_json '[p for x in d["daemons"] if x["name"] == "vrrpd" for p in x["peers"] if p["name"] == "checkd"][0]["connected"]' <<<"$HK_OUT")" \
  "vrrpd's peer checkd connected, before checkd started"
hk_hactl --socket-dir "$sock" status
hk_assert_rc 1 "hactl status with vrrpd alone"
hk_assert_line "^vrrpd +UP +$(hk_pid n vrrpd) " "$HK_OUT" "vrrpd row"
hk_assert_line "^ipvsd +DOWN" "$HK_OUT" "ipvsd row"
hk_assert_line "^checkd +DOWN" "$HK_OUT" "checkd row"
hk_assert_match "checkd is not running" "$HK_ERR" "stderr of hactl status"

# checkd arrives: vrrpd's retry (at most 1 s apart) finds it.
hk_start_all n "$sock" checkd
hk_wait_for "hk_status_is '$sock' vrrpd '[p[\"connected\"] for p in x[\"peers\"] if p[\"name\"] == \"checkd\"][0]' true" 5 ||
  hk_fail "vrrpd did not report peer checkd connected within 5 s of checkd's start"
hk_assert_running n vrrpd
hk_assert_eq 1 "$(grep -c "peer checkd absent" "$log" || true)" "times vrrpd logged 'peer checkd absent' in all"
echo "ok: vrrpd alone runs, logs the absence once, answers hactl, then finds checkd"
