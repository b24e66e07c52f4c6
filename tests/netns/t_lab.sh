#!/bin/bash
# The lab itself: two hosts on the bridge reach each other over IPv4 and IPv6,
# and the root namespace sees nothing of it (no interface, no address, not
# even a transient one while the lab is built).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

root_links() { ip -o link show | awk -F': ' '{ print $2 }' | sort; }
root_addrs() { ip -o addr show | awk '{ print $2, $3, $4 }' | sort; }
links_before=$(root_links)
addrs_before=$(root_addrs)

# Every link/address/route event of the root namespace while the lab is built.
hk_bg - ip -o monitor link address route
monitor_pid=$HK_LAST_PID
monitor_log=$HK_LAST_LOG
sleep 0.3   # let the monitor subscribe

hk_bridge_lab a b
a4=$(hk_ip4 a) b4=$(hk_ip4 b) a6=$(hk_ip6 a) b6=$(hk_ip6 b)
hk_assert_eq 192.0.2.11 "$a4" "address of a"
hk_assert_eq 2001:db8::12 "$b6" "IPv6 address of b"

hk_run hk_ns_exec a ping -n -c 1 -W 2 "$b4"
hk_assert_rc 0 "ping a -> b over IPv4"
hk_run hk_ns_exec b ping -n -c 1 -W 2 "$a4"
hk_assert_rc 0 "ping b -> a over IPv4"
hk_run hk_ns_exec a ping -6 -n -c 1 -W 2 "$b6"
hk_assert_rc 0 "ping a -> b over IPv6"
hk_run hk_ns_exec b ping -6 -n -c 1 -W 2 "$a6"
hk_assert_rc 0 "ping b -> a over IPv6"

# Each host: lo and eth0 only, addresses only from the documentation ranges
# (plus loopback and the on-link fe80::/64), routes only to its own segment.
for h in a b; do
  links=$(hk_ns_exec "$h" ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//' | sort | tr '\n' ' ')
  hk_assert_eq "eth0 lo " "$links" "interfaces of host $h"
  while read -r addr; do
    hk_assert_match '^(192\.0\.2\.[0-9]+/24|2001:db8::[0-9a-f:]+/64|127\.0\.0\.1/8|::1/128|fe80::[0-9a-f:]+/64)$' \
      "$addr" "address on host $h"
  done < <(hk_ns_exec "$h" ip -o addr show | awk '{ print $4 }')
  routes=$(hk_ns_exec "$h" ip -4 route show | awk '{ print $1 }' | tr '\n' ' ')
  hk_assert_eq "192.0.2.0/24 " "$routes" "IPv4 routes of host $h"
  hk_assert_eq "" "$(hk_ns_exec "$h" ip -4 route show default)" "default route of host $h"
  hk_assert_eq "" "$(hk_ns_exec "$h" ip -6 route show default)" "IPv6 default route of host $h"
done
# The switch: bridge and ports only, no address at all.
hk_assert_eq "" "$(hk_ns_exec sw ip -o addr show scope global)" "addresses in the switch namespace"

# An address outside the segment is unreachable: no path out of the lab.
hk_run hk_ns_exec a ping -n -c 1 -W 1 198.51.100.1
hk_assert_ne 0 "$HK_RC" "ping from the lab to 198.51.100.1 (no route expected)"
hk_assert_match 'unreachable' "$HK_ERR$HK_OUT" "ping to an off-lab address"

sleep 0.2   # events are printed as they come; give the last ones a moment
kill "$monitor_pid" 2>/dev/null || true
wait "$monitor_pid" 2>/dev/null || true
hk_assert_eq "$links_before" "$(root_links)" "interfaces of the root namespace"
hk_assert_eq "$addrs_before" "$(root_addrs)" "addresses of the root namespace"
leak=$(grep -E 'veth|br0|eth0@|p[0-9]+@|192\.0\.2\.|2001:db8:' "$monitor_log" || true)
hk_assert_eq "" "$leak" "root-namespace netlink events caused by the lab"
echo "ok: IPv4 and IPv6 across the bridge; root namespace untouched"
