#!/bin/bash
# hactl metrics with the kernel's IPVS (issue 6, hactl(8) METRICS): a NAT
# director with two backends, web1's check up, web2's down (a fake checkd).
# After real HTTP requests the per-real-server series carry the kernel's
# numbers, equal to what ipvsadm (the independent reader) shows: connections,
# packets and bytes in and out (counters), active and inactive connections,
# the kernel weight. web2, out of the kernel, is up 0 and has no kernel
# series. The text passes promtool and the strict OpenMetrics parser.
# uml-run: --timeout 120
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

PARSE=$(realpath -m -- "$HK_UML_DIR/../netns/metrics_parse.py")
command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus); run 'make deps'"
"$PYTHON" -c 'import prometheus_client' 2>/dev/null ||
  fail "prometheus_client is missing (python3-prometheus-client); run 'make deps'"

lab_nat_director 2
ipvsd_config <<'EOF'
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 203.0.113.11 8080 { weight 2  track_check web1 }
    real_server 203.0.113.12 8080 { weight 1  track_check web2 }
}
EOF
ipvsd_start
printf 'snapshot web1=up web2=down\n' | fake_checkd >/dev/null
wait_for '[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080) == 2 && -z $(kernel_weight "-t 192.0.2.100:80" 203.0.113.12:8080) ]]' 5 ||
  fail "expected web1 (weight 2) alone in the kernel: $(ipvsadm_list -t 192.0.2.100:80)"
out=$(http_get 12 192.0.2.100:80)
[[ $(tally <<<"$out") == "web1 12" ]] || fail "traffic: $(tally <<<"$out"), expected web1 12"
ok "12 requests, all to web1"

# The kernel's view, read by ipvsadm: conns inpkts outpkts inbytes outbytes,
# then activeconn inactconn. The kernel sums its per-CPU counters in its
# rate estimator, every 2 s: they settle at 12 connections.
web1_stats() {
  ipvsadm_list -t 192.0.2.100:80 --stats --exact | awk '$1 == "->" && $2 == "203.0.113.11:8080" { print $3, $4, $5, $6, $7 }'
}
wait_for '[[ $(web1_stats) == "12 "* ]]' 6 || fail "ipvsadm's counters of web1 did not reach 12 connections: $(web1_stats)"
sleep 2.5  # one more estimator round: the last packets of the last connections
stats=$(web1_stats)
conns=$(ipvsadm_list -t 192.0.2.100:80 | awk '$1 == "->" && $2 == "203.0.113.11:8080" { print $5, $6 }')
read -r k_conns k_inpkts k_outpkts k_inbytes k_outbytes <<<"$stats"
read -r k_active k_inactive <<<"$conns"
[[ -n $k_outbytes && -n $k_inactive ]] || fail "ipvsadm shows no web1: $(ipvsadm_list -t 192.0.2.100:80 --stats --exact)"
((k_conns == 12 && k_inpkts > 0 && k_outpkts > 0 && k_inbytes > 0 && k_outbytes > 0)) ||
  fail "ipvsadm's counters of web1: $stats (12 connections and traffic expected)"
note "ipvsadm: web1 conns $k_conns, packets $k_inpkts/$k_outpkts, bytes $k_inbytes/$k_outbytes, active $k_active inactive $k_inactive"

prom=$(hactl metrics ipvsd) || fail "hactl metrics ipvsd: exit $?"
promtool_out=$(promtool check metrics <<<"$prom" 2>&1) || fail "promtool check metrics: $promtool_out"
[[ -z $promtool_out ]] || fail "promtool's remarks: $promtool_out"
ok "promtool check metrics: no remark"
om=$(hactl metrics --openmetrics ipvsd) || fail "hactl metrics --openmetrics ipvsd: exit $?"
parsed=$("$PYTHON" "$PARSE" openmetrics <<<"$om") || fail "the OpenMetrics parser refused the text"
ok "the OpenMetrics parser reads it"

# metric FAMILY RS: a sample of web1 or web2 of 192.0.2.100:80 ("absent" if none).
metric() {
  "$PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
v = d["samples"].get("%s|real_server=%s|virtual_server=192.0.2.100:80/tcp" % (sys.argv[2], sys.argv[3]), "absent")
print(v if isinstance(v, str) else int(v))
' "$parsed" "$1" "$2"
}
expect() { # FAMILY RS VALUE
  local got
  got=$(metric "$1" "$2")
  [[ $got == "$3" ]] || fail "$1 of $2: $got, expected $3"
}
web1=203.0.113.11:8080 web2=203.0.113.12:8080
expect hakeep_ipvs_real_server_connections_total $web1 "$k_conns"
expect hakeep_ipvs_real_server_in_packets_total $web1 "$k_inpkts"
expect hakeep_ipvs_real_server_out_packets_total $web1 "$k_outpkts"
expect hakeep_ipvs_real_server_in_bytes_total $web1 "$k_inbytes"
expect hakeep_ipvs_real_server_out_bytes_total $web1 "$k_outbytes"
expect hakeep_ipvs_real_server_active_connections $web1 "$k_active"
expect hakeep_ipvs_real_server_inactive_connections $web1 "$k_inactive"
expect hakeep_ipvs_real_server_kernel_weight $web1 2
expect hakeep_ipvs_real_server_weight $web1 2
expect hakeep_ipvs_real_server_in_kernel $web1 1
expect hakeep_ipvs_real_server_up $web1 1
ok "web1: the kernel's numbers, as ipvsadm shows them"
expect hakeep_ipvs_real_server_up $web2 0
expect hakeep_ipvs_real_server_in_kernel $web2 0
expect hakeep_ipvs_real_server_weight $web2 1
for family in kernel_weight active_connections inactive_connections connections_total in_packets_total \
  out_packets_total in_bytes_total out_bytes_total; do
  expect "hakeep_ipvs_real_server_$family" $web2 absent
done
ok "web2 (check down): up 0, not in the kernel, no kernel series"
"$PYTHON" -c '
import json, sys
d = json.loads(sys.argv[1])
s, t = d["samples"], d["types"]
want = {
    "hakeep_daemon_up|daemon=ipvsd": 1,
    "hakeep_ipvs_kernel_available": 1,
    "hakeep_ipvs_virtual_server_quorum_up|virtual_server=192.0.2.100:80/tcp": 1,
    "hakeep_ipvs_virtual_server_live_weight|virtual_server=192.0.2.100:80/tcp": 2,
    "hakeep_ipvs_operations_failed_total": 0,
}
bad = ["%s: %s, expected %s" % (k, s.get(k), v) for k, v in want.items() if s.get(k) != v]
if not s.get("hakeep_ipvs_operations_applied_total", 0) > 0: bad.append("no operations applied")
for family in ("hakeep_ipvs_real_server_connections", "hakeep_ipvs_real_server_in_bytes"):
    if t.get(family) != "counter": bad.append("%s is %s, not a counter" % (family, t.get(family)))
if any("daemon=vrrpd" in k or "daemon=checkd" in k for k in s): bad.append("daemons not asked for are listed")
if bad: sys.exit("; ".join(bad))
' "$parsed" || fail "ipvsd's series"
ok "ipvsd up, kernel available, quorum, operations; counters typed counter"
ipvsd_alive || fail "ipvsd died"
echo "ok: hactl metrics shows the kernel's IPVS counters of each real server"
