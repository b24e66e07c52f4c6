#!/bin/bash
# VrrpEvent resend (issue 3, DESIGN.md §2 "nothing flaps on a peer's
# restart"): vrrpd sends every instance's current state to checkd and to
# ipvsd on each (re)connect, not only on transitions. A stand-in for each
# peer (python3, SOCK_SEQPACKET on checkd.sock / ipvsd.sock) records the
# VrrpEvents it gets; it drops its first connection after the first message
# and accepts the reconnect, which must bring the state again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a
echo 1 >"$HK_TMP/fault"
chmod 0644 "$HK_TMP/fault"
vr_conf a <<EOF2
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority 110
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    version 3
    priority 100
    advert_int 0.1
    track_file {
        $HK_TMP/fault weight 0
    }
    virtual_ipaddress {
        192.0.2.101/24
    }
}
EOF2
sock=$HK_TMP/sock-a
vr_start a
hk_wait_for 'vr_is a VI_1 MASTER' 3 || hk_fail "VI_1 did not become MASTER"
hk_wait_for 'vr_is a VI_2 FAULT' 3 || hk_fail "VI_2 is not in FAULT (track_file weight 0, value 1)"

cat >"$HK_TMP/peer.py" <<'EOF2'
# A daemon's listening socket that logs each VrrpEvent as "INSTANCE STATE PRIO".
import os, socket, sys
path, log = sys.argv[1], sys.argv[2]
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i
def fields(b):
    i, out = 0, []
    while i < len(b):
        key, i = varint(b, i)
        if key & 7 == 0: v, i = varint(b, i)
        elif key & 7 == 2:
            n, i = varint(b, i); v = b[i:i + n]; i += n
        else: return out
        out.append((key >> 3, v))
    return out
names = {0: "INIT", 1: "BACKUP", 2: "MASTER", 3: "FAULT", 4: "STOP"}
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
srv.bind(path); os.chmod(path, 0o666); srv.listen(4)
for connection in range(2):
    conn, _ = srv.accept()
    with open(log, "a") as f: f.write("connect %d\n" % connection)
    conn.settimeout(5)
    try:
        while True:
            data = conn.recv(65536)
            if not data: break
            for num, val in fields(data):
                if num != 12: continue
                ev = dict(fields(val))
                with open(log, "a") as f:
                    f.write("%d %s %s %d\n" % (connection, ev.get(1, b"").decode(), names.get(ev.get(3, 0)), ev.get(4, 0)))
            if connection == 0: break   # drop the first connection: vrrpd must reconnect
    except socket.timeout:
        pass
    conn.close()
EOF2
for peer in checkd ipvsd; do
  hk_bg - "$HK_PYTHON" "$HK_TMP/peer.py" "$sock/$peer.sock" "$HK_TMP/$peer.events"
done
for peer in checkd ipvsd; do
  ev=$HK_TMP/$peer.events
  # The stand-in drops its first connection after one message.
  hk_wait_for "grep -q '^0 VI_1 MASTER 110' '$ev'" 5 ||
    hk_fail "$peer: no state on connect: $(cat "$ev" 2>/dev/null)"
  hk_wait_for "grep -q '^1 VI_1 MASTER 110' '$ev' && grep -q '^1 VI_2 FAULT 100' '$ev'" 5 ||
    hk_fail "$peer: no state on reconnect: $(cat "$ev" 2>/dev/null)"
  echo "ok: $peer got the states on connect and reconnect"
done
# A transition after the reconnect still arrives as an event.
hk_stop_daemon a vrrpd
hk_wait_for "grep -q '^1 VI_1 STOP' '$HK_TMP/checkd.events'" 3 || hk_fail "checkd: no STOP event at shutdown: $(cat "$HK_TMP/checkd.events")"
echo "ok: VrrpEvent on every (re)connect"
