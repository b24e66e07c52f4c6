#!/bin/bash
# ipvsd's NetlinkKernel against the real kernel IPVS, checked by ipvsadm (an
# independent reader): services for every scheduler, NAT/DR/TUN, TCP/UDP/SCTP,
# IPv4/IPv6/fwmark, persistence timeout and granularity, scheduler flags,
# weights, thresholds and tunnel settings; the probe's own dump reads back
# exactly what was written; edits and deletions; failures reported per
# operation while the rest of the batch applies; timeouts; sync daemons; and
# a 2,050-operation batch in one apply().
# uml-run: --timeout 180
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
probe=${HK_BIN:?}/../tests/uml/ipvs_probe
[[ -x $probe ]] || fail "$probe missing: run 'make all' first"
[[ -e /proc/net/ip_vs ]] || fail "/proc/net/ip_vs missing: ip_vs module not loaded"
ops=/tmp/ops

# same TEXT EXPECTED ACTUAL: exact comparison, whitespace runs squeezed (ipvsadm pads columns).
same() {
  local what=$1 expected actual
  expected=$(sed -E 's/[[:space:]]+/ /g; s/ $//' <<<"$2")
  actual=$(sed -E 's/[[:space:]]+/ /g; s/ $//' <<<"$3")
  if [[ $expected != "$actual" ]]; then
    echo "--- expected $what / +++ actual" >&2
    diff -u <(echo "$expected") <(echo "$actual") >&2 || true
    fail "$what differs"
  fi
  echo "ok: $what"
}
# apply FILE EXPECTED-STATUS: runs the probe, prints its output, checks its status.
apply() {
  local status=0
  out=$("$probe" apply "$1") || status=$?
  echo "$out"
  ((status == $2)) || fail "ipvs_probe apply exited $status, expected $2"
}
ipvsadm_list() { # ipvsadm -Ln without its header lines
  ipvsadm -Ln "$@" | grep -v -e '^IP Virtual Server' -e '^Prot ' -e '^  -> RemoteAddress' || true
}

# ---------------------------------------------------------------- write
schedulers=(rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh)
: >"$ops"
expected_ipvsadm='' expected_dump=''
for i in "${!schedulers[@]}"; do
  s=${schedulers[$i]} port=$((8001 + i)) w=$((i + 1))
  printf '%s\n' "add-service TCP 192.0.2.10 $port $s" \
    "add-dest TCP 192.0.2.10 $port 203.0.113.11 8080 NAT $w" \
    "add-dest TCP 192.0.2.10 $port 203.0.113.12 $port DR $((w + 20))" \
    "add-dest TCP 192.0.2.10 $port 203.0.113.13 $port TUN $((w + 40))" >>"$ops"
  expected_ipvsadm+="TCP 192.0.2.10:$port $s
  -> 203.0.113.11:8080 Masq $w 0 0
  -> 203.0.113.12:$port Route $((w + 20)) 0 0
  -> 203.0.113.13:$port Tunnel $((w + 40)) 0 0
"
  expected_dump+="TCP 192.0.2.10:$port scheduler $s timeout 0 netmask 255.255.255.255 flags 0x0 pe -
  -> 203.0.113.11:8080 NAT weight $w uthresh 0 lthresh 0 tun-type 0 tun-port 0 tun-flags 0
  -> 203.0.113.12:$port DR weight $((w + 20)) uthresh 0 lthresh 0 tun-type 0 tun-port 0 tun-flags 0
  -> 203.0.113.13:$port TUN weight $((w + 40)) uthresh 0 lthresh 0 tun-type 0 tun-port 0 tun-flags 0
"
done
cat >>"$ops" <<'EOF'
# persistence with the default granularity; weight 0 (drained); thresholds
add-service UDP 192.0.2.20 53 wlc timeout 300
add-dest UDP 192.0.2.20 53 203.0.113.21 53 NAT 0 uthresh 500 lthresh 100
add-dest UDP 192.0.2.20 53 203.0.113.22 53 NAT 65535
add-service SCTP 192.0.2.21 3868 rr
add-dest SCTP 192.0.2.21 3868 203.0.113.31 3868 DR 7
# IPv6, persistence granularity as a prefix length
add-service TCP 2001:db8::100 443 lc timeout 600 netmask 64
add-dest TCP 2001:db8::100 443 2001:db8::11 8443 NAT 5 uthresh 1000
add-dest TCP 2001:db8::100 443 2001:db8::12 443 DR 6 uthresh 20 lthresh 7
# scheduler flags: sh-port
add-service UDP 2001:db8::100 53 sh flags 0x10
add-dest UDP 2001:db8::100 53 2001:db8::13 53 NAT 1
# fwmark IPv4 with an IPv4 netmask; GUE tunnel with checksum
add-service FWM 7 wrr timeout 120 netmask 255.255.255.0
add-dest FWM 7 203.0.113.41 0 DR 4
add-dest FWM 7 203.0.113.42 0 TUN 2 tun-type gue tun-port 6080 tun-flags 1
# fwmark IPv6; GRE tunnel with remote checksum offload
add-service FWM 9 IPv6 mh
add-dest FWM 9 IPv6 2001:db8::21 0 TUN 1 tun-type gre tun-flags 2
EOF
apply "$ops" 0
[[ $out == *"applied $(grep -c '^[a-z]' "$ops")"* ]] || fail "not every operation applied"

expected_ipvsadm+="UDP 192.0.2.20:53 wlc persistent 300
  -> 203.0.113.21:53 Masq 0 0 0
  -> 203.0.113.22:53 Masq 65535 0 0
SCTP 192.0.2.21:3868 rr
  -> 203.0.113.31:3868 Route 7 0 0
TCP [2001:db8::100]:443 lc persistent 600 mask 64
  -> [2001:db8::11]:8443 Masq 5 0 0
  -> [2001:db8::12]:443 Route 6 0 0
UDP [2001:db8::100]:53 sh (sh-port)
  -> [2001:db8::13]:53 Masq 1 0 0
FWM 7 wrr persistent 120 mask 255.255.255.0
  -> 203.0.113.41:0 Route 4 0 0
  -> 203.0.113.42:0 Tunnel 2 0 0
FWM 9 IPv6 mh
  -> [2001:db8::21]:0 Tunnel 1 0 0"
same "ipvsadm -Ln --exact" "$expected_ipvsadm" "$(ipvsadm_list --exact)"

same "ipvsadm --thresholds" "UDP 192.0.2.20:53 wlc persistent 300
  -> 203.0.113.21:53 500 100 0 0
  -> 203.0.113.22:53 0 0 0 0
TCP [2001:db8::100]:443 lc persistent 600 mask 64
  -> [2001:db8::11]:8443 1000 0 0 0
  -> [2001:db8::12]:443 20 7 0 0" \
  "$(ipvsadm_list --thresholds | grep --no-group-separator -A2 -E '^(UDP +192\.0\.2\.20|TCP +\[2001)')"

same "ipvsadm --tun-info" "FWM 7 wrr persistent 120 mask 255.255.255.0
  -> 203.0.113.41:0 Route n/a 4 0 0
  -> 203.0.113.42:0 Tunnel gue:6080:+c 2 0 0
FWM 9 IPv6 mh
  -> [2001:db8::21]:0 Tunnel gre:r+c 1 0 0" \
  "$(ipvsadm_list --tun-info | grep --no-group-separator -A2 '^FWM')"

# The probe reads back exactly what it wrote: flags without the kernel's
# HASHED (persistent services: PERSISTENT only), netmasks as sent (the whole
# address by default: 255.255.255.255, 128).
expected_dump="FWM 7 scheduler wrr timeout 120 netmask 255.255.255.0 flags 0x1 pe -
  -> 203.0.113.41:0 DR weight 4 uthresh 0 lthresh 0 tun-type 0 tun-port 0 tun-flags 0
  -> 203.0.113.42:0 TUN weight 2 uthresh 0 lthresh 0 tun-type 1 tun-port 6080 tun-flags 1
${expected_dump}UDP 192.0.2.20:53 scheduler wlc timeout 300 netmask 255.255.255.255 flags 0x1 pe -
  -> 203.0.113.21:53 NAT weight 0 uthresh 500 lthresh 100 tun-type 0 tun-port 0 tun-flags 0
  -> 203.0.113.22:53 NAT weight 65535 uthresh 0 lthresh 0 tun-type 0 tun-port 0 tun-flags 0
SCTP 192.0.2.21:3868 scheduler rr timeout 0 netmask 255.255.255.255 flags 0x0 pe -
  -> 203.0.113.31:3868 DR weight 7 uthresh 0 lthresh 0 tun-type 0 tun-port 0 tun-flags 0
FWM 9 IPv6 scheduler mh timeout 0 netmask 128 flags 0x0 pe -
  -> [2001:db8::21]:0 TUN weight 1 uthresh 0 lthresh 0 tun-type 2 tun-port 0 tun-flags 2
TCP [2001:db8::100]:443 scheduler lc timeout 600 netmask 64 flags 0x1 pe -
  -> [2001:db8::11]:8443 NAT weight 5 uthresh 1000 lthresh 0 tun-type 0 tun-port 0 tun-flags 0
  -> [2001:db8::12]:443 DR weight 6 uthresh 20 lthresh 7 tun-type 0 tun-port 0 tun-flags 0
UDP [2001:db8::100]:53 scheduler sh timeout 0 netmask 128 flags 0x10 pe -
  -> [2001:db8::13]:53 NAT weight 1 uthresh 0 lthresh 0 tun-type 0 tun-port 0 tun-flags 0"
same "ipvs_probe dump" "$expected_dump" "$("$probe" dump 2>/dev/null)"
# ... and in ipvsd's own terms: dump() == the table written (operator==).
"$probe" check "$ops" || fail "dump() differs from the table written"

# ---------------------------------------------------------------- edit and delete
cat >"$ops" <<'EOF'
edit-dest TCP 192.0.2.10 8001 203.0.113.11 8080 NAT 9
del-dest TCP 192.0.2.10 8001 203.0.113.13 8001
edit-service UDP 192.0.2.20 53 rr
edit-service TCP 192.0.2.10 8002 wrr timeout 30 netmask 255.255.0.0
del-service SCTP 192.0.2.21 3868
EOF
apply "$ops" 0
same "edited destinations" "TCP 192.0.2.10:8001 rr
  -> 203.0.113.11:8080 Masq 9 0 0
  -> 203.0.113.12:8001 Route 21 0 0" "$(ipvsadm_list --exact -t 192.0.2.10:8001)"
same "edited services" "UDP 192.0.2.20:53 rr
TCP 192.0.2.10:8002 wrr persistent 30 mask 255.255.0.0" \
  "$(ipvsadm_list -u 192.0.2.20:53 | head -1; ipvsadm_list -t 192.0.2.10:8002 | head -1)"
[[ -z $(ipvsadm_list | grep '^SCTP' || true) ]] || fail "SCTP service still there after del-service"
"$probe" dump 2>/dev/null | grep -qx 'UDP 192.0.2.20:53 scheduler rr timeout 0 netmask 255.255.255.255 flags 0x0 pe -' \
  || fail "probe dump does not show the edited UDP service"

# ---------------------------------------------------------------- failures
# The kernel refuses two operations; the others in the same datagram apply.
cat >"$ops" <<'EOF'
add-service TCP 192.0.2.30 80 rr
add-dest TCP 192.0.2.99 80 203.0.113.51 80 NAT 1
add-dest TCP 192.0.2.30 80 203.0.113.51 80 NAT 1
add-service TCP 192.0.2.30 80 wlc
add-dest TCP 192.0.2.30 80 203.0.113.52 80 NAT 2
EOF
apply "$ops" 1
same "failure report" "applied 3
failed: add destination TCP 192.0.2.99:80 -> 203.0.113.51:80 NAT weight 1: No such process
failed: add service TCP 192.0.2.30:80 scheduler wlc: File exists" "$(grep -v '^time' <<<"$out")"
same "service applied beside the failures" "TCP 192.0.2.30:80 rr
  -> 203.0.113.51:80 Masq 1 0 0
  -> 203.0.113.52:80 Masq 2 0 0" "$(ipvsadm_list --exact -t 192.0.2.30:80)"
# The last operation of a datagram failing (its answer ends the datagram).
printf 'add-dest TCP 192.0.2.30 80 203.0.113.53 80 NAT 1 uthresh 5 lthresh 6\n' >"$ops"
apply "$ops" 1
[[ $out == *"applied 0"*"lower 6: Numerical result out of range"* ]] || fail "threshold failure not reported"

# ---------------------------------------------------------------- timeouts
printf 'timeouts 901 121 301\n' >"$ops"
apply "$ops" 0
same "ipvsadm --timeout" "Timeout (tcp tcpfin udp): 901 121 301" "$(ipvsadm -L --timeout)"
printf 'timeouts 0 0 302\n' >"$ops"  # 0: leave as it is
apply "$ops" 0
same "ipvsadm --timeout after a partial change" "Timeout (tcp tcpfin udp): 901 121 302" "$(ipvsadm -L --timeout)"
same "ipvs_probe timeouts" "tcp 901 tcpfin 121 udp 302" "$("$probe" timeouts)"

# ---------------------------------------------------------------- sync daemons
ip link add hk-sync0 type veth peer name hk-sync1
ip addr add 192.0.2.1/24 dev hk-sync0
ip addr add 192.0.2.2/24 dev hk-sync1
ip link set hk-sync0 up
ip link set hk-sync1 up
printf 'sync-start master hk-sync0 5\nsync-start backup hk-sync1 6\n' >"$ops"
apply "$ops" 0
daemons=$(ipvsadm -L --daemon)
echo "$daemons"
grep -q '^master sync daemon (mcast=hk-sync0, syncid=5,' <<<"$daemons" || fail "ipvsadm shows no master sync daemon"
grep -q '^backup sync daemon (mcast=hk-sync1, syncid=6,' <<<"$daemons" || fail "ipvsadm shows no backup sync daemon"
same "ipvs_probe sync" "master hk-sync0 syncid 5
backup hk-sync1 syncid 6" "$("$probe" sync)"
printf 'sync-stop master\nsync-stop backup\n' >"$ops"
apply "$ops" 0
[[ -z $(ipvsadm -L --daemon) ]] || fail "sync daemons still running after sync-stop"
[[ -z $("$probe" sync) ]] || fail "probe still sees sync daemons after sync-stop"
ip link del hk-sync0

# ---------------------------------------------------------------- a large batch
# 50 services x 40 destinations in one apply(): several datagrams, with a
# refused duplicate in the middle of some of them.
ipvsadm -C
for ((s = 1; s <= 50; s++)); do
  echo "add-service TCP 198.51.100.$s 80 wrr"
  for ((d = 1; d <= 40; d++)); do
    echo "add-dest TCP 198.51.100.$s 80 203.0.113.$d 8080 NAT $d"
  done
  if ((s % 10 == 0)); then echo "add-dest TCP 198.51.100.$s 80 203.0.113.1 8080 NAT 1"; fi
done >"$ops"
apply "$ops" 1
[[ $out == *"applied 2050"* ]] || fail "large batch: not 2050 applied"
n=$(grep -c '^failed: .*: File exists$' <<<"$out" || true)
((n == 5)) || fail "large batch: $n duplicates reported, expected 5"
echo "large batch: $(grep '^time' <<<"$out")"
n=$(ipvsadm -Ln | grep -c '^TCP ' || true)
((n == 50)) || fail "large batch: ipvsadm shows $n services, expected 50"
n=$(ipvsadm -Ln | grep -c '^  -> 203' || true)
((n == 2000)) || fail "large batch: ipvsadm shows $n destinations, expected 2000"
n=$("$probe" dump 2>/dev/null | grep -c '^  -> 203' || true)
((n == 2000)) || fail "large batch: probe dump shows $n destinations, expected 2000"
[[ $(ipvsadm -Ln -t 198.51.100.50:80 | grep -c ' Masq  *40 ') == 1 ]] || fail "large batch: weights wrong"

ipvsadm -C
echo "ok: NetlinkKernel writes and reads what ipvsadm reads"
