#!/bin/bash
# checkd's script worker (issue 4): vrrp_script and MISC_CHECK exit codes
# (misc_dynamic: 2..255 is UP with weight status - 2); a script that hangs is
# killed at its timeout with its whole process group, children included;
# scripts get a clean environment and run as their `user` (or script_user);
# an unsafe script (a directory on its path writable by everyone) is refused
# with a message naming the file and the fix; an unknown user is reported;
# FILE_CHECK reads the operator's drain switch.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_ns_create n
bin=$HK_TMP/bin out=$HK_TMP/out unsafe=$HK_TMP/unsafe
mkdir -p "$bin" "$out" "$unsafe"
chmod 755 "$bin"
chmod 1777 "$out"     # scripts run as nobody or daemon write here
chmod 777 "$unsafe"   # everyone may write: scripts below it must be refused
script() { # NAME BODY
  printf '#!/bin/sh\n%s\n' "$2" >"$bin/$1"
  chmod 755 "$bin/$1"
}
script ok 'exit 0'
script fails 'exit 1'
script weight 'exit 12'
script hang "sleep 30 & echo \$! >$out/child.pid; echo \$\$ >$out/script.pid; wait"
# Written aside and renamed: the scripts rerun every delay_loop, and a reader
# must never catch a file just truncated by '>'.
script env "env >$out/env.new; mv $out/env.new $out/env; id -u >$out/uid.new; mv $out/uid.new $out/uid"
script as_daemon "id -u >$out/daemon_uid.new; mv $out/daemon_uid.new $out/daemon_uid"
cp "$bin/ok" "$unsafe/ok"

hk_write_config "$HK_TMP/checkd.conf" <<EOF
vrrp_script ok     { script $bin/ok  interval 0.3 }
vrrp_script fails  { script "$bin/fails"  interval 0.3  weight -20 }
vrrp_script hang   { script $bin/hang  interval 3  timeout 0.5 }
vrrp_script env    { script $bin/env  interval 0.3 }
vrrp_script unsafe { script $unsafe/ok  interval 0.3 }
vrrp_script nouser { script $bin/ok  interval 0.3  user hakeep-no-such-user }
check misc {
    delay_loop 0.3
    MISC_CHECK { misc_path "$bin/weight"  misc_dynamic }
}
check misc_user {
    delay_loop 0.3
    MISC_CHECK { misc_path $bin/as_daemon  user daemon }
}
check drain {
    delay_loop 0.2
    FILE_CHECK { track_file $out/drain }
}
check drain_weight {
    delay_loop 0.2
    FILE_CHECK { track_file $out/weight  weight 2  dynamic }
}
EOF
ck_start n "$HK_TMP/checkd.conf"

ck_wait ok 'c["state"]' UP 5
ck_wait fails 'c["state"] + " " + c["last_error"]' "DOWN script: exit 1" 5
hk_assert_eq -20 "$(ck_field fails 'c["weight"]')" "vrrp_script weight, passed on"
ck_wait misc 'c["state"] + " " + str(c["weight"])' "UP 10" 5 "MISC_CHECK misc_dynamic exiting 12"

# ---- the hanging script: DOWN at its timeout, its child killed with it.
ck_wait hang 'c["state"] + " " + c["last_error"]' "DOWN script: timeout" 5
hk_wait_for "[[ -s $out/child.pid && -s $out/script.pid ]]" 2 || hk_fail "the hanging script did not start its child"
child=$(<"$out/child.pid")
hung=$(<"$out/script.pid")
hk_wait_for "! kill -0 $child 2>/dev/null && ! kill -0 $hung 2>/dev/null" 2 ||
  hk_fail "the script (pid $hung) or its child (pid $child) survived the timeout"
hk_assert_eq true "$(ck_field hang 'c["latency"] < 1500')" "the timeout of 0.5 s was kept"

# ---- clean environment, run as checkd's account (nobody) or its `user`.
hk_wait_for "[[ -s $out/env && -s $out/uid && -s $out/daemon_uid ]]" 5 || hk_fail "the env scripts did not run"
hk_assert_eq "$(id -u nobody)" "$(<"$out/uid")" "uid of a script (checkd runs as nobody)"
hk_assert_eq "$(id -u daemon)" "$(<"$out/daemon_uid")" "uid of a MISC_CHECK with 'user daemon'"
hk_assert_line '^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$' "$(<"$out/env")" "a script's PATH"
leaked=$(grep -Ev '^(PATH|PWD|SHLVL|_)=' "$out/env" || true)
hk_assert_eq "" "$leaked" "variables a script inherited"
ck_wait misc_user 'c["state"]' UP 5

# ---- script security: refused, with the file and the fix in the log.
ck_wait unsafe 'c["state"]' DOWN 5
hk_assert_eq "script: unsafe: $unsafe is writable by everyone" "$(ck_field unsafe 'c["last_error"]')" "reason of the unsafe script"
hk_assert_line "script $unsafe/ok refused: $unsafe is writable by everyone \\(fix: chmod o-w $unsafe\\)" \
  "$(cat "$(hk_daemon_log n checkd)")" "checkd's log"
hk_assert_eq 1 "$(grep -c "script $unsafe/ok refused" "$(hk_daemon_log n checkd)")" "the refusal is logged once"
ck_wait nouser 'c["state"]' DOWN 5
hk_assert_eq "script: no such user 'hakeep-no-such-user'" "$(ck_field nouser 'c["last_error"]')" "reason of an unknown user"

# ---- FILE_CHECK: a missing file reads 0 (UP); 1 drains; a weight follows the file.
ck_wait drain 'c["state"]' UP 5
echo 1 >"$out/drain"
ck_wait drain 'c["state"] + " " + c["last_error"]' "DOWN file: value 1" 5
echo 0 >"$out/drain"
ck_wait drain 'c["state"]' UP 5
echo 5 >"$out/weight"
ck_wait drain_weight 'c["state"] + " " + str(c["weight"])' "UP 10" 5
echo -1 >"$out/weight"
ck_wait drain_weight 'c["state"] + " " + c["last_error"]' "DOWN file: weight -2" 5

hk_assert_running n checkd
hk_assert_eq 0 "$(ck_json | hk_json 'd["worker_restarts"]')" "worker restarts"
echo "ok: exit codes, dynamic weight, timeout kills the group, clean env, users, script security, FILE_CHECK"
