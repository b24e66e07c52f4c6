#!/bin/bash
# ipvsd is SIGKILLed and restarted (twice) while a client sends requests
# through the NAT director without a pause: no request fails, and the
# restart writes nothing to the kernel (operations_applied 0, ipvsadm
# unchanged). Then reloads (SIGHUP, then `hactl reload ipvsd`) that change
# one real server's weight: exactly one kernel operation each, seen by
# ipvsadm; a reload with a bad file changes nothing.
# uml-run: --timeout 120
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

lab_nat_director 2
write_config() { # WEIGHT-OF-WEB2
  ipvsd_config <<EOF
virtual_server 192.0.2.100 80 {
    lb_algo wrr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 2  track_check web1 }
    real_server 203.0.113.12 8080 { weight $1  track_check web2 }
}
virtual_server 192.0.2.101 80 {
    lb_algo rr
    lb_kind NAT
    persistence_timeout 30
    real_server 203.0.113.11 8080 { weight 1 }
    real_server 203.0.113.12 8080 { weight 1 }
}
EOF
}
write_config 1
ipvsd_start
printf 'snapshot web1=up web2=up\n' | fake_checkd >/dev/null
# The table without the connection counters (the client changes them).
table_now() { ipvsadm_list --exact | sed -E 's/[[:space:]]+/ /g; s/^( -> [^ ]+ [A-Za-z]+ [0-9]+) .*/\1/'; }
table=$(table_now)
echo "$table"
applied() { ipvs_json 'd["operations_applied"]'; }

# The client: 10 ms apart, each request with a 2 s timeout; about 15 s in all.
nsx client "$PYTHON" "$LT/client.py" http://192.0.2.100:80/ 500 --interval 0.01 --timeout 2 >"$LT/client.out" 2>&1 &
client=$!
LT_PIDS+=("$client")
served() { grep -cE '^web[12]$' "$LT/client.out" || true; }
wait_for '(( $(served) >= 20 ))' 10 || fail "the client gets no answers: $(head -5 "$LT/client.out")"

for round in 1 2; do
  n=$(served)
  ipvsd_stop KILL
  note "round $round: ipvsd SIGKILLed after $n answers"
  # Requests go on while ipvsd is away.
  wait_for '(( $(served) >= n + 20 ))' 5 || fail "no answers while ipvsd is down"
  ipvsd_start
  [[ $(applied) == 0 ]] || fail "round $round: the restart wrote $(applied) operation(s)"
  same "round $round: ipvsadm after the restart" "$table" "$(table_now)"
  ok "round $round: restarted (pid $IPVSD_PID), 0 kernel operations"
  wait_for '(( $(served) >= n + 60 ))' 10 || fail "no answers after the restart"
done

# ---------------------------------------------------------------- reloads
before=$(applied)
write_config 3
ipvsd_hup
wait_for '[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.12:8080) == 3 ]]' 5 ||
  fail "SIGHUP: weight of web2 not 3: $(ipvsadm_list -t 192.0.2.100:80)"
[[ $(($(applied) - before)) == 1 ]] || fail "SIGHUP reload: $(($(applied) - before)) operations, expected 1"
same "SIGHUP reload: ipvsadm" "${table/-> 203.0.113.12:8080 Masq 1/-> 203.0.113.12:8080 Masq 3}" "$(table_now)"
ok "SIGHUP reload changing one weight: 1 kernel operation"

before=$(applied)
write_config 5
out=$(hactl reload ipvsd) || fail "hactl reload ipvsd failed: $out"
[[ $out == "ipvsd: configuration reloaded from "*"ipvsd.conf: the same counts as before" ]] ||
  fail "hactl reload ipvsd said: $out"
[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.12:8080) == 5 ]] ||
  fail "hactl reload: weight of web2 not 5: $(ipvsadm_list -t 192.0.2.100:80)"
[[ $(($(applied) - before)) == 1 ]] || fail "hactl reload: $(($(applied) - before)) operations, expected 1"
ok "hactl reload ipvsd changing one weight: 1 kernel operation"

# A bad file: kept running with the old configuration, nothing written.
before=$(applied)
printf 'virtual_server 192.0.2.100 80 {\n    lb_algo nosuch\n}\n' | ipvsd_config
rc=0
out=$(hactl reload ipvsd 2>&1) || rc=$?
((rc == 1)) || fail "hactl reload with a bad file exited $rc: $out"
[[ $out == *"ipvsd.conf:"*"running configuration kept"* ]] || fail "hactl reload with a bad file said: $out"
[[ $(applied) == "$before" ]] || fail "a failed reload wrote to the kernel"
[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.12:8080) == 5 ]] || fail "a failed reload changed the table"
ok "reload with a bad file: refused ($out), nothing written"

wait "$client" || true
tail -1 "$LT/client.out"
grep '^ERROR' "$LT/client.out" | head -5 >&2 || true
[[ $(tail -1 "$LT/client.out") == "total 500 ok 500 failed 0" ]] || fail "requests failed during the restarts and reloads"
ok "500 requests through two SIGKILLs, restarts and three reloads: none failed"
ipvsd_alive || fail "ipvsd died"
echo "ok: restart writes nothing; a one-weight reload is one operation"
