#!/bin/bash
# TCP and UDP on one address and port are two virtual servers: each has its
# own real servers in the kernel (ipvsadm -t / -u), its own row in hactl
# ipvs ("192.0.2.100:53/tcp", ".../udp"), its own quorum and drains. hactl
# drain names the protocol ("ADDR:PORT/udp" or "udp:ADDR:PORT"); the address
# alone is refused as ambiguous; a drain of one leaves the other alone.
# uml-run: --timeout 90
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

ipvsd_config <<'EOF2'
virtual_server 192.0.2.100 53 {
    protocol TCP
    lb_algo rr
    lb_kind NAT
    real_server 203.0.113.11 53 { weight 1 }
    real_server 203.0.113.12 53 { weight 1 }
}
virtual_server 192.0.2.100 53 {
    protocol UDP
    lb_algo wrr
    lb_kind NAT
    quorum 3
    real_server 203.0.113.11 53 { weight 2 }
    real_server 203.0.113.13 53 { weight 1 }
}
EOF2
ipvsd_start
same "TCP service" "TCP 192.0.2.100:53 rr
  -> 203.0.113.11:53 Masq 1 0 0
  -> 203.0.113.12:53 Masq 1 0 0" "$(ipvsadm_list --exact -t 192.0.2.100:53)"
same "UDP service" "UDP 192.0.2.100:53 wrr
  -> 203.0.113.11:53 Masq 2 0 0
  -> 203.0.113.13:53 Masq 1 0 0" "$(ipvsadm_list --exact -u 192.0.2.100:53)"
ipvs_assert "hactl: two rows, each with its real servers and quorum" \
  'len(d["virtual_servers"]) == 2' \
  '[r["address"] for r in vs("192.0.2.100:53/tcp")["real_servers"]] == ["203.0.113.11:53", "203.0.113.12:53"]' \
  '[r["address"] for r in vs("192.0.2.100:53/udp")["real_servers"]] == ["203.0.113.11:53", "203.0.113.13:53"]' \
  'vs("192.0.2.100:53/tcp")["live_weight"] == 2 and vs("192.0.2.100:53/tcp")["quorum_state"] == "UP"' \
  'vs("192.0.2.100:53/udp")["live_weight"] == 3 and vs("192.0.2.100:53/udp")["quorum_state"] == "UP"'

table=$(ipvsadm_list --exact)
rc=0
out=$(hactl drain 192.0.2.100:53 203.0.113.11:53 2>&1) || rc=$?
((rc == 1)) || fail "hactl drain of the address alone exited $rc: $out"
[[ $out == "hactl: ipvsd: virtual server 192.0.2.100:53 is ambiguous: 192.0.2.100:53/tcp or 192.0.2.100:53/udp"* ]] ||
  fail "hactl drain of the address alone said: $out"
same "nothing changed by the ambiguous drain" "$table" "$(ipvsadm_list --exact)"
ok "the address alone is ambiguous: exit 1, '$out'"

out=$(hactl drain 192.0.2.100:53/udp 203.0.113.11:53) || fail "hactl drain .../udp failed: $out"
[[ $out == "ipvsd: drained 203.0.113.11:53 of 192.0.2.100:53/udp"*"1 kernel operation(s)"* ]] || fail "hactl drain said: $out"
[[ $(kernel_weight "-u 192.0.2.100:53" 203.0.113.11:53) == 0 ]] || fail "UDP: not drained: $(ipvsadm_list -u 192.0.2.100:53)"
[[ $(kernel_weight "-t 192.0.2.100:53" 203.0.113.11:53) == 1 ]] || fail "TCP changed: $(ipvsadm_list -t 192.0.2.100:53)"
ipvs_assert "hactl: the UDP real server drained, the TCP one not; UDP quorum lost (1 < 3), TCP's kept" \
  'rs("192.0.2.100:53/udp", "203.0.113.11:53")["drained"] is True' \
  'rs("192.0.2.100:53/tcp", "203.0.113.11:53")["drained"] is False' \
  'vs("192.0.2.100:53/udp")["quorum_state"] == "DOWN"' \
  'vs("192.0.2.100:53/tcp")["quorum_state"] == "UP"'

out=$(hactl drain tcp:192.0.2.100:53 203.0.113.12:53) || fail "hactl drain tcp:... failed: $out"
[[ $out == "ipvsd: drained 203.0.113.12:53 of 192.0.2.100:53/tcp"* ]] || fail "hactl drain tcp:... said: $out"
[[ $(kernel_weight "-t 192.0.2.100:53" 203.0.113.12:53) == 0 ]] || fail "TCP .12 not drained"
out=$(hactl undrain 192.0.2.100:53/udp 203.0.113.11:53) || fail "hactl undrain failed: $out"
[[ $(kernel_weight "-u 192.0.2.100:53" 203.0.113.11:53) == 2 ]] || fail "UDP .11 not back to 2"
[[ $(kernel_weight "-t 192.0.2.100:53" 203.0.113.11:53) == 1 ]] || fail "TCP .11 changed by the UDP undrain"
[[ $(kernel_weight "-t 192.0.2.100:53" 203.0.113.12:53) == 0 ]] || fail "TCP .12 undrained by the UDP undrain"
ok "drain and undrain of one protocol leave the other alone"
ipvsd_alive || fail "ipvsd died"
echo "ok: TCP and UDP on one address and port are two virtual servers"
