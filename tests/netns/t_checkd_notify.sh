#!/bin/bash
# Notify scripts (DESIGN.md §2): vrrpd tells checkd of each transition and
# checkd's script worker runs notify_master / notify_backup / notify_stop and
# `notify INSTANCE NAME STATE PRIORITY`, one at a time, in order. checkd reads
# the scripts from vrrpd.conf (global_defs vrrpd_config), never from vrrpd's
# messages; a state resent on reconnect does not run them again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a
ck_notify_dirs
ck_script master "echo master \"\$@\" >>$log"
ck_script backup "echo backup \"\$@\" >>$log"
ck_script stop "echo stop \"\$@\" >>$log"
ck_script notify "echo notify \"\$@\" >>$log"

ck_notify_start "notify_master $bin/master" "notify_backup $bin/backup" "notify_stop $bin/stop" "notify $bin/notify"
hk_wait_for 'vr_is a VI_1 MASTER' 5 || hk_fail "VI_1 did not become MASTER"
expected='backup
notify INSTANCE VI_1 BACKUP 100
master
notify INSTANCE VI_1 MASTER 100'
hk_wait_for "[[ \$(cat $log 2>/dev/null) == \"\$expected\" ]]" 5 ||
  hk_fail "notify scripts at start: got '$(cat "$log" 2>/dev/null)'"
echo "ok: notify_backup, notify, notify_master, notify in order"

# A reload reads vrrpd.conf again (the supervisor, sandboxed by now, can) and
# runs nothing: the states have not changed.
kill -HUP "$(hk_pid a checkd)"
hk_wait_for "grep -q 'configuration reloaded' '${HK_DAEMON_LOG[a/checkd]}'" 5 || hk_fail "checkd did not reload"
sleep 0.5
if grep -Eq 'notify scripts:|no notify scripts' "${HK_DAEMON_LOG[a/checkd]}"; then
  hk_fail "checkd could not read vrrpd.conf on reload: $(grep -E 'notify scripts' "${HK_DAEMON_LOG[a/checkd]}")"
fi
hk_assert_eq "$expected" "$(cat "$log")" "notify lines after checkd's reload"
echo "ok: reload reads vrrpd.conf and reruns nothing"

hk_stop_daemon a vrrpd
expected+='
stop
notify INSTANCE VI_1 STOP 100'
hk_wait_for "[[ \$(cat $log 2>/dev/null) == \"\$expected\" ]]" 5 ||
  hk_fail "notify scripts at vrrpd's stop: got '$(cat "$log" 2>/dev/null)'"
echo "ok: notify_stop and notify at STOP"
