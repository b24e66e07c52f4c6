#!/bin/bash
# bind_if (keepalived's, SO_BINDTODEVICE) in checkd's unprivileged network
# workers (issue 4): since Linux 5.7 a process without capability may bind a
# socket that is bound to no device yet. Namespace a has a second link to b
# (a veth pair, hk-side0 in a, hk-side1 in b). A check bound to hk-side0
# fails while b's end is down, although eth0 reaches the server all along
# (the check bound to eth0 stays UP): the socket follows its device, not the
# best route. Once b's end is up, the check bound to hk-side0 is UP. A missing
# interface fails with a typed reason.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

hk_bridge_lab a b
web=$(hk_ip4 b)
ck_server b accept 8081
hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$web/8081'" 5 || hk_fail "the TCP server did not start"
hk_ns_exec a ip link add hk-side0 type veth peer name hk-side1
hk_ns_exec a ip link set hk-side1 netns "$(hk_ns b)"
hk_ns_exec a ip addr add 198.51.100.1/24 dev hk-side0
hk_ns_exec a ip link set hk-side0 up
hk_ns_exec b ip addr add 198.51.100.2/24 dev hk-side1

hk_write_config "$HK_TMP/checkd.conf" <<EOF
check via_eth0 {
    address $web 8081
    delay_loop 0.2
    TCP_CHECK { bind_if eth0  retry 0  connect_timeout 1 }
}
check via_side {
    address $web 8081
    delay_loop 0.2
    TCP_CHECK { bind_if hk-side0  retry 0  connect_timeout 1 }
}
check via_nothing {
    address $web 8081
    delay_loop 0.2
    TCP_CHECK { bind_if hk-nosuch0  retry 0  connect_timeout 1 }
}
EOF
ck_start a "$HK_TMP/checkd.conf"
ck_wait via_eth0 'c["state"]' UP 5
ck_wait via_side 'c["state"]' DOWN 5 "via_side while b's end of hk-side0 is down"
hk_assert_eq UP "$(ck_field via_eth0 'c["state"]')" "via_eth0 meanwhile"
reason=$(ck_field via_side 'c["last_error"]')
echo "via_side while b's end is down: $reason"
hk_assert_line '^connect: (timeout|network unreachable|host unreachable)$' "$reason" "reason of via_side"
ck_wait via_nothing 'c["state"]' DOWN 5
hk_assert_eq "connect: bind_if hk-nosuch0: No such device" "$(ck_field via_nothing 'c["last_error"]')" \
  "reason of via_nothing"
# The workers hold no capability (t_checkd_workers checks every field): the
# binding needed none.
for p in $(pgrep -f 'checkd-net' || true); do
  hk_assert_eq 0000000000000000 "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$p/status")" "CapEff of worker $p"
done
# b's end comes up: the server's address answers through hk-side0 too (the
# kernel takes a destination as on-link for a socket bound to a device).
hk_ns_exec b ip link set hk-side1 up
ck_wait via_side 'c["state"]' UP 5 "via_side once b's end of hk-side0 is up"
hk_assert_running a checkd
echo "ok: bind_if binds checker sockets to a device without any capability; typed failures"
