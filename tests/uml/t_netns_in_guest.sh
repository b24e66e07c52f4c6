#!/bin/bash
# Network namespaces, veth and a bridge work inside the guest: two namespaces
# on one bridge reach each other (the building blocks of every IPVS lab).
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  ip netns del hk-a 2>/dev/null || true
  ip netns del hk-b 2>/dev/null || true
  ip link del hk-br0 2>/dev/null || true
}
trap cleanup EXIT

ip link add hk-br0 type bridge
ip link set hk-br0 up
i=10
for n in a b; do
  i=$((i + 1))
  ip netns add "hk-$n"
  ip link add "hk-$n-port" type veth peer name eth0 netns "hk-$n"
  ip link set "hk-$n-port" master hk-br0 up
  ip -n "hk-$n" link set lo up
  ip -n "hk-$n" addr add "192.0.2.$i/24" dev eth0
  ip -n "hk-$n" link set eth0 up
done
ip netns list

ip netns exec hk-a ping -c 1 -W 2 192.0.2.12 || fail "hk-a cannot ping hk-b (192.0.2.12) across hk-br0"
ip netns exec hk-b ping -c 1 -W 2 192.0.2.11 || fail "hk-b cannot ping hk-a (192.0.2.11) across hk-br0"

# macvlan (the other link type the lab loads) can be created on the bridge.
ip link add hk-mv0 link hk-br0 type macvlan mode bridge || fail "cannot create a macvlan link"
ip link del hk-mv0
echo "ok: hk-a <-> hk-b over veth + bridge, macvlan available"
