#!/bin/bash
# DESIGN.md §3/§4: a reload (SIGHUP or hactl reload) applies a valid changed
# configuration; with a broken one the daemon keeps running with the old
# configuration and says why (FILE:LINE:COL). Mostly vrrpd; ipvsd and checkd
# must survive SIGHUP and hactl reload as well.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

hk_ns_create n
sock=$HK_TMP/sock
conf=$HK_TMP/vrrpd.conf
hk_start_all n "$sock"
pid=$(hk_pid n vrrpd)
log=$(hk_daemon_log n vrrpd)
instances() { hk_status_field "$sock" vrrpd 'x["config_summary"]["instances"]'; }
hk_assert_eq 1 "$(instances)" "instances before any reload"

second_instance() {
  cat <<'EOF'
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.101/24
    }
}
EOF
}

# ---- SIGHUP with a valid, changed configuration: applied.
second_instance | hk_write_config "$conf" "$HK_REPO/conf/vrrpd.conf"
kill -HUP "$pid"
# shellcheck disable=SC2016  # evaluated by hk_wait_for
hk_wait_for '[[ $(instances) == 2 ]] || ! hk_alive "$pid"' 5 || true
hk_assert_running n vrrpd "after SIGHUP with a valid configuration"
hk_assert_eq 2 "$(instances)" "instances after SIGHUP with a valid configuration"
hk_wait_for "grep -q 'configuration reloaded' '$log'" 2 || hk_fail "SIGHUP: no 'configuration reloaded' in the log"

# ---- SIGHUP with a broken configuration: kept, running, the error logged.
{ second_instance; printf 'vrrp_instance VI_3 {\n    priority abc\n}\n'; } |
  hk_write_config "$conf" "$HK_REPO/conf/vrrpd.conf"
want=$conf:$(hk_pos "$conf" abc)
kill -HUP "$pid"
hk_wait_for "grep -qF '$want: ' '$log' || ! hk_alive $pid" 5 || true
hk_assert_running n vrrpd "after SIGHUP with a broken configuration"
grep -qF "$want: " "$log" || hk_fail "SIGHUP with a broken file: no '$want: ...' in the log"
line=$(grep -F "$want: " "$log" | tail -n 1)
hk_assert_match "$want: 'priority' must be an integer" "$line" "logged reload error"
hk_assert_match "kept" "$line" "logged reload error (says the running configuration is kept)"
hk_assert_eq 2 "$(instances)" "instances after a broken SIGHUP reload"

# ---- hactl reload vrrpd with the broken file: exit 1 and the error.
hk_hactl --socket-dir "$sock" reload vrrpd
hk_assert_rc 1 "hactl reload vrrpd with a broken file"
hk_assert_contains "$want: 'priority' must be an integer" "$HK_ERR" "stderr of hactl reload vrrpd"
hk_assert_contains "kept" "$HK_ERR" "stderr of hactl reload vrrpd"
hk_hactl --socket-dir "$sock" --json reload vrrpd
hk_assert_rc 1 "hactl --json reload vrrpd with a broken file"
hk_assert_eq false "$(hk_json 'd["reload"][0]["ok"]' <<<"$HK_OUT")" "JSON ok of a failed reload"
hk_assert_contains "$want:" "$(hk_json 'd["reload"][0]["message"]' <<<"$HK_OUT")" "JSON message of a failed reload"
hk_assert_running n vrrpd "after a failed hactl reload"
hk_assert_eq 2 "$(instances)" "instances after a broken hactl reload"

# ---- hactl reload vrrpd with a valid file again: exit 0, applied.
hk_write_config "$conf" "$HK_REPO/conf/vrrpd.conf" </dev/null
hk_hactl --socket-dir "$sock" reload vrrpd
hk_assert_running n vrrpd "after hactl reload with a valid configuration"
hk_assert_rc 0 "hactl reload vrrpd with a valid file"
hk_assert_match "reloaded" "$HK_OUT" "stdout of hactl reload vrrpd"
hk_assert_eq 1 "$(instances)" "instances after a valid hactl reload"
hk_assert_eq "$pid" "$(hk_status_field "$sock" vrrpd 'x["pid"]')" "vrrpd pid (a reload is not a restart)"

# ---- ipvsd and checkd too: SIGHUP, then hactl reload of all three.
for d in ipvsd checkd; do
  kill -HUP "$(hk_pid n "$d")"
  hk_wait_for "grep -q 'configuration reloaded' '$(hk_daemon_log n "$d")' || ! hk_alive $(hk_pid n "$d")" 5 || true
  hk_assert_running n "$d" "after SIGHUP"
  grep -q 'configuration reloaded' "$(hk_daemon_log n "$d")" || hk_fail "SIGHUP: $d did not log 'configuration reloaded'"
done
hk_hactl --socket-dir "$sock" reload
for d in vrrpd ipvsd checkd; do hk_assert_running n "$d" "after hactl reload (all)"; done
hk_assert_rc 0 "hactl reload (all three)"
for d in vrrpd ipvsd checkd; do hk_assert_line "^$d: configuration reloaded" "$HK_OUT" "hactl reload output"; done
echo "ok: SIGHUP and hactl reload apply good files and keep the running configuration on bad ones"
