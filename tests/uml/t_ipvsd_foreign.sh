#!/bin/bash
# Services ipvsd does not declare belong to someone else: added by hand with
# ipvsadm before ipvsd starts, they survive its start, reloads (also one
# that drops a service of ipvsd's own) and stop untouched, even beside
# ipvsd's services on the same address. hactl drain sets the kernel weight
# to 0 (the destination stays: established connections live on), survives a
# reload, undrain restores it; an unknown real server, and anyone but an
# admin, are refused.
# uml-run: --timeout 90
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

# ---------------------------------------------------------------- someone else's services
ipvsadm -A -t 198.51.100.50:80 -s wlc
ipvsadm -a -t 198.51.100.50:80 -r 203.0.113.61:80 -m -w 5
ipvsadm -a -t 198.51.100.50:80 -r 203.0.113.62:80 -g -w 2 -x 100 -y 10
ipvsadm -A -u 192.0.2.100:80 -s rr -p 60             # ipvsd has TCP on this address and port
ipvsadm -a -u 192.0.2.100:80 -r 203.0.113.63:80 -m -w 1
ipvsadm -A -t 192.0.2.100:8080 -s sh -b sh-port       # ipvsd has port 80 on this address
ipvsadm -a -t 192.0.2.100:8080 -r 203.0.113.11:8080 -m -w 7   # a real server ipvsd uses too
ipvsadm -A -f 42 -s lc
ipvsadm -a -f 42 -r 203.0.113.64:0 -i -w 3
ipvsadm -A -t '[2001:db8::50]:443' -s sed
ipvsadm -a -t '[2001:db8::50]:443' -r '[2001:db8::61]:443' -g -w 4
foreign() { # every service but ipvsd's TCP 192.0.2.100:80 and TCP 192.0.2.101:80
  ipvsadm_list --exact | awk '
    /^(TCP|UDP|SCTP|FWM) / { keep = !($1 == "TCP" && ($2 == "192.0.2.100:80" || $2 == "192.0.2.101:80")) }
    keep'
}
before=$(foreign)
echo "$before"
[[ $(grep -c '^[A-Z]' <<<"$before") == 5 ]] || fail "the hand-made services are not all there"

ipvsd_config <<'EOF'
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 3 }
    real_server 203.0.113.12 8080 { weight 1 }
}
virtual_server 192.0.2.101 80 {
    lb_algo rr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 1 }
}
EOF
ipvsd_start
same "hand-made services after ipvsd's start" "$before" "$(foreign)"
same "ipvsd's own service" "TCP 192.0.2.100:80 rr
  -> 203.0.113.11:8080 Masq 3 0 0
  -> 203.0.113.12:8080 Masq 1 0 0" "$(ipvsadm_list --exact -t 192.0.2.100:80)"

# A reload that changes one of ipvsd's services and drops the other.
ipvsd_config <<'EOF'
virtual_server 192.0.2.100 80 {
    lb_algo wrr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 3 }
    real_server 203.0.113.12 8080 { weight 1 }
}
EOF
ipvsd_hup
wait_for '[[ -z $(ipvsadm_list -t 192.0.2.101:80 2>/dev/null) ]]' 5 ||
  fail "the dropped service 192.0.2.101:80 is still there: $(ipvsadm_list -t 192.0.2.101:80)"
[[ $(ipvsadm_list -t 192.0.2.100:80 | head -1) == *" wrr"* ]] || fail "the reload did not change 192.0.2.100:80"
same "hand-made services after a reload" "$before" "$(foreign)"

# ---------------------------------------------------------------- drain, undrain
out=$(hactl drain 192.0.2.100:80 203.0.113.11:8080) || fail "hactl drain failed: $out"
echo "$out"
[[ $out == "ipvsd: drained 203.0.113.11:8080 of 192.0.2.100:80/tcp: weight 3 -> 0, 1 kernel operation(s)" ]] ||
  fail "hactl drain said: $out"
same "drained: weight 0 in the kernel, still there" "TCP 192.0.2.100:80 wrr
  -> 203.0.113.11:8080 Masq 0 0 0
  -> 203.0.113.12:8080 Masq 1 0 0" "$(ipvsadm_list --exact -t 192.0.2.100:80)"
[[ $(ipvs_json 'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["drained"]') == true ]] || fail "hactl: not shown drained"
[[ $(ipvs_json 'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["kernel_weight"]') == 0 ]] || fail "hactl: kernel_weight not 0"
[[ $(ipvs_json 'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["configured_weight"]') == 3 ]] || fail "hactl: configured_weight not 3"
[[ $(hactl ipvs) == *"203.0.113.11:8080"*"drained"* ]] || fail "hactl ipvs table does not say drained: $(hactl ipvs)"
out=$(hactl drain 192.0.2.100:80 203.0.113.11:8080) || fail "hactl drain (again) failed: $out"
[[ $out == *"was already drained: nothing changed"* ]] || fail "a second drain said: $out"
ok "hactl drain: kernel weight 0, destination kept"

# Drains survive a reload; the hand-made real server of the same address elsewhere is untouched.
ipvsd_hup
[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080) == 0 ]] || fail "the drain did not survive a reload"
[[ $(kernel_weight "-t 192.0.2.100:8080" 203.0.113.11:8080) == 7 ]] || fail "the hand-made 192.0.2.100:8080 changed"
ok "drain kept across a reload"

out=$(hactl undrain 192.0.2.100:80 203.0.113.11:8080) || fail "hactl undrain failed: $out"
[[ $out == "ipvsd: undrained 203.0.113.11:8080 of 192.0.2.100:80/tcp: weight 0 -> 3, 1 kernel operation(s)" ]] ||
  fail "hactl undrain said: $out"
[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080) == 3 ]] ||
  fail "undrain: weight not 3: $(ipvsadm_list -t 192.0.2.100:80)"
[[ $(ipvs_json 'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["drained"]') == false ]] || fail "hactl: still drained"
ok "hactl undrain: weight 3 again"

# Unknown real server or virtual server: exit 1 and a message, nothing changes.
table=$(ipvsadm_list --exact)
for args in "192.0.2.100:80 203.0.113.99:8080" "192.0.2.199:80 203.0.113.11:8080" "198.51.100.50:80 203.0.113.61:80" \
  "192.0.2.100:80/udp 203.0.113.11:8080"; do
  rc=0
  # shellcheck disable=SC2086
  out=$(hactl drain $args 2>&1) || rc=$?
  ((rc == 1)) || fail "hactl drain $args exited $rc: $out"
  if [[ $args == "192.0.2.100:80 "* ]]; then
    [[ $out == "hactl: ipvsd: no real server ${args#* } in virtual server 192.0.2.100:80/tcp"* ]] || fail "hactl drain $args said: $out"
  else
    [[ $out == "hactl: ipvsd: no virtual server ${args%% *} "* ]] || fail "hactl drain $args said: $out"
  fi
done
ok "drain of an unknown real server (or someone else's): exit 1, '$out'"
rc=0
out=$(hactl drain 192.0.2.100:80 2>&1) || rc=$?
((rc == 2)) || fail "hactl drain with one argument exited $rc: $out"
# Not an admin: checkd's account, and a reader, may not drain.
for uid in "$CHECKD_UID" "$WRONG_UID"; do
  rc=0
  out=$(setpriv --reuid "$uid" --regid "$SOCKET_GID" --clear-groups "$HACTL" --socket-dir "$IPVSD_SOCKDIR" \
    drain 192.0.2.100:80 203.0.113.11:8080 2>&1) || rc=$?
  ((rc == 1)) || fail "hactl drain as uid $uid exited $rc: $out"
  [[ $out == "hactl: ipvsd refused: permission denied"*": add your user to group hakeep-admin to change state (or run hactl as root)" ]] ||
    fail "hactl drain as uid $uid said: $out"
done
ok "drain by checkd's uid or a reader: permission denied"
same "no change from refused drains" "$table" "$(ipvsadm_list --exact)"

# ---------------------------------------------------------------- stop
ipvsd_stop
((IPVSD_RC == 0)) || fail "ipvsd exited $IPVSD_RC on SIGTERM"
same "hand-made services after ipvsd stopped" "$before" "$(foreign)"
# ipvsd does not flush on stop either: its own service stays for the next start.
same "ipvsd's service after it stopped (kept)" "TCP 192.0.2.100:80 wrr
  -> 203.0.113.11:8080 Masq 3 0 0
  -> 203.0.113.12:8080 Masq 1 0 0" "$(ipvsadm_list --exact -t 192.0.2.100:80)"
echo "ok: hand-made services untouched through start, reloads and stop; drain and undrain"
