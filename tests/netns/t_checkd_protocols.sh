#!/bin/bash
# The other checkers against real servers in a namespace (issue 4): SSL_GET
# with SNI and certificate verification against a CA file the test makes
# (a wrong name and an untrusted certificate fail with the verifier's
# reason), SMTP_CHECK, DNS_CHECK, UDP_CHECK (reply pattern, port
# unreachable), PING_CHECK over IPv4 and IPv6 on unprivileged ping sockets
# (net.ipv4.ping_group_range set in checkd's namespace).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a b
srv=$(hk_ip4 b)
srv6=$(hk_ip6 b)
# checkd runs as nobody: ping sockets for every group, in its namespace only.
hk_ns_exec a sysctl -q -w net.ipv4.ping_group_range="0 2147483647"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=web.test -addext subjectAltName=DNS:web.test \
  -keyout "$HK_TMP/key.pem" -out "$HK_TMP/cert.pem" 2>/dev/null || hk_fail "openssl could not make a certificate"
chmod 644 "$HK_TMP/cert.pem"
good_servers() { # the servers of the checks that go UP; their pids in $good_pids
  good_pids=()
  ck_server b tls 8443 "$HK_TMP/cert.pem" "$HK_TMP/key.pem" "$HK_TMP/sni"; good_pids+=("$HK_LAST_PID")
  ck_server b smtp 2525 220 250; good_pids+=("$HK_LAST_PID")
  ck_server b dns 5300 good; good_pids+=("$HK_LAST_PID")
  ck_server b udp-echo 7007; good_pids+=("$HK_LAST_PID")
}
good_servers
ck_server b smtp 2526 554 250
ck_server b dns 5301 nxdomain
for p in 8443 2525 2526; do
  hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$srv/$p'" 5 || hk_fail "server on port $p did not start"
done

hk_write_config "$HK_TMP/checkd.conf" <<EOF2
check tls_ok {
    address $srv 8443
    delay_loop 0.3
    SSL_GET { url { path /health  virtualhost web.test  digest 6f5902ac237024bdd0c176cb93063dc4 }
              enable_sni  verify_cert  ca_file $HK_TMP/cert.pem  retry 0 }
}
check tls_noverify { address $srv 8443  delay_loop 0.3  SSL_GET { url { path / } retry 0 } }
check tls_wrongname {
    address $srv 8443
    delay_loop 0.3
    SSL_GET { url { path / } sni_name other.test  verify_cert  ca_file $HK_TMP/cert.pem  retry 0 }
}
check tls_untrusted { address $srv 8443  delay_loop 0.3  SSL_GET { url { path /  virtualhost web.test } verify_cert  retry 0 } }
check smtp_ok  { address $srv 2525  delay_loop 0.3  SMTP_CHECK { helo_name checkd.test  retry 0 } }
check smtp_bad { address $srv 2526  delay_loop 0.3  SMTP_CHECK { retry 0 } }
check dns_ok   { address $srv6 5300  delay_loop 0.3  DNS_CHECK { type A  name example.org  retry 0  connect_timeout 1 } }
check dns_nx   { address $srv 5301  delay_loop 0.3  DNS_CHECK { type A  name nowhere.example  retry 0  connect_timeout 1 } }
check udp_echo {
    address $srv 7007
    delay_loop 0.3
    UDP_CHECK { payload 68 6b 21 00  require_reply 686bXX  min_reply_length 4  retry 0  connect_timeout 1 }
}
check udp_mismatch { address $srv 7007  delay_loop 0.3  UDP_CHECK { payload 0102  require_reply 0103  retry 0  connect_timeout 1 } }
check udp_closed   { address $srv 7008  delay_loop 0.3  UDP_CHECK { payload 01  retry 0  connect_timeout 1 } }
check ping4 { address $srv  delay_loop 0.3  PING_CHECK { retry 0  connect_timeout 1 } }
check ping6 { address $srv6  delay_loop 0.3  PING_CHECK { retry 0  connect_timeout 1 } }
check ping_nobody { address 192.0.2.99  delay_loop 0.3  PING_CHECK { retry 0  connect_timeout 0.5 } }
EOF2
ck_start a "$HK_TMP/checkd.conf"

for c in tls_ok tls_noverify smtp_ok dns_ok udp_echo ping4 ping6; do ck_wait "$c" 'c["state"]' UP 5; done
hk_assert_line '^web.test$' "$(<"$HK_TMP/sni")" "SNI name the TLS server saw"
down() { # CHECK REASON-PREFIX
  ck_wait "$1" 'c["state"]' DOWN 5
  hk_assert_match "^$2" "$(ck_field "$1" 'c["last_error"]')" "reason of $1"
}
down tls_wrongname "tls: certificate verify failed: hostname mismatch"
down tls_untrusted "tls: certificate verify failed: self[- ]signed certificate"
down smtp_bad "smtp: greeting 554"
down dns_nx "dns: rcode NXDOMAIN"
down udp_mismatch "udp: reply mismatch"
down udp_closed "udp: port unreachable"
down ping_nobody "ping: (timeout|host unreachable)"

# ---- every server stops: DOWN with its reason; back: UP again.
kill "${good_pids[@]}"
# A run caught mid-conversation by the kill fails on the protocol instead.
down tls_ok "(connect: refused|tls: handshake failed)"
down smtp_ok "(connect: refused|smtp: )"
down dns_ok "dns: port unreachable"
down udp_echo "udp: port unreachable"
hk_ns_exec b sysctl -q -w net.ipv6.conf.eth0.keep_addr_on_down=1  # its address survives the flap
hk_ns_exec b ip link set eth0 down
down ping4 "ping: (timeout|host unreachable)"
down ping6 "ping: (timeout|host unreachable|network unreachable)"
good_servers
hk_ns_exec b ip link set eth0 up
for c in tls_ok smtp_ok dns_ok udp_echo ping4 ping6; do ck_wait "$c" 'c["state"]' UP 8 "$c after its server came back"; done
hk_assert_eq 0 "$(ck_json | hk_json 'd["worker_restarts"]')" "worker restarts"
echo "ok: SSL_GET with SNI and verification, SMTP, DNS, UDP, ping over IPv4 and IPv6: up, down, up"
