#!/bin/bash
# Hostile adverts (issue 3): TTL not 255, bad checksum, short and long
# packets, wrong version or type, an unknown VRID, wrong authentication and a
# mismatched address list are dropped, counted by reason in hactl vrrp --json,
# change no state and crash nothing. The sender is a python3 raw socket.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

hk_bridge_lab a b
hk_write_config "$HK_TMP/a.conf" <<'EOF2'
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 2
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
EOF2
hk_start_daemon a vrrpd -f "$HK_TMP/a.conf" --socket-dir "$HK_TMP/sock" --user nobody
pid=$HK_LAST_PID
vrrp() { "$HK_BIN/hactl" --socket-dir "$HK_TMP/sock" --json vrrp 2>/dev/null; }
hk_wait_for 'vrrp | hk_json "d[\"instances\"][0][\"state\"]" | grep -q BACKUP' 5 || hk_fail "vrrpd did not start as BACKUP"

# Each advert claims priority 254 from 192.0.2.12: had one been accepted, a
# (priority 100) would stay BACKUP past its Master_Down_Interval.
cat >"$HK_TMP/send.py" <<'EOF2'
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def advert(ver=2, typ=1, vrid=51, prio=254, addrs=("192.0.2.100",), auth=1, pw=b"secret12", good_sum=True, extra=b""):
    body = struct.pack("!BBBBBBH", ver << 4 | typ, vrid, prio, len(addrs), auth, 1, 0)
    body += b"".join(socket.inet_aton(a) for a in addrs) + pw.ljust(8, b"\0") + extra
    s = csum(body)
    if not good_sum: s ^= 0x1234
    return body[:6] + struct.pack("!H", s) + body[8:]
cases = {
    "ttl": (advert(), 64),
    "checksum": (advert(good_sum=False), 255),
    "too_short": (advert()[:6], 255),
    "length": (advert(extra=b"\0\0\0\0"), 255),
    "version": (advert(ver=4), 255),
    "type": (advert(typ=2), 255),
    "vrid_unknown": (advert(vrid=99), 255),
    "auth": (advert(pw=b"wrong"), 255),
    "address_list": (advert(addrs=("192.0.2.200",)), 255),
}
for name in sys.argv[1:]:
    packet, ttl = cases[name]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
    for _ in range(3):
        s.sendto(packet, ("224.0.0.18", 0))
EOF2
reasons="ttl checksum too_short length version type vrid_unknown auth address_list"
hk_ns_exec b "$HK_PYTHON" "$HK_TMP/send.py" $reasons
hk_wait_for 'vrrp | hk_json "d[\"instances\"][0][\"state\"]" | grep -q MASTER' 6 || hk_fail "hostile adverts kept vrrpd BACKUP"
hk_assert_running a vrrpd "after hostile adverts"
json=$(vrrp)
for r in $reasons; do
  if [[ $r == vrrid_unknown || $r == vrid_unknown ]]; then
    n=$(hk_json 'd["unassigned_drops"]["vrid_unknown"]' <<<"$json")
  else
    n=$(hk_json "d['instances'][0]['counters']['drops']['$r']" <<<"$json")
  fi
  hk_assert_eq 3 "$n" "drops counted for $r"
done
hk_assert_eq 0 "$(hk_json 'd["instances"][0]["counters"]["adverts_received"]' <<<"$json")" "adverts accepted"
# And a MASTER is not moved by them either.
hk_ns_exec b "$HK_PYTHON" "$HK_TMP/send.py" $reasons
sleep 0.5
hk_assert_eq MASTER "$(vrrp | hk_json 'd["instances"][0]["state"]')" "state after hostile adverts to the master"
hk_assert_eq "$pid" "$(hk_status_field "$HK_TMP/sock" vrrpd 'x["pid"]')" "vrrpd pid"
echo "ok: every hostile advert dropped and counted by reason"
