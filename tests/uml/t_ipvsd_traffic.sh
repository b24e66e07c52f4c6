#!/bin/bash
# Real traffic through ipvsd's table: a client namespace sends HTTP requests
# to virtual addresses of a NAT director (namespace hk-dir, where ipvsd runs:
# IPVS is per network namespace) in front of three backends in their own
# namespaces. rr alternates, wrr follows the weights 3:1, sh keeps each client
# address on one backend. Then check states (from a fake checkd): a backend
# down is removed (or weight 0 with inhibit_on_failure) and restored when up;
# a virtual server losing quorum gets its sorry server (which then answers)
# and sends QuorumEvent to vrrpd (a fake one); hactl shows quorum_state
# DOWN/UP; vrrpd reconnecting learns the current quorum.
# uml-run: --timeout 120
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

lab_nat_director 3
web_serve web3 8081 sorry
nsx client ip addr add 192.0.2.3/24 dev eth0
wait_for 'nsx dir curl -s -m 1 http://203.0.113.13:8081/ | grep -qx sorry' 10 ||
  fail "sorry server (203.0.113.13:8081) does not answer"

ipvsd_config <<'EOF'
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 1  track_check web1 }
    real_server 203.0.113.12 8080 { weight 1  track_check web2 }
}
virtual_server 192.0.2.101 80 {
    lb_algo wrr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 3 }
    real_server 203.0.113.12 8080 { weight 1 }
}
virtual_server 192.0.2.102 80 {
    lb_algo sh
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 1 }
    real_server 203.0.113.12 8080 { weight 1 }
    real_server 203.0.113.13 8080 { weight 1 }
}
virtual_server 192.0.2.103 80 {
    lb_algo rr
    lb_kind NAT
    quorum 2
    sorry_server 203.0.113.13 8081
    real_server 203.0.113.11 8080 { weight 1  track_check web1 }
    real_server 203.0.113.12 8080 { weight 1  track_check web2 }
}
virtual_server 192.0.2.104 80 {
    lb_algo rr
    lb_kind NAT
    inhibit_on_failure
    real_server 203.0.113.11 8080 { weight 1  track_check web1 }
    real_server 203.0.113.12 8080 { weight 1  track_check web2 }
}
EOF
fake_vrrpd_start
ipvsd_start
printf 'snapshot web1=up web2=up\n' | fake_checkd >/dev/null
wait_for 'ipvs_json_is "rs(\"192.0.2.100:80/tcp\", \"203.0.113.11:8080\")[\"health\"]" UP' 5 ||
  fail "web1 not UP after the snapshot"
ipvsadm_list

# ---------------------------------------------------------------- schedulers
out=$(http_get 20 192.0.2.100:80)
[[ $(tally <<<"$out") == "web1 10 web2 10" ]] || fail "rr: $(tally <<<"$out"), expected 10 each"
prev=''
while read -r b; do
  [[ $b != "$prev" ]] || fail "rr: $b answered twice in a row: $(echo $out)"
  prev=$b
done <<<"$out"
ok "rr alternates: $(echo $out | cut -c1-60)..."

out=$(http_get 40 192.0.2.101:80)
read -r _ n1 _ n2 <<<"$(tally <<<"$out")"
((n1 >= 28 && n1 <= 32 && n1 + n2 == 40)) || fail "wrr 3:1: $(tally <<<"$out"), expected web1 30 web2 10 (±2)"
ok "wrr 3:1: $(tally <<<"$out")"

for src in 192.0.2.2 192.0.2.3; do
  out=$(http_get 12 192.0.2.102:80 --source "$src")
  [[ $(sort -u <<<"$out" | wc -l) == 1 ]] || fail "sh: client $src went to several backends: $(tally <<<"$out")"
  ok "sh: client $src always on $(head -1 <<<"$out")"
done

# ---------------------------------------------------------------- web1 down
grep -q '^QuorumEvent 192.0.2.103:80/tcp up$' "$LT/vrrpd.events" ||
  fail "vrrpd was not told the quorum on connect: $(cat "$LT/vrrpd.events")"
printf 'event web1 down 1 connect: refused\n' | fake_checkd >/dev/null
wait_for '[[ -z $(kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080) ]]' 3 ||
  fail "web1 still in 192.0.2.100:80 after its check went down: $(ipvsadm_list -t 192.0.2.100:80)"
ok "check down: web1 removed from 192.0.2.100:80"
[[ $(kernel_weight "-t 192.0.2.104:80" 203.0.113.11:8080) == 0 ]] ||
  fail "inhibit_on_failure: web1 in 192.0.2.104:80 should have weight 0: $(ipvsadm_list -t 192.0.2.104:80)"
ok "check down + inhibit_on_failure: web1 kept with weight 0 in 192.0.2.104:80"
same "192.0.2.103:80 without quorum: the sorry server alone" "TCP 192.0.2.103:80 rr
  -> 203.0.113.13:8081 Masq 1 0 0" "$(ipvsadm_list -t 192.0.2.103:80)"
# answers COUNT VIP:PORT EXPECTED: the tally of COUNT requests is EXPECTED.
answers() {
  local got
  got=$(http_get "$1" "$2" | tally)
  [[ $got == "$3" ]] || fail "$2: $got, expected $3"
}
answers 8 192.0.2.100:80 "web2 8"
answers 8 192.0.2.104:80 "web2 8"
answers 6 192.0.2.103:80 "sorry 6"
ok "traffic: web2 only; the sorry server answers 192.0.2.103:80"
ipvs_assert "hactl: quorum_state DOWN, web1 DOWN (connect: refused), sorry server in, kernel weight 0" \
  'vs("192.0.2.103:80/tcp")["quorum_state"] == "DOWN"' \
  'vs("192.0.2.103:80/tcp")["live_weight"] == 1' \
  'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["health"] == "DOWN"' \
  'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["reason"] == "connect: refused"' \
  'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["kernel_weight"] is None' \
  'rs("192.0.2.103:80/tcp", "203.0.113.13:8081")["sorry_server"] is True' \
  'rs("192.0.2.103:80/tcp", "203.0.113.13:8081")["kernel_weight"] == 1' \
  'rs("192.0.2.103:80/tcp", "203.0.113.12:8080")["kernel_weight"] is None' \
  'rs("192.0.2.104:80/tcp", "203.0.113.11:8080")["kernel_weight"] == 0' \
  'vs("192.0.2.100:80/tcp")["quorum_state"] == "UP"'
wait_for 'grep -q "^QuorumEvent 192.0.2.103:80/tcp down$" "$LT/vrrpd.events"' 3 ||
  fail "no QuorumEvent down for 192.0.2.103:80: $(cat "$LT/vrrpd.events")"
ok "QuorumEvent 192.0.2.103:80/tcp down sent to vrrpd"

# ---------------------------------------------------------------- web1 up, vrrpd away meanwhile
fake_vrrpd_stop
: >"$LT/vrrpd.events"
printf 'event web1 up 2\n' | fake_checkd >/dev/null
wait_for '[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080) == 1 ]]' 3 ||
  fail "web1 not back in 192.0.2.100:80: $(ipvsadm_list -t 192.0.2.100:80)"
[[ $(kernel_weight "-t 192.0.2.104:80" 203.0.113.11:8080) == 1 ]] || fail "web1 weight not restored in 192.0.2.104:80"
same "192.0.2.103:80 with quorum again" "TCP 192.0.2.103:80 rr
  -> 203.0.113.11:8080 Masq 1 0 0
  -> 203.0.113.12:8080 Masq 1 0 0" "$(ipvsadm_list -t 192.0.2.103:80)"
# Both answer again (rr alternation itself is checked above).
for vip in 192.0.2.103:80 192.0.2.104:80; do
  got=$(http_get 10 "$vip" | tally)
  [[ $got =~ ^web1\ ([0-9]+)\ web2\ ([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 3 && BASH_REMATCH[2] >= 3)) ||
    fail "$vip: $got, expected web1 and web2 (about 5 each)"
  echo "$vip: $got"
done
ok "check up: web1 restored, sorry server out"
ipvs_assert "hactl: quorum_state UP, web1 UP, no sorry server" \
  'vs("192.0.2.103:80/tcp")["quorum_state"] == "UP"' \
  'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["health"] == "UP"' \
  'not any(r["sorry_server"] for r in vs("192.0.2.103:80/tcp")["real_servers"])' \
  'd["operations_failed"] == 0'

# vrrpd was away when the quorum came back: it learns it when it reconnects.
fake_vrrpd_start
wait_for 'grep -q "^QuorumEvent 192.0.2.103:80/tcp up$" "$LT/vrrpd.events"' 5 ||
  fail "vrrpd reconnecting was not told the quorum: $(cat "$LT/vrrpd.events")"
ok "QuorumEvent 192.0.2.103:80/tcp up sent to vrrpd on reconnect"
ipvsd_alive || fail "ipvsd died"
echo "ok: traffic follows ipvsd's table and the check states"
