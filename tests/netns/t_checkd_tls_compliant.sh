#!/bin/bash
# SSL_GET tls_compliant (keepalived's): the reply counts only once the server
# has ended its TLS session with close_notify. Against one TLS server that
# sometimes ends properly and sometimes just closes the connection: the
# compliant check is UP, DOWN with "tls: closed without close_notify", UP
# again; the same check without tls_compliant stays UP throughout (an end
# without close_notify ends the reply, as OpenSSL's IGNORE_UNEXPECTED_EOF).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a b
srv=$(hk_ip4 b)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=web.test -addext subjectAltName=DNS:web.test \
  -keyout "$HK_TMP/key.pem" -out "$HK_TMP/cert.pem" 2>/dev/null || hk_fail "openssl could not make a certificate"
echo clean >"$HK_TMP/shutdown"
ck_server b tls 8443 "$HK_TMP/cert.pem" "$HK_TMP/key.pem" "$HK_TMP/sni" "$HK_TMP/shutdown"
hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$srv/8443'" 5 || hk_fail "the TLS server did not start"

hk_write_config "$HK_TMP/checkd.conf" <<EOF
check compliant { address $srv 8443  delay_loop 0.3  SSL_GET { url { path / } tls_compliant  retry 0 } }
check lenient { address $srv 8443  delay_loop 0.3  SSL_GET { url { path / } retry 0 } }
EOF
ck_start a "$HK_TMP/checkd.conf"
ck_wait compliant 'c["state"]' UP 5 "compliant against a server sending close_notify"
ck_wait lenient 'c["state"]' UP 5

echo abrupt >"$HK_TMP/shutdown"
ck_wait compliant 'c["state"]' DOWN 5 "compliant against a server closing without close_notify"
hk_assert_eq "tls: closed without close_notify" "$(ck_field compliant 'c["last_error"]')" "reason of compliant"
runs=$(ck_field lenient 'c["runs"]')
ck_wait lenient "c[\"runs\"] >= $runs + 3" true 5 "lenient keeps running"
hk_assert_eq "UP 0" "$(ck_field lenient 'c["state"] + " " + str(c["consecutive_failures"])')" \
  "lenient against a server closing without close_notify"

echo clean >"$HK_TMP/shutdown"
ck_wait compliant 'c["state"]' UP 5 "compliant once close_notify is back"
hk_assert_running a checkd
echo "ok: tls_compliant requires close_notify; without it an abrupt end is accepted"
