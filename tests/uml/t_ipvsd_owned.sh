#!/bin/bash
# A service removed from ipvsd.conf while ipvsd is stopped is deleted when it
# starts again, as keepalived's operators expect: ipvsd keeps the list of
# services it owns in SOCKET_DIR/ipvsd/owned-services (written by ipvsd,
# sandboxed as nobody). Services added by hand with ipvsadm are never in it
# and stay untouched; a restart with nothing changed writes nothing, not even
# the list; a damaged list is reported FILE:LINE and deletes nothing it does
# not name properly; reloads (SIGHUP, hactl reload) keep the list current.
# uml-run: --timeout 120
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

LIST=$IPVSD_SOCKDIR/ipvsd/owned-services
applied() { ipvs_json 'd["operations_applied"]'; }
list_is() { [[ $(cat "$LIST") == "$1" ]]; }

# ---------------------------------------------------------------- someone else's services
ipvsadm -A -t 198.51.100.50:80 -s wlc
ipvsadm -a -t 198.51.100.50:80 -r 203.0.113.61:80 -m -w 5
ipvsadm -A -u 192.0.2.100:80 -s rr              # ipvsd has TCP on this address and port
ipvsadm -a -u 192.0.2.100:80 -r 203.0.113.63:80 -m -w 1
ipvsadm -A -f 42 -s lc
foreign() { # every service but ipvsd's TCP 192.0.2.100:80 and TCP 192.0.2.101:80
  ipvsadm_list --exact | awk '
    /^(TCP|UDP|SCTP|FWM) / { keep = !($1 == "TCP" && ($2 == "192.0.2.100:80" || $2 == "192.0.2.101:80")) }
    keep'
}
hand_made=$(foreign)
[[ $(grep -c '^[A-Z]' <<<"$hand_made") == 3 ]] || fail "the hand-made services are not all there: $hand_made"

first_101="TCP 192.0.2.101:80 rr
  -> 203.0.113.11:8080 Masq 1 0 0"
vs_100() {
  cat <<'EOF'
virtual_server 192.0.2.100 80 {
    lb_algo wrr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 3 }
    real_server 203.0.113.12 8080 { weight 1 }
}
EOF
}
vs_101() {
  cat <<'EOF'
virtual_server 192.0.2.101 80 {
    lb_algo rr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 1 }
}
EOF
}
both() { { vs_100; vs_101; } | ipvsd_config; }

# ---------------------------------------------------------------- first start
both
[[ ! -e $IPVSD_SOCKDIR ]] || fail "$IPVSD_SOCKDIR exists before the first start"
ipvsd_start
[[ $(applied) == 5 ]] || fail "the first start wrote $(applied) operation(s), not 5"
grep -q 'owned-services: none yet (first start)' "$IPVSD_LOG" || fail "the first start did not say the list was new"
wait_for '[[ -s $LIST ]]' 5 || fail "$LIST was not written"
same "the list after the first start" "hakeep-ipvsd-owned-services 1
TCP 192.0.2.100 80
TCP 192.0.2.101 80" "$(cat "$LIST")"
[[ $(stat -c '%U %a' "$IPVSD_SOCKDIR/ipvsd") == "nobody 700" ]] ||
  fail "$IPVSD_SOCKDIR/ipvsd is $(stat -c '%U %a' "$IPVSD_SOCKDIR/ipvsd"), not nobody's with mode 700"
[[ $(stat -c '%U %a' "$LIST") == "nobody 600" ]] || fail "$LIST is $(stat -c '%U %a' "$LIST")"
[[ ! -e $LIST.new ]] || fail "the temporary file was left behind"
same "hand-made services after the first start" "$hand_made" "$(foreign)"
ok "first start: the list names ipvsd's two services, written as nobody"

# ---------------------------------------------------------------- restart, nothing changed
table=$(ipvsadm_list --exact)
inode=$(stat -c %i "$LIST")
ipvsd_stop
((IPVSD_RC == 0)) || fail "ipvsd exited $IPVSD_RC on SIGTERM"
same "the table after the stop (kept)" "$table" "$(ipvsadm_list --exact)"
ipvsd_start
[[ $(applied) == 0 ]] || fail "a restart with nothing changed wrote $(applied) operation(s)"
grep -q 'owned-services: 2 owned service(s) listed, 0 to release' "$IPVSD_LOG" || fail "the restart did not read the list"
same "the table after a restart with nothing changed" "$table" "$(ipvsadm_list --exact)"
[[ $(stat -c %i "$LIST") == "$inode" ]] || fail "a restart with nothing changed rewrote the list"
ok "restart with nothing changed: 0 operations, the list not rewritten"

# ---------------------------------------------------------------- stopped, one service removed, started
ipvsd_stop
vs_101 | ipvsd_config
ipvsd_start
wait_for '[[ -z $(ipvsadm_list -t 192.0.2.100:80 2>/dev/null) ]]' 5 ||
  fail "192.0.2.100:80, removed from ipvsd.conf while ipvsd was stopped, is still there: $(ipvsadm_list -t 192.0.2.100:80)"
ipvsadm_ns -Ln -t 192.0.2.100:80 >/dev/null 2>&1 && fail "ipvsadm still finds TCP 192.0.2.100:80"
[[ $(applied) == 3 ]] || fail "deleting one service and its two destinations took $(applied) operation(s), not 3"
grep -q 'owned-services: 2 owned service(s) listed, 1 to release (no longer in ipvsd.conf)' "$IPVSD_LOG" ||
  fail "the start did not say what it releases"
[[ $(grep -c 'released TCP 192.0.2.100:80' "$IPVSD_LOG") == 1 ]] || fail "the release was not logged once"
same "the remaining service of ipvsd (untouched)" "$first_101" "$(ipvsadm_list --exact -t 192.0.2.101:80)"
same "hand-made services (untouched), UDP 192.0.2.100:80 too" "$hand_made" "$(foreign)"
same "the list after the release" "hakeep-ipvsd-owned-services 1
TCP 192.0.2.101 80" "$(cat "$LIST")"
ok "removed while stopped: deleted at the next start, one log line; the rest untouched"

# And once more with nothing changed: nothing written.
inode=$(stat -c %i "$LIST")
ipvsd_stop KILL
ipvsd_start
[[ $(applied) == 0 ]] || fail "the restart after the release wrote $(applied) operation(s)"
[[ $(stat -c %i "$LIST") == "$inode" ]] || fail "the restart after the release rewrote the list"
ok "restart (SIGKILL) after the release: 0 operations"

# ---------------------------------------------------------------- a damaged list
# The hand-made TCP 198.51.100.50:80 named on a line that does not parse, and
# a list of another format: reported, nothing deleted. The good line still counts.
ipvsd_stop
printf 'hakeep-ipvsd-owned-services 1\nTCP 198.51.100.50 80 x\n\001\377garbage\nTCP 192.0.2.101 80\n' >"$LIST"
ipvsd_start
ipvsd_alive || fail "ipvsd died on a damaged list"
grep -q "error: $LIST:2: expected PROTOCOL ADDRESS PORT" "$IPVSD_LOG" || fail "line 2 of the damaged list was not reported"
grep -q "error: $LIST:3: " "$IPVSD_LOG" || fail "line 3 of the damaged list was not reported"
[[ $(applied) == 0 ]] || fail "a damaged list made $(applied) operation(s)"
same "hand-made services after a damaged list" "$hand_made" "$(foreign)"
wait_for 'list_is "hakeep-ipvsd-owned-services 1
TCP 192.0.2.101 80"' 5 ||
  fail "the damaged list was not written anew: $(cat -v "$LIST")"
ipvsd_stop
printf 'hakeep-ipvsd-owned-services 7\nTCP 198.51.100.50 80\n' >"$LIST"
ipvsd_start
grep -q "error: $LIST:1: not ipvsd's list of owned services" "$IPVSD_LOG" || fail "a list of another format was not reported"
[[ $(applied) == 0 ]] || fail "a list of another format made $(applied) operation(s)"
same "hand-made services after a list of another format" "$hand_made" "$(foreign)"
ok "damaged lists: FILE:LINE errors, nothing deleted that is not properly listed"

# ---------------------------------------------------------------- reloads keep the list current
wait_for 'list_is "hakeep-ipvsd-owned-services 1
TCP 192.0.2.101 80"' 5 || fail "the list of another format was not written anew: $(cat -v "$LIST")"
both
ipvsd_hup
wait_for 'list_is "hakeep-ipvsd-owned-services 1
TCP 192.0.2.100 80
TCP 192.0.2.101 80"' 5 || fail "the reload adding 192.0.2.100:80 did not list it: $(cat "$LIST")"
[[ -n $(ipvsadm_list -t 192.0.2.100:80) ]] || fail "the reload did not add 192.0.2.100:80"
vs_100 | ipvsd_config
hactl reload ipvsd >/dev/null || fail "hactl reload ipvsd failed"
wait_for 'list_is "hakeep-ipvsd-owned-services 1
TCP 192.0.2.100 80"' 5 || fail "the reload removing 192.0.2.101:80 did not unlist it: $(cat "$LIST")"
[[ -z $(ipvsadm_list -t 192.0.2.101:80 2>/dev/null) ]] || fail "the reload did not delete 192.0.2.101:80"
same "hand-made services after the reloads" "$hand_made" "$(foreign)"
ok "reloads: the list follows what ipvsd owns"

ipvsd_stop
((IPVSD_RC == 0)) || fail "ipvsd exited $IPVSD_RC on SIGTERM"
echo "ok: services owned by ipvsd are released across restarts; others untouched"
