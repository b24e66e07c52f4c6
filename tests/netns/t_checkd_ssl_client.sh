#!/bin/bash
# keepalived's SSL block (certificate, key, password, ca) in checkd.conf: every
# SSL_GET presents the client certificate, its encrypted key opened with the
# password in the worker before its sandbox. Against a TLS server that
# requires a client certificate signed by its CA: UP with the SSL block; a
# check of a second checkd (namespace c) without it is DOWN ("tls: ..."), then, the server
# restarted without the requirement, UP.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a b c
srv=$(hk_ip4 b)
mk() { openssl "$@" 2>/dev/null || hk_fail "openssl $1 failed"; }
mk req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=web.test \
  -keyout "$HK_TMP/key.pem" -out "$HK_TMP/cert.pem"
mk req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=clients \
  -keyout "$HK_TMP/ca.key" -out "$HK_TMP/ca.pem"
mk req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj /CN=checkd -passout pass:s3cret \
  -keyout "$HK_TMP/client.key" -out "$HK_TMP/client.csr"
mk x509 -req -in "$HK_TMP/client.csr" -CA "$HK_TMP/ca.pem" -CAkey "$HK_TMP/ca.key" -CAcreateserial -days 1 \
  -out "$HK_TMP/client.pem"
chmod 644 "$HK_TMP"/*.pem "$HK_TMP/client.key"   # checkd's workers read them as nobody
ck_server b tls 8443 "$HK_TMP/cert.pem" "$HK_TMP/key.pem" "$HK_TMP/sni" - "$HK_TMP/ca.pem"
server=$HK_LAST_PID
hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$srv/8443'" 5 || hk_fail "the TLS server did not start"

hk_write_config "$HK_TMP/with.conf" <<EOF
SSL {
    certificate $HK_TMP/client.pem
    key $HK_TMP/client.key
    password s3cret
}
check mtls { address $srv 8443  delay_loop 0.3  SSL_GET { url { path / } retry 0 } }
EOF
hk_write_config "$HK_TMP/without.conf" <<EOF
check anon { address $srv 8443  delay_loop 0.3  SSL_GET { url { path / } retry 0 } }
EOF
CK_SOCK=$HK_TMP/sock-with
ck_start a "$HK_TMP/with.conf"
ck_wait mtls 'c["state"]' UP 5 "the check presenting a client certificate"
CK_SOCK=$HK_TMP/sock-without
ck_start c "$HK_TMP/without.conf"
ck_wait anon 'c["state"]' DOWN 5 "the check without a client certificate"
hk_assert_line '^(tls|http): ' "$(ck_field anon 'c["last_error"]')" "reason of anon"
kill "$server"
ck_server b tls 8443 "$HK_TMP/cert.pem" "$HK_TMP/key.pem" "$HK_TMP/sni"
ck_wait anon 'c["state"]' UP 8 "anon once the server no longer asks for a certificate"
CK_SOCK=$HK_TMP/sock-with
ck_wait mtls 'c["state"]' UP 5 "mtls against the relaxed server"
echo "ok: the SSL block's client certificate (with an encrypted key) is presented by SSL_GET"
