#!/bin/bash
# virtual_routes and virtual_rules (issue 3, keepalived-features §1.2): they
# exist only on the MASTER. Routes with a gateway, a table and metric, a
# blackhole, a VIP as preferred source, multipath (nexthop with weights) and
# onlink; rules from and to a prefix with a
# table and priority. They follow the mastership on failover, go on a
# graceful stop, and a reload that changes one route touches only it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a b
conf() { # HOST PRIO [ROUTE4]
  vr_conf "$1" <<EOF2
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority $2
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
    }
    virtual_routes {
        198.51.100.0/25 via 192.0.2.1
        203.0.113.0/24 dev eth0 table 100 metric 5
        blackhole 198.51.100.128/25
        203.0.113.192/26 nexthop via 192.0.2.1 weight 3 nexthop via 192.0.2.2 dev eth0
        203.0.113.0/26 via 198.51.100.254 dev eth0 onlink
        ${3:-203.0.113.64/26 dev eth0 src 192.0.2.100}
    }
    virtual_rules {
        from 192.0.2.100/32 table 100 priority 1000
        to 198.51.100.0/24 table 100 priority 1001
    }
}
EOF2
}
routes() { # HOST: our routes (proto 18), main and table 100, and our rules
  hk_ns_exec "$1" ip -o -4 route show table all proto 18 | sort
  hk_ns_exec "$1" ip -4 rule show | grep -E '^100[01]:' || true
}
expect_routes() { # HOST
  local r
  r=$(routes "$1")
  hk_assert_line '^198\.51\.100\.0/25 via 192\.0\.2\.1 dev eth0' "$r" "$1: route via"
  hk_assert_line '^203\.0\.113\.0/24 dev eth0 table 100 .*metric 5' "$r" "$1: route in table 100 with metric"
  hk_assert_line '^blackhole 198\.51\.100\.128/25' "$r" "$1: blackhole route"
  hk_assert_line '^203\.0\.113\.192/26 .*nexthop via 192\.0\.2\.1 dev eth0 weight 3 .*nexthop via 192\.0\.2\.2 dev eth0 weight 1' \
    "$r" "$1: multipath route, its weights"
  hk_assert_line '^203\.0\.113\.0/26 via 198\.51\.100\.254 dev eth0 .*onlink' "$r" "$1: onlink route"
  hk_assert_line '^1000:\s+from 192\.0\.2\.100 lookup 100' "$r" "$1: rule from"
  hk_assert_line '^1001:\s+from all to 198\.51\.100\.0/24 lookup 100' "$r" "$1: rule to"
}
has_routes() { [[ -n $(routes "$1") ]]; }

conf a 110
conf b 100
vr_start a
vr_start b
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP' 4 || hk_fail "a MASTER, b BACKUP expected"
hk_wait_for 'has_routes a' 2 || hk_fail "the master has no routes"
expect_routes a
hk_assert_line '^203\.0\.113\.64/26 dev eth0 .*src 192\.0\.2\.100' "$(routes a)" "a: route with the VIP as source"
has_routes b && hk_fail "the backup has routes or rules: $(routes b)"
echo "ok: routes and rules on the master only"

# Reload on a changing one route: the others stay (ip monitor sees no deletion of them).
hk_bg a ip -ts monitor route rule
mon=$HK_LAST_LOG
sleep 0.2
conf a 110 "203.0.113.128/26 dev eth0"
kill -HUP "$(hk_pid a vrrpd)"
hk_wait_for 'routes a | grep -q "^203\.0\.113\.128/26"' 2 || hk_fail "the new route did not appear"
hk_wait_for '! routes a | grep -q "^203\.0\.113\.64/26"' 2 || hk_fail "the replaced route stayed"
sleep 0.3
grep -q 'Deleted.*198\.51\.100\.0/25' "$mon" && hk_fail "the reload removed an unchanged route"
grep -q 'Deleted.*1000:' "$mon" && hk_fail "the reload removed an unchanged rule"
expect_routes a
echo "ok: reload changes one route only"

# Failover: they move to b; the graceful stop removes them from a.
hk_stop_daemon a vrrpd
hk_wait_for 'vr_is b VI_1 MASTER && has_routes b' 2 || hk_fail "b did not install the routes"
expect_routes b
has_routes a && hk_fail "a's graceful stop left routes or rules: $(routes a)"
# SIGKILL leaves them; the restarted node (now backup) removes them at start-up.
conf b 100
hk_stop_daemon b vrrpd KILL
has_routes b || hk_fail "a killed vrrpd should leave its routes until restart"
conf a 110
vr_start a
hk_wait_for 'vr_is a VI_1 MASTER && has_routes a' 3 || hk_fail "a did not come back as MASTER"
conf b 90
vr_start b
hk_wait_for 'vr_is b VI_1 BACKUP && ! has_routes b' 3 || hk_fail "b kept stale routes: $(routes b)"
hk_assert_eq 2 "$(hk_ns_exec a ip -4 rule show | grep -cE '^100[01]:')" "a's rules are not duplicated"
echo "ok: routes follow the master"
