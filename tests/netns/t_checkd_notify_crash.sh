#!/bin/bash
# Notify scripts run at most once (issue 4): the script worker is killed
# while notify_backup runs; the supervisor restarts the worker but does not
# hand it notify_backup again (it may have acted already), logs it lost and
# goes on with the next script of the queue.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a
ck_notify_dirs
# notify_backup says it started, then takes its time: the worker dies meanwhile.
ck_script backup "echo backup-start >>$log; sleep 4; echo backup-end >>$log"
ck_script master "echo master >>$log"
ck_script notify "echo notify \"\$@\" >>$log"

ck_notify_start "notify_master $bin/master" "notify_backup $bin/backup" "notify $bin/notify"
hk_wait_for "grep -qx backup-start $log" 5 || hk_fail "notify_backup did not start: '$(cat "$log" 2>/dev/null)'"

supervisor=$(hk_pid a checkd)
launcher=$(ps -o pid= --ppid "$supervisor" | tr -d ' ')
script_worker=
for p in $(ps -o pid= --ppid "$launcher"); do
  [[ $(cat "/proc/$p/comm") == checkd-script ]] && script_worker=$p
done
[[ -n $script_worker ]] || hk_fail "no checkd-script worker under the launcher $launcher"
kill -KILL "$script_worker"

# The rest of the queue runs once the worker is back; notify_backup does not run again.
expected='backup-start
notify INSTANCE VI_1 BACKUP 100
master
notify INSTANCE VI_1 MASTER 100'
hk_wait_for "[[ \$(cat $log 2>/dev/null) == \"\$expected\" ]]" 10 ||
  hk_fail "notify lines after the worker's death: got '$(cat "$log" 2>/dev/null)'"
# Past the time a rerun (100 ms backoff) would have needed to show, and past
# the 4 s the killed script would have taken: it died with its worker.
sleep 5
hk_assert_eq "$expected" "$(cat "$log")" "notify lines 5 s later (notify_backup once, never finished)"
summary=$(hk_status_field "$CK_SOCK" checkd 'x["counters"]["notify_started"] + " " + x["counters"]["notify_finished"] + " " + x["counters"]["notify_lost"]')
hk_assert_eq "4 3 1" "$summary" "checkd's notify_started, notify_finished, notify_lost"
hk_assert_contains "the script worker died while it ran; not run again (at most once)" \
  "$(cat "$(hk_daemon_log a checkd)")" "checkd's log"
hk_assert_eq 1 "$(ck_json | hk_json 'd["worker_restarts"]')" "worker restarts"
echo "ok: a notify script interrupted by the worker's death is not run again; the queue goes on"
