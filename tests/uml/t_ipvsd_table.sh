#!/bin/bash
# ipvsd's kernel table equals its configuration, as ipvsadm (an independent
# reader) shows it: every scheduler (sh/mh with their flags), NAT/DR/TUN
# (ipip, gue with a port, gre; csum/nocsum/remcsum), TCP/UDP/SCTP,
# IPv4/IPv6, fwmark (both families), persistence timeout and granularity,
# port 0, one-packet scheduling, weights (0 and 65535), thresholds,
# virtual_server_group (range, address, fwmark), lvs_timeouts, both keyword
# spellings, and the sync daemon following a VRRP instance. hactl --json
# ipvs agrees. Then a reload changes and removes services, and a restart
# writes nothing.
# uml-run: --timeout 120
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

# The expected `ipvsadm -Ln --exact` text is built beside the configuration,
# one service block at a time; compared as sets of blocks (ipvsadm's own
# sort order is not the point), each block's destinations sorted.
expected=''
expect() { expected+="$*"$'\n'; }
# blocks: stdin (ipvsadm_list output or expected text) -> "SERVICE :" and
# "SERVICE : DESTINATION" lines, sorted.
blocks() {
  sed -E 's/[[:space:]]+/ /g; s/ $//' |
    awk '/^(TCP|UDP|SCTP|FWM) / { svc = $0; print svc " :"; next } NF { print svc " :" $0 }' | sort
}
check_table() { # WHAT
  [[ -n $(blocks <<<"$expected") ]] || fail "check_table: nothing expected"
  same "$1" "$(blocks <<<"$expected")" "$(ipvsadm_list --exact | blocks)"
}

# ---------------------------------------------------------------- the configuration
schedulers=(rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh)
config=''
for i in "${!schedulers[@]}"; do
  s=${schedulers[$i]} port=$((8001 + i)) w=$((i + 1))
  # Both spellings: lb_algo/lb_kind on even services, lvs_sched/lvs_method on odd.
  if ((i % 2 == 0)); then algo=lb_algo kind=lb_kind; else algo=lvs_sched kind=lvs_method; fi
  flags='' shown=''
  case $s in
    sh) flags='sh-port sh-fallback'; shown=' (sh-fallback,sh-port)' ;;
    mh) flags='mh-fallback'; shown=' (mh-fallback)' ;;
    dh) flags='' ;;
  esac
  config+="virtual_server 192.0.2.10 $port {
    $algo $s
    $kind NAT
    protocol TCP
    $flags
    real_server 203.0.113.11 8080 { weight $w }
    real_server 203.0.113.12 $port { weight $((w + 20))  $kind DR }
    real_server 203.0.113.13 $port { weight $((w + 40))  $kind TUN }
}
"
  expect "TCP 192.0.2.10:$port $s$shown
  -> 203.0.113.11:8080 Masq $w 0 0
  -> 203.0.113.12:$port Route $((w + 20)) 0 0
  -> 203.0.113.13:$port Tunnel $((w + 40)) 0 0"
done

config+='
# UDP, persistence (default granularity), weight 0 and 65535, thresholds
virtual_server 192.0.2.20 53 {
    protocol UDP
    lb_algo wlc
    lb_kind NAT
    persistence_timeout 300
    real_server 203.0.113.21 53 { weight 0  uthreshold 500  lthreshold 100 }
    real_server 203.0.113.22 53 { weight 65535 }
}
# SCTP, DR for the whole service
virtual_server 192.0.2.21 3868 {
    protocol SCTP
    lb_algo rr
    lb_kind DR
    real_server 203.0.113.31 3868 { weight 7 }
}
# one-packet scheduling (UDP only)
virtual_server 192.0.2.22 514 {
    protocol UDP
    lb_algo rr
    ops
    real_server 203.0.113.32 514 { weight 1 }
}
# port 0 (every port) with persistence: persistence_timeout alone means 360 s
virtual_server 192.0.2.23 0 {
    lb_algo wlc
    lb_kind DR
    persistence_timeout
    persistence_granularity 255.255.255.0
    real_server 203.0.113.33 0 { weight 2 }
}
# IPv6, persistence granularity as a prefix length
virtual_server 2001:db8::100 443 {
    lb_algo lc
    lb_kind NAT
    persistence_timeout 600
    persistence_granularity 64
    real_server 2001:db8::11 8443 { weight 5  uthreshold 1000 }
    real_server 2001:db8::12 443 { weight 6  uthreshold 20  lthreshold 7  lb_kind DR }
}
virtual_server 2001:db8::100 53 {
    protocol UDP
    lb_algo sh
    sh-port
    lb_kind NAT
    real_server 2001:db8::13 53 { weight 1 }
}
# fwmark (IPv4): DR and GUE tunnels (checksum, no checksum), an ipip tunnel
virtual_server fwmark 7 {
    lb_algo wrr
    lb_kind DR
    persistence_timeout 120
    persistence_granularity 255.255.255.0
    real_server 203.0.113.41 0 { weight 4 }
    real_server 203.0.113.42 0 { weight 2  lb_kind TUN type gue port 6080 csum }
    real_server 203.0.113.43 0 { weight 3  lb_kind TUN type gue port 6081 nocsum }
    real_server 203.0.113.44 0 { weight 1  lb_kind TUN type ipip }
}
# fwmark (IPv6, from its real servers): GRE tunnels with remote checksum offload
virtual_server fwmark 9 {
    lvs_sched mh
    mh-port
    lvs_method TUN type gre remcsum
    real_server 2001:db8::21 0 { weight 1 }
    real_server 2001:db8::22 0 { weight 9  lvs_method TUN type gre }
}
# a group: an IPv4 range, one address with its own port, a fwmark
virtual_server_group web4 {
    192.0.2.50-52 80
    192.0.2.60 8080
    fwmark 11
}
virtual_server group web4 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 203.0.113.51 8080 { weight 2 }
    real_server 203.0.113.52 8080 { weight 3 }
}
'
expect "UDP 192.0.2.20:53 wlc persistent 300
  -> 203.0.113.21:53 Masq 0 0 0
  -> 203.0.113.22:53 Masq 65535 0 0
SCTP 192.0.2.21:3868 rr
  -> 203.0.113.31:3868 Route 7 0 0
UDP 192.0.2.22:514 rr ops
  -> 203.0.113.32:514 Masq 1 0 0
TCP 192.0.2.23:0 wlc persistent 360 mask 255.255.255.0
  -> 203.0.113.33:0 Route 2 0 0
TCP [2001:db8::100]:443 lc persistent 600 mask 64
  -> [2001:db8::11]:8443 Masq 5 0 0
  -> [2001:db8::12]:443 Route 6 0 0
UDP [2001:db8::100]:53 sh (sh-port)
  -> [2001:db8::13]:53 Masq 1 0 0
FWM 7 wrr persistent 120 mask 255.255.255.0
  -> 203.0.113.41:0 Route 4 0 0
  -> 203.0.113.42:0 Tunnel 2 0 0
  -> 203.0.113.43:0 Tunnel 3 0 0
  -> 203.0.113.44:0 Tunnel 1 0 0
FWM 9 IPv6 mh (mh-port)
  -> [2001:db8::21]:0 Tunnel 1 0 0
  -> [2001:db8::22]:0 Tunnel 9 0 0"
for vip in 192.0.2.50:80 192.0.2.51:80 192.0.2.52:80 192.0.2.60:8080; do
  expect "TCP $vip rr
  -> 203.0.113.51:8080 Masq 2 0 0
  -> 203.0.113.52:8080 Masq 3 0 0"
done
expect "FWM 11 rr
  -> 203.0.113.51:8080 Masq 2 0 0
  -> 203.0.113.52:8080 Masq 3 0 0"

# The sync daemon's interface, and the timeouts.
ip link add hk-sync0 type veth peer name hk-sync1
ip addr add 198.51.100.1/24 dev hk-sync0
ip link set hk-sync0 up
ip link set hk-sync1 up
IPVSD_GLOBAL='    vrrpd_user sys
    lvs_timeouts tcp 901 tcpfin 121 udp 301
    lvs_sync_daemon hk-sync0 VI_1 id 5'
VRRPD_UID=$(id -u sys)

ipvsd_config <<<"$config"
"$IPVSD" -t -f "$IPVSD_CONF" >/dev/null || fail "ipvsd -t refuses the configuration: $("$IPVSD" -t -f "$IPVSD_CONF" 2>&1)"
ipvsd_start
applied=$(ipvs_json 'd["operations_applied"]')
want_ops=$(($(grep -cE '^(TCP|UDP|SCTP|FWM| +->) ' <<<"$expected") + 2))
((applied == want_ops)) ||
  fail "operations_applied $applied, expected $want_ops (one per service and destination, timeouts, sync daemon)"
ok "$applied kernel operations at start: one per service and destination, timeouts, sync daemon"

# ---------------------------------------------------------------- ipvsadm reads it back
check_table "ipvsadm -Ln --exact"
nservices=$(ipvsadm_list | grep -cE '^(TCP|UDP|SCTP|FWM) ' || true)
nwanted=$(grep -cE '^(TCP|UDP|SCTP|FWM) ' <<<"$expected")
((nservices == nwanted)) || fail "ipvsadm shows $nservices services, expected $nwanted"

same "ipvsadm --thresholds" "UDP 192.0.2.20:53 wlc persistent 300
  -> 203.0.113.21:53 500 100 0 0
  -> 203.0.113.22:53 0 0 0 0
TCP [2001:db8::100]:443 lc persistent 600 mask 64
  -> [2001:db8::11]:8443 1000 0 0 0
  -> [2001:db8::12]:443 20 7 0 0" \
  "$(ipvsadm_list --thresholds -u 192.0.2.20:53; ipvsadm_list --thresholds -t '[2001:db8::100]:443')"

same "ipvsadm --tun-info" "FWM 7 wrr persistent 120 mask 255.255.255.0
  -> 203.0.113.41:0 Route n/a 4 0 0
  -> 203.0.113.42:0 Tunnel gue:6080:+c 2 0 0
  -> 203.0.113.43:0 Tunnel gue:6081:-c 3 0 0
  -> 203.0.113.44:0 Tunnel ipip 1 0 0
FWM 9 IPv6 mh (mh-port)
  -> [2001:db8::21]:0 Tunnel gre:r+c 1 0 0
  -> [2001:db8::22]:0 Tunnel gre:-c 9 0 0" \
  "$(ipvsadm_list --tun-info -f 7; ipvsadm_list --tun-info -f 9 -6)"

same "ipvsadm --persistent-conn (no connections yet)" "TCP 192.0.2.23:0 wlc persistent 360 mask 255.255.255.0
  -> 203.0.113.33:0 2 0 0 0" \
  "$(ipvsadm_list --persistent-conn -t 192.0.2.23:0)"

same "ipvsadm --timeout" "Timeout (tcp tcpfin udp): 901 121 301" "$(ipvsadm -L --timeout)"

# The sync daemon: backup until its VRRP instance is MASTER, then master.
daemons=$(ipvsadm -L --daemon)
[[ $daemons == "backup sync daemon (mcast=hk-sync0, syncid=5,"* ]] ||
  fail "ipvsadm -L --daemon: expected a backup sync daemon on hk-sync0 id 5, got '$daemons'"
ok "sync daemon: backup before any VRRP state"
out=$(printf 'vrrp VI_1 master\n' | fake_checkd --uid "$VRRPD_UID")
[[ $out != *ErrorReply* ]] || fail "VrrpEvent from vrrpd's uid refused: $out"
wait_for '[[ $(ipvsadm -L --daemon) == "master sync daemon (mcast=hk-sync0, syncid=5,"* ]]' 5 ||
  fail "sync daemon not master after VRRP MASTER: '$(ipvsadm -L --daemon)'"
[[ $(ipvsadm -L --daemon | grep -c 'sync daemon') == 1 ]] || fail "two sync daemons: $(ipvsadm -L --daemon)"
ok "sync daemon: master after VRRP MASTER"
[[ $(ipvs_json 'd["operations_applied"]') == $((applied + 2)) ]] ||
  fail "VRRP MASTER: $(( $(ipvs_json 'd["operations_applied"]') - applied )) operations, expected 2 (stop backup, start master)"
# Someone else may not move it.
out=$(printf 'vrrp VI_1 backup\n' | fake_checkd --linger 5000)
[[ $out == *"ErrorReply CODE_FORBIDDEN: permission denied"* ]] || fail "VrrpEvent from checkd's uid not refused: $out"
[[ $(ipvsadm -L --daemon) == "master sync daemon"* ]] || fail "sync daemon moved by a VrrpEvent from checkd's uid"
ok "VrrpEvent from checkd's uid refused"

# ---------------------------------------------------------------- hactl agrees
"$PYTHON" - "$(hactl --json ipvs)" <<'PY' || fail "hactl --json ipvs disagrees with the configuration"
import json, sys
d = json.loads(sys.argv[1])
assert d["kernel_available"] is True, d
assert d["operations_failed"] == 0, d["operations_failed"]
vs = {v["name"]: v for v in d["virtual_servers"]}
scheds = "rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh".split()
want = {}
for i, s in enumerate(scheds):
    want["192.0.2.10:%d" % (8001 + i)] = ("TCP", s, "NAT", 0,
        {"203.0.113.11:8080": i + 1, "203.0.113.12:%d" % (8001 + i): i + 21, "203.0.113.13:%d" % (8001 + i): i + 41})
want["192.0.2.20:53"] = ("UDP", "wlc", "NAT", 0, {"203.0.113.21:53": 0, "203.0.113.22:53": 65535})
want["192.0.2.21:3868"] = ("SCTP", "rr", "DR", 0, {"203.0.113.31:3868": 7})
want["192.0.2.22:514"] = ("UDP", "rr", "NAT", 0, {"203.0.113.32:514": 1})
want["192.0.2.23:0"] = ("TCP", "wlc", "DR", 0, {"203.0.113.33:0": 2})
want["[2001:db8::100]:443"] = ("TCP", "lc", "NAT", 0, {"[2001:db8::11]:8443": 5, "[2001:db8::12]:443": 6})
want["[2001:db8::100]:53"] = ("UDP", "sh", "NAT", 0, {"[2001:db8::13]:53": 1})
want["fwmark 7"] = ("", "wrr", "DR", 7, {"203.0.113.41:0": 4, "203.0.113.42:0": 2, "203.0.113.43:0": 3, "203.0.113.44:0": 1})
want["fwmark 9"] = ("", "mh", "TUN", 9, {"[2001:db8::21]:0": 1, "[2001:db8::22]:0": 9})
want["group web4"] = ("TCP", "rr", "NAT", 0, {"203.0.113.51:8080": 2, "203.0.113.52:8080": 3})
# hactl names a virtual server with its protocol; a fwmark service has none.
want = {k + ("/" + w[0].lower() if w[0] else ""): w for k, w in want.items()}
assert sorted(vs) == sorted(want), "virtual servers: %s" % sorted(vs)
for name, (proto, sched, fwd, mark, reals) in want.items():
    v = vs[name]
    got = (v["protocol"], v["scheduler"], v["forwarding"], v["fwmark"])
    assert got == (proto, sched, fwd, mark), "%s: %r, expected %r" % (name, got, (proto, sched, fwd, mark))
    assert v["quorum_state"] == "UP", (name, v["quorum_state"])
    rs = {r["address"]: r for r in v["real_servers"]}
    assert sorted(rs) == sorted(reals), "%s real servers %s" % (name, sorted(rs))
    for addr, w in reals.items():
        r = rs[addr]
        assert r["configured_weight"] == w and r["kernel_weight"] == w, "%s %s: %r" % (name, addr, r)
        assert r["health"] == "UP" and r["track_check"] == "", "%s %s: %r" % (name, addr, r)
print("hactl --json ipvs: %d virtual servers as configured" % len(vs))
PY
ok "hactl --json ipvs agrees"
# With the kernel's IPVS (kernel weights present, every forwarding, fwmarks,
# groups), strictly as hactl(8) and hactl/schema/ipvs.schema.json say.
hactl --json ipvs | "$PYTHON" "$HK_UML_DIR/../netns/hactl_schema.py" ipvs --strict ||
  fail "hactl --json ipvs does not follow hactl/schema/ipvs.schema.json"
ok "hactl --json ipvs follows its schema"

# ---------------------------------------------------------------- restart: nothing written
ipvsd_stop
((IPVSD_RC == 0)) || fail "ipvsd exited $IPVSD_RC on SIGTERM"
check_table "table after ipvsd stopped (kept)"
ipvsd_start
[[ $(ipvs_json 'd["operations_applied"]') == 0 ]] || fail "restart wrote $(ipvs_json 'd["operations_applied"]') operations"
check_table "table after restart"
ok "restart: 0 operations"
# The sync daemon too stays as it was (master) until vrrpd says otherwise.
[[ $(ipvsadm -L --daemon) == "master sync daemon (mcast=hk-sync0, syncid=5,"* ]] ||
  fail "restart changed the sync daemon: '$(ipvsadm -L --daemon)'"
ok "restart: sync daemon left master"

# ---------------------------------------------------------------- reload with changes
# Edited service (scheduler), edited destination (weight, forwarding), one
# destination removed, one service removed, one added; a group shrinks.
config=${config//'lb_algo wlc
    lb_kind NAT
    persistence_timeout 300'/'lb_algo rr
    lb_kind NAT
    persistence_timeout 300'}
config=${config//'real_server 203.0.113.22 53 { weight 65535 }'/'real_server 203.0.113.22 53 { weight 9  lb_kind DR }'}
config=${config//'    real_server 203.0.113.44 0 { weight 1  lb_kind TUN type ipip }
'/}
config=${config//'    192.0.2.60 8080
'/}
config=${config//'virtual_server 192.0.2.21 3868 {'/'virtual_server 192.0.2.24 3868 {'}
expected=${expected//'UDP 192.0.2.20:53 wlc persistent 300'/'UDP 192.0.2.20:53 rr persistent 300'}
expected=${expected//'-> 203.0.113.22:53 Masq 65535 0 0'/'-> 203.0.113.22:53 Route 9 0 0'}
expected=${expected//'  -> 203.0.113.44:0 Tunnel 1 0 0
'/}
expected=${expected//'TCP 192.0.2.60:8080 rr
  -> 203.0.113.51:8080 Masq 2 0 0
  -> 203.0.113.52:8080 Masq 3 0 0
'/}
expected=${expected//'SCTP 192.0.2.21:3868 rr'/'SCTP 192.0.2.24:3868 rr'}
ipvsd_config <<<"$config"
before=$(ipvs_json 'd["operations_applied"]')
ipvsd_hup
# edit service, edit destination, delete destination, 2 + 1 deletions for
# 192.0.2.60:8080, 2 for SCTP .21 (destination, service), 2 adds for .24
want_delta=$((1 + 1 + 1 + 3 + 2 + 2))
wait_for '(( $(ipvs_json "d[\"operations_applied\"]") - before == want_delta ))' 5 ||
  fail "reload: $(( $(ipvs_json 'd["operations_applied"]') - before )) operations, expected $want_delta"
check_table "ipvsadm -Ln --exact after reload"
ok "reload: $want_delta operations, exactly the difference"

ipvsd_stop
ip link del hk-sync0
echo "ok: ipvsd's table equals its configuration"
