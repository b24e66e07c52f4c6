#!/bin/bash
# ipvsd with the real checkd (not fake_checkd): checkd's own HTTP_GET and
# TCP_CHECK checkers against three busybox backends, in the director's
# namespace, both daemons sandboxed as their accounts. A backend stopped is
# taken out of the kernel table within its check's timing (fall × delay_loop
# plus the connect timeout), kept with weight 0 where inhibit_on_failure says
# so, and restored when it answers again; two backends down lose the quorum of
# a virtual server, whose sorry server then answers. ipvsadm reads the table.
# uml-run: --timeout 120
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

CHECKD=$HK_BIN/checkd
[[ -x $CHECKD ]] || fail "$CHECKD missing: run 'make all' first"
CHECKD_LOG=$LT/checkd.log

lab_nat_director 3
web_serve web3 8081 sorry
wait_for 'nsx dir curl -s -m 1 http://203.0.113.13:8081/ | grep -qx sorry' 10 ||
  fail "sorry server (203.0.113.13:8081) does not answer"

ipvsd_config <<'EOF'
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    quorum 2
    sorry_server 203.0.113.13 8081
    real_server 203.0.113.11 8080 { weight 1  track_check web1 }
    real_server 203.0.113.12 8080 { weight 1  track_check web2 }
    real_server 203.0.113.13 8080 { weight 1  track_check web3 }
}
virtual_server 192.0.2.101 80 {
    lb_algo rr
    lb_kind NAT
    inhibit_on_failure
    real_server 203.0.113.11 8080 { weight 2  track_check web1 }
    real_server 203.0.113.12 8080 { weight 2  track_check web2 }
}
EOF
# checkd (as daemon) reaches ipvsd.sock through the socket directory's group,
# the reader_group: here daemon's own group, as hakeep is for the packages.
sed -i 's/reader_group nogroup/reader_group daemon/' "$IPVSD_CONF"

# checkd.conf: the same accounts; HTTP_GET for web1 and web2, TCP_CHECK for
# web3. delay_loop 0.5 and fall 2: a stopped backend is DOWN within about
# 2 × 0.5 s + 0.5 s connect timeout.
cat >"$LT/checkd.conf" <<'EOF'
global_defs {
    ipvsd_user nobody
    checkd_user daemon
    reader_group daemon
}
check web1 {
    address 203.0.113.11 8080
    delay_loop 0.5
    fall 2
    HTTP_GET { url { path /  status_code 200 }  connect_timeout 0.5  retry 0 }
}
check web2 {
    address 203.0.113.12 8080
    delay_loop 0.5
    fall 2
    HTTP_GET { url { path / }  connect_timeout 0.5  retry 0 }
}
check web3 {
    address 203.0.113.13 8080
    delay_loop 0.5
    fall 2
    TCP_CHECK { connect_timeout 0.5  retry 0 }
}
EOF
chmod 0644 "$LT/checkd.conf"

ipvsd_start
nsx dir "$CHECKD" -f "$LT/checkd.conf" --socket-dir "$IPVSD_SOCKDIR" --user daemon \
  >>"$CHECKD_LOG" 2>&1 </dev/null &
CHECKD_PID=$!
LT_PIDS+=("$CHECKD_PID")
# On failure, checkd's log too (the lab's own cleanup shows ipvsd's).
trap 'rc=$?; ((rc == 0)) || { echo "--- checkd log"; tail -20 "$CHECKD_LOG"; } >&2; (exit $rc); _lt_cleanup' EXIT

all_up='ipvs_json_is "[r[\"health\"] for r in vs(\"192.0.2.100:80/tcp\")[\"real_servers\"] if not r[\"sorry_server\"]]" "[\"UP\", \"UP\", \"UP\"]"'
wait_for "$all_up" 10 || fail "checkd's checks did not bring all three real servers UP: $(hactl ipvs)"
same "192.0.2.100:80 with every check UP" "TCP 192.0.2.100:80 rr
  -> 203.0.113.11:8080 Masq 1 0 0
  -> 203.0.113.12:8080 Masq 1 0 0
  -> 203.0.113.13:8080 Masq 1 0 0" "$(ipvsadm_list -t 192.0.2.100:80)"
[[ $(http_get 9 192.0.2.100:80 | tally) == "web1 3 web2 3 web3 3" ]] ||
  fail "rr over three backends: $(http_get 9 192.0.2.100:80 | tally)"
ok "checkd's checks UP: three backends in rotation"

# weights VS: the service's lines of ipvsadm without the connection counters.
weights() { ipvsadm_list -t "$1" | awk '{ print ($1 == "->" ? "  " : "") $1, $2, $3, $4 }'; }

# stop_web N: the busybox httpd of backend N on port 8080 stops.
stop_web() { pkill -f "busybox httpd -f -p 8080 -h $LT/www-web$1-8080\$" || fail "no httpd for web$1"; }

# ---------------------------------------------------------------- web2 stopped
stop_web 2
wait_for '[[ -z $(kernel_weight "-t 192.0.2.100:80" 203.0.113.12:8080) ]]' 5 ||
  fail "web2 still in 192.0.2.100:80 5 s after its server stopped: $(ipvsadm_list -t 192.0.2.100:80)"
[[ $(kernel_weight "-t 192.0.2.101:80" 203.0.113.12:8080) == 0 ]] ||
  fail "inhibit_on_failure: web2 in 192.0.2.101:80 should have weight 0: $(ipvsadm_list -t 192.0.2.101:80)"
ipvs_assert "web2 DOWN by checkd's HTTP_GET, removed; kept at weight 0 with inhibit_on_failure" \
  'rs("192.0.2.100:80/tcp", "203.0.113.12:8080")["health"] == "DOWN"' \
  'rs("192.0.2.100:80/tcp", "203.0.113.12:8080")["reason"].startswith("connect: ")' \
  'rs("192.0.2.100:80/tcp", "203.0.113.12:8080")["kernel_weight"] is None' \
  'rs("192.0.2.101:80/tcp", "203.0.113.12:8080")["kernel_weight"] == 0' \
  'vs("192.0.2.100:80/tcp")["quorum_state"] == "UP"'
[[ $(http_get 6 192.0.2.100:80 | tally) == "web1 3 web3 3" ]] || fail "traffic still reaches web2"
[[ $(http_get 4 192.0.2.101:80 | tally) == "web1 4" ]] || fail "192.0.2.101:80 still sends to web2"
ok "traffic avoids web2"

# ---------------------------------------------------------------- quorum lost
stop_web 3
wait_for 'ipvs_json_is "vs(\"192.0.2.100:80/tcp\")[\"quorum_state\"]" DOWN' 5 ||
  fail "quorum not lost with web2 and web3 down: $(hactl ipvs)"
same "192.0.2.100:80 without quorum: the sorry server alone" "TCP 192.0.2.100:80 rr
  -> 203.0.113.13:8081 Masq 1" "$(weights 192.0.2.100:80)"
[[ $(http_get 4 192.0.2.100:80 | tally) == "sorry 4" ]] || fail "the sorry server does not answer 192.0.2.100:80"
ok "quorum lost (TCP_CHECK of web3 down too): the sorry server answers"

# ---------------------------------------------------------------- back
web_serve web2 8080 web2
web_serve web3 8080 web3
wait_for "$all_up" 10 || fail "web2 and web3 not UP again: $(hactl ipvs)"
same "192.0.2.100:80 restored" "TCP 192.0.2.100:80 rr
  -> 203.0.113.11:8080 Masq 1
  -> 203.0.113.12:8080 Masq 1
  -> 203.0.113.13:8080 Masq 1" "$(weights 192.0.2.100:80)"
[[ $(kernel_weight "-t 192.0.2.101:80" 203.0.113.12:8080) == 2 ]] || fail "web2's weight not restored in 192.0.2.101:80"
[[ $(http_get 9 192.0.2.100:80 | tally) == "web1 3 web2 3 web3 3" ]] || fail "rr after the restore"
ipvs_assert "every check UP, quorum UP, nothing failed" \
  'vs("192.0.2.100:80/tcp")["quorum_state"] == "UP"' \
  'd["operations_failed"] == 0' \
  'd["check_events_refused"] == 0'
kill -0 "$CHECKD_PID" 2>/dev/null || fail "checkd died"
ipvsd_alive || fail "ipvsd died"
echo "ok: checkd's real checks drive ipvsd's kernel table"
