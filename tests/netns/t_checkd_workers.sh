#!/bin/bash
# checkd's process tree (issue 4, DESIGN.md §1): supervisor, launcher, two
# network workers and a script worker, each with Uid not 0, no capability at
# all, no_new_privs and a seccomp filter (a network worker's stacked on its
# launcher's). vrrpd and ipvsd receive the snapshot (checks_known). A worker
# killed with SIGKILL or SIGSYS is restarted, hactl counts the restart, and
# no check flaps: the supervisor kept every state, so neither checkd's log
# nor vrrpd's or ipvsd's shows a change. TERM stops the whole tree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a b
web=$(hk_ip4 b)
ck_server b http 8080 "$HK_TMP/none"
hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$web/8080'" 5 || hk_fail "the HTTP server did not start"
printf '#!/bin/sh\nexit 0\n' >"$HK_TMP/ok.sh"
chmod 755 "$HK_TMP/ok.sh"

# vrrpd and ipvsd with the example configurations: they only need to listen.
hk_start_all a "$CK_SOCK" vrrpd ipvsd
hk_write_config "$HK_TMP/checkd.conf" <<EOF
network_workers 2
check web1 { address $web 8080  delay_loop 0.2  HTTP_GET { url { path /health } retry 0 } }
check web2 { address $web 8080  delay_loop 0.2  TCP_CHECK { retry 0 } }
check web3 { address $web 8080  delay_loop 0.2  TCP_CHECK { retry 0  connect_timeout 2 } }
check web4 { address $web 8080  delay_loop 0.2  HTTP_GET { url { path /health  status_code 200 } retry 0 } }
vrrp_script chk_ok { script "$HK_TMP/ok.sh"  interval 0.2 }
EOF
ck_start a "$HK_TMP/checkd.conf"
for c in web1 web2 web3 web4 chk_ok; do ck_wait "$c" 'c["state"]' UP 5; done
# vrrpd keeps every check; ipvsd those its real servers track (web1, web2 in conf/ipvsd.conf).
hk_wait_for "hk_status_is '$CK_SOCK' vrrpd 'x[\"counters\"][\"checks_known\"]' 5" 5 ||
  hk_fail "vrrpd did not learn the 5 checks: $(hk_status_field "$CK_SOCK" vrrpd 'x["counters"]')"
hk_wait_for "hk_status_is '$CK_SOCK' ipvsd 'int(x[\"counters\"][\"checks_known\"]) >= 2' true" 5 ||
  hk_fail "ipvsd did not learn web1 and web2: $(hk_status_field "$CK_SOCK" ipvsd 'x["counters"]')"

# ---- the tree: supervisor -> launcher -> net0, net1, script
supervisor=$(hk_pid a checkd)
children() { ps -o pid= --ppid "$1" | tr -d ' '; }
comm() { cat "/proc/$1/comm"; }
launcher=$(children "$supervisor")
hk_assert_eq 1 "$(wc -w <<<"$launcher")" "children of the supervisor (one launcher)"
hk_assert_eq checkd-launcher "$(comm "$launcher")" "the launcher's name"
worker_pid() { # NAME: pid of the launcher's child with that comm
  local p
  for p in $(children "$launcher"); do [[ $(comm "$p") == "$1" ]] && { echo "$p"; return 0; }; done
  return 1
}
hk_wait_for "worker_pid checkd-net1 && worker_pid checkd-script" 5 || hk_fail "workers: $(ps -o pid=,comm= --ppid "$launcher")"
net0=$(worker_pid checkd-net0) net1=$(worker_pid checkd-net1) script=$(worker_pid checkd-script)
field() { awk -v k="$2:" '$1 == k { print $2; exit }' "/proc/$1/status"; }
for p in "$supervisor" "$launcher" "$net0" "$net1" "$script"; do
  what="$(comm "$p") (pid $p)"
  hk_assert_eq "$(id -u nobody)" "$(field "$p" Uid)" "$what Uid"
  for cap in CapEff CapPrm CapInh CapAmb CapBnd; do
    hk_assert_eq 0000000000000000 "$(field "$p" "$cap")" "$what $cap"
  done
  hk_assert_eq 1 "$(field "$p" NoNewPrivs)" "$what NoNewPrivs"
  hk_assert_eq 2 "$(field "$p" Seccomp)" "$what Seccomp"
done
# A network worker adds its allow-list on top of its launcher's filter.
hk_assert_eq 2 "$(field "$net0" Seccomp_filters)" "filters of a network worker"
hk_assert_eq 1 "$(field "$supervisor" Seccomp_filters)" "filters of the supervisor"
# Only the network workers hold IPv4/IPv6 sockets; the supervisor holds none.
inet_sockets() { # PID: how many IPv4/IPv6 sockets the process holds
  "$HK_PYTHON" - "$1" <<'PY'
import os, re, sys
pid = sys.argv[1]
inodes = set()
for fd in os.listdir("/proc/%s/fd" % pid):
    m = re.match(r"socket:\[(\d+)\]", os.readlink("/proc/%s/fd/%s" % (pid, fd)))
    if m: inodes.add(m.group(1))
count = 0
for table in ("tcp", "tcp6", "udp", "udp6", "icmp", "icmp6", "raw", "raw6"):
    for line in open("/proc/%s/net/%s" % (pid, table)).readlines()[1:]:
        if line.split()[9] in inodes: count += 1
print(count)
PY
}
sup_inet=$(inet_sockets "$supervisor")
hk_assert_eq 0 "$sup_inet" "IPv4/IPv6 sockets held by the supervisor"

# ---- kill -9 a network worker, SIGSYS the other, SIGKILL the script worker.
since_before=$(ck_json | hk_json '{c["name"]: c["last_change"] for c in d["checks"]}')
log=$(hk_daemon_log a checkd)
lines_before=$(wc -l <"$log")
declare -A peer_lines
for d in vrrpd ipvsd; do peer_lines[$d]=$(wc -l <"$(hk_daemon_log a "$d")"); done
kill -KILL "$net0"
kill -SYS "$net1"
kill -KILL "$script"
hk_wait_for "ck_json | hk_json 'd[\"worker_restarts\"]' | grep -qx 3" 5 ||
  hk_fail "worker_restarts after three kills: $(ck_json | hk_json 'd["worker_restarts"]')"
hk_wait_for "[[ \$(ck_json | hk_json 'd[\"workers\"]') == 3 ]]" 5 || hk_fail "the workers were not all restarted"
new_net0=$(worker_pid checkd-net0)
hk_assert_ne "$net0" "$new_net0" "pid of net0 after its restart"
hk_assert_eq 2 "$(field "$new_net0" Seccomp)" "Seccomp of the restarted net0"
runs_after=$(ck_field web1 'c["runs"]')
ck_wait web1 "c[\"runs\"] > $runs_after + 3" true 5 "web1 after the restart of its worker"
ck_wait chk_ok 'c["runs"] > 3' true 5 "the vrrp_script after the script worker's restart"
hk_assert_eq "$since_before" "$(ck_json | hk_json '{c["name"]: c["last_change"] for c in d["checks"]}')" \
  "every check's last change (no flap across the restarts)"
new_lines=$(tail -n +"$((lines_before + 1))" "$log")
hk_assert_not_match 'check [a-z_0-9]+: [A-Z]+ -> ' "$new_lines" "checkd's log after the kills"
hk_assert_contains "killed by SIGSYS" "$new_lines" "the launcher's report of net1"
hk_assert_contains "went away; starting it again" "$new_lines" "the supervisor's report"
for d in vrrpd ipvsd; do
  hk_assert_not_match 'check [a-z_0-9]+ is' "$(tail -n +"$((peer_lines[$d] + 1))" "$(hk_daemon_log a "$d")")" \
    "$d's log after the kills (no check changed)"
done
hk_hactl --socket-dir "$CK_SOCK" checks
hk_assert_contains "checkd restarted a crashed worker 3 time(s)" "$HK_OUT" "hactl checks"

# ---- reload: web4 removed, web5 added; the others keep their state, no worker restarts.
since_before=$(ck_json | hk_json '{c["name"]: c["last_change"] for c in d["checks"] if c["name"] != "web4"}')
sed -i -e '/^check web4 /d' "$HK_TMP/checkd.conf"
echo "check web5 { address $web 8080  delay_loop 0.2  TCP_CHECK { retry 0  bind_port 40555 } }" >>"$HK_TMP/checkd.conf"
kill -HUP "$supervisor"
ck_wait web5 'c["state"]' UP 5 "web5, added by the reload"
hk_assert_eq '["chk_ok", "web1", "web2", "web3", "web5"]' "$(ck_json | hk_json 'sorted(c["name"] for c in d["checks"])')" \
  "checks after the reload"
hk_assert_eq "$since_before" "$(ck_json | hk_json '{c["name"]: c["last_change"] for c in d["checks"] if c["name"] != "web5"}')" \
  "last change of the checks the reload kept"
hk_wait_for "hk_status_is '$CK_SOCK' vrrpd 'x[\"counters\"][\"checks_known\"]' 5" 5 ||
  hk_fail "vrrpd after the reload: $(hk_status_field "$CK_SOCK" vrrpd 'x["counters"]')"
hk_assert_eq 3 "$(ck_json | hk_json 'd["worker_restarts"]')" "worker restarts after the reload"

# ---- TERM stops the whole tree.
hk_stop_daemon a checkd TERM
hk_assert_eq 0 "$HK_RC" "checkd's exit status after TERM"
hk_wait_for "! kill -0 $launcher 2>/dev/null && ! kill -0 $new_net0 2>/dev/null" 3 ||
  hk_fail "the launcher or a worker survived the supervisor"
echo "ok: process tree sandboxed; workers restarted without flapping; peers got the snapshot"
