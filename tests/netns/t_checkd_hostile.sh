#!/bin/bash
# Hostile servers (issue 4): a 10 MiB header, endless headers, an endless
# body, one byte per second, a server that never answers, a TLS peer sending
# garbage, a DNS reply whose record overruns the datagram, a DNS server that
# never answers. Each ends as its typed failure within its timeout; no worker
# crashes; and an ordinary check beside them keeps its 0.2 s schedule.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a b
bad=$(hk_ip4 b)
ck_server b http 8080 "$HK_TMP/none"
port=9001
for mode in huge-header many-headers endless-body drip silent garbage; do
  ck_server b hostile "$mode" "$port"
  port=$((port + 1))
done
ck_server b dns 5301 badlength
ck_server b dns 5302 mute
for p in 8080 9001 9006; do
  hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$bad/$p'" 5 || hk_fail "server on port $p did not start"
done

digest=6f5902ac237024bdd0c176cb93063dc4
hk_write_config "$HK_TMP/checkd.conf" <<EOF
network_workers 1
check steady       { address $bad 8080  delay_loop 0.2  TCP_CHECK { retry 0 } }
check huge_header  { address $bad 9001  delay_loop 1  HTTP_GET { url { path / } retry 0  connect_timeout 3 } }
check many_headers { address $bad 9002  delay_loop 1  HTTP_GET { url { path / } retry 0  connect_timeout 3 } }
check endless_body { address $bad 9003  delay_loop 1  HTTP_GET { url { path /  digest $digest } retry 0  connect_timeout 3 } }
check drip         { address $bad 9004  delay_loop 2  HTTP_GET { url { path / } retry 0  connect_timeout 1 } }
check silent       { address $bad 9005  delay_loop 2  HTTP_GET { url { path / } retry 0  connect_timeout 1 } }
check garbage_tls  { address $bad 9006  delay_loop 1  SSL_GET { url { path / } retry 0  connect_timeout 2 } }
check dns_badlen   { address $bad 5301  delay_loop 1  DNS_CHECK { type A  name example.org  retry 0  connect_timeout 1 } }
check dns_mute     { address $bad 5302  delay_loop 2  DNS_CHECK { retry 0  connect_timeout 0.5 } }
EOF
ck_start a "$HK_TMP/checkd.conf"
ck_wait steady 'c["state"]' UP 5
start_runs=$(ck_field steady 'c["runs"]')
start_time=$EPOCHREALTIME

expect() { # CHECK REASON
  ck_wait "$1" 'c["state"]' DOWN 6 "hostile server of $1"
  hk_assert_eq "$2" "$(ck_field "$1" 'c["last_error"]')" "reason of $1"
}
expect huge_header "http: line too long"
expect many_headers "http: too many headers"
expect endless_body "http: body too large"
expect drip "http: timeout"
expect silent "http: timeout"
expect garbage_tls "tls: handshake failed"
expect dns_badlen "dns: malformed reply (bad record length)"
expect dns_mute "dns: timeout"
# The timeouts were kept: a drip of 1 byte/s ended at connect_timeout (1 s).
hk_assert_eq true "$(ck_field drip 'c["latency"] < 1500')" "drip ended at its timeout"
hk_assert_eq true "$(ck_field huge_header 'c["latency"] < 1000')" "the 10 MiB header was cut short"

# The steady check ran on time all along (one worker shared with the hostile ones).
sleep 1
elapsed_ms=$(( (${EPOCHREALTIME/./} - ${start_time/./}) / 1000 ))
runs=$(( $(ck_field steady 'c["runs"]') - start_runs ))
expected=$(( elapsed_ms / 200 ))
hk_assert_eq true "$( ((runs >= expected - 2)) && echo true || echo false)" \
  "steady check: $runs runs in ${elapsed_ms} ms (every 200 ms: about $expected)"
hk_assert_eq UP "$(ck_field steady 'c["state"]')" "steady check"
hk_assert_eq 0 "$(ck_json | hk_json 'd["worker_restarts"]')" "worker restarts"
hk_assert_running a checkd
echo "ok: every hostile server ends as a typed failure within its timeout; the steady check kept its schedule"
