#!/bin/bash
# The guest's kernel IPVS works: ipvsadm (an independent reader/writer, not
# ours) creates a NAT virtual service with two weighted real servers and reads
# them back; every scheduler module the lab loads is usable.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }

[[ -e /proc/net/ip_vs ]] || fail "/proc/net/ip_vs missing: ip_vs module not loaded"

ipvsadm -A -t 192.0.2.100:80 -s rr
ipvsadm -a -t 192.0.2.100:80 -r 203.0.113.11:8080 -m -w 3
ipvsadm -a -t 192.0.2.100:80 -r 203.0.113.12:8080 -m -w 1

out=$(ipvsadm -Ln)
echo "$out"

# Expected shape:
#   TCP  192.0.2.100:80 rr
#     -> 203.0.113.11:8080            Masq    3      0          0
expect() { # REGEX WHAT
  grep -Eq -- "$1" <<<"$out" || fail "ipvsadm -Ln does not show $2"
}
expect '^TCP +192\.0\.2\.100:80 +rr *$' "service TCP 192.0.2.100:80 with scheduler rr"
expect '^ +-> +203\.0\.113\.11:8080 +Masq +3 +0 +0 *$' "real server 203.0.113.11:8080 Masq weight 3"
expect '^ +-> +203\.0\.113\.12:8080 +Masq +1 +0 +0 *$' "real server 203.0.113.12:8080 Masq weight 1"
n=$(grep -c '^TCP ' <<<"$out" || true)
[[ $n == 1 ]] || fail "expected exactly 1 virtual service, ipvsadm -Ln shows $n"
n=$(grep -Ec '^ +-> +[0-9]' <<<"$out" || true)
[[ $n == 2 ]] || fail "expected exactly 2 real servers, ipvsadm -Ln shows $n"

# Every scheduler of the default module set is registered and accepted.
port=1000
for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh; do
  port=$((port + 1))
  ipvsadm -A -t "192.0.2.101:$port" -s "$s" || fail "scheduler $s rejected by the kernel"
  ipvsadm -Ln -t "192.0.2.101:$port" | grep -Eq "^TCP +192\.0\.2\.101:$port +$s( |\$)" \
    || fail "service with scheduler $s not listed"
  ipvsadm -D -t "192.0.2.101:$port"
done

ipvsadm -C
[[ -z $(ipvsadm -Ln | grep -E '^(TCP|UDP|SCTP) ' || true) ]] || fail "ipvsadm -C left services behind"
echo "ok: IPVS service, 2 Masq destinations (w3, w1), 13 schedulers"
