#!/bin/bash
# Interoperability with keepalived 2.2.7 (issue 3): vrrpd and keepalived in
# the same virtual router, each side master in turn, for VRRPv2, VRRPv2 with
# PASS authentication, VRRPv3 IPv4, VRRPv3 IPv6 and VRRPv3 unicast. Both agree
# on the master, and failover works in both directions. Also: tshark's VRRP
# dissector finds our adverts well-formed with a good checksum.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[[ -x /usr/sbin/keepalived ]] || hk_fail "keepalived is not installed (make deps)"
hk_bridge_lab a b
A=$(hk_ip4 a) B=$(hk_ip4 b)

# body VARIANT PRIO SELF PEER: the vrrp_instance body both daemons accept.
body() {
  local variant=$1 prio=$2 self=$3 peer=$4
  echo "    interface eth0"
  echo "    priority $prio"
  case $variant in
    v2) echo "    version 2"; echo "    virtual_router_id 61"; echo "    advert_int 1"
        echo "    virtual_ipaddress {"; echo "        192.0.2.100/24"; echo "    }" ;;
    v2pass) echo "    version 2"; echo "    virtual_router_id 62"; echo "    advert_int 1"
        echo "    authentication {"; echo "        auth_type PASS"; echo "        auth_pass secret12"; echo "    }"
        echo "    virtual_ipaddress {"; echo "        192.0.2.100/24"; echo "    }" ;;
    v3) echo "    version 3"; echo "    virtual_router_id 63"; echo "    advert_int 0.2"
        echo "    virtual_ipaddress {"; echo "        192.0.2.100/24"; echo "        192.0.2.101/24"; echo "    }" ;;
    v3ipv6) echo "    version 3"; echo "    virtual_router_id 64"; echo "    advert_int 0.2"
        echo "    virtual_ipaddress {"; echo "        2001:db8::100/64"; echo "    }" ;;
    v3unicast) echo "    version 3"; echo "    virtual_router_id 65"; echo "    advert_int 0.2"
        echo "    unicast_src_ip $self"; echo "    unicast_peer {"; echo "        $peer"; echo "    }"
        echo "    virtual_ipaddress {"; echo "        192.0.2.100/24"; echo "    }" ;;
  esac
}
vip_of() { case $1 in v3ipv6) echo 2001:db8::100 ;; *) echo 192.0.2.100 ;; esac; }

start_hakeep() { # HOST VARIANT PRIO SELF PEER
  { echo "vrrp_instance VI_1 {"; body "$2" "$3" "$4" "$5"; echo "}"; } | hk_write_config "$HK_TMP/$1-$2.conf"
  hk_start_daemon "$1" vrrpd -f "$HK_TMP/$1-$2.conf" --socket-dir "$HK_TMP/sock-$1-$2" --user nobody
}
start_keepalived() { # HOST VARIANT PRIO SELF PEER
  local dir=$HK_TMP/ka-$1-$2
  mkdir -p "$dir"
  {
    echo "global_defs {"; echo "    script_user root"; echo "    vrrp_garp_master_delay 0"; echo "}"
    echo "vrrp_instance VI_1 {"; body "$2" "$3" "$4" "$5"; echo "}"
  } >"$dir/keepalived.conf"
  hk_bg "$1" /usr/sbin/keepalived -n -l -D -P -f "$dir/keepalived.conf" -p "$dir/keepalived.pid" \
    -r "$dir/vrrp.pid" -c "$dir/checkers.pid"
  KA_PID=$HK_LAST_PID
}
state() { # HOST VARIANT
  "$HK_BIN/hactl" --socket-dir "$HK_TMP/sock-$1-$2" --json vrrp 2>/dev/null | hk_json 'd["instances"][0]["state"]' 2>/dev/null
}
has_vip() { hk_ns_exec "$1" ip addr show dev eth0 | grep -q " $2/"; }

for variant in v2 v2pass v3 v3ipv6 v3unicast; do
  vip=$(vip_of "$variant")
  # Round 1: vrrpd on a is the master (110), keepalived on b the backup (100).
  start_hakeep a "$variant" 110 "$A" "$B"
  hakeep=$HK_LAST_PID
  start_keepalived b "$variant" 100 "$B" "$A"
  hk_wait_for "[[ \$(state a $variant) == MASTER ]] && has_vip a $vip" 8 || hk_fail "$variant: vrrpd is not MASTER with the VIP"
  sleep 1.5   # keepalived must stay backup while our adverts flow
  has_vip b "$vip" && hk_fail "$variant: keepalived took the VIP although vrrpd (110) is master"
  # Failover vrrpd -> keepalived: graceful stop.
  hk_stop_daemon a vrrpd
  hk_wait_for "has_vip b $vip" 8 || hk_fail "$variant: keepalived did not take over from vrrpd"
  # Round 2: keepalived master (b, 100), vrrpd back at a lower priority (90) as backup.
  start_hakeep a "$variant" 90 "$A" "$B"
  hk_wait_for "[[ \$(state a $variant) == BACKUP ]]" 8 || hk_fail "$variant: vrrpd not BACKUP to keepalived"
  sleep 1.5
  [[ $(state a "$variant") == BACKUP ]] || hk_fail "$variant: vrrpd left BACKUP while keepalived is master"
  has_vip a "$vip" && hk_fail "$variant: vrrpd took the VIP while keepalived is master"
  hk_hactl --socket-dir "$HK_TMP/sock-a-$variant" --json vrrp
  hk_assert_eq 0 "$(hk_json 'd["instances"][0]["counters"]["dropped"]' <<<"$HK_OUT")" "$variant: adverts of keepalived dropped"
  # Failover keepalived -> vrrpd: keepalived stops (priority 0).
  kill -TERM "$KA_PID"
  hk_wait_for "[[ \$(state a $variant) == MASTER ]] && has_vip a $vip" 8 || hk_fail "$variant: vrrpd did not take over from keepalived"
  wait "$KA_PID" 2>/dev/null || true
  hk_stop_daemon a vrrpd
  echo "ok: $variant both ways"
done

# tshark judges our adverts: v2, v3 IPv4, v3 IPv6.
if command -v tshark >/dev/null; then
  for variant in v2 v3 v3ipv6; do
    start_hakeep a "$variant" 110 "$A" "$B"
    hk_wait_for "[[ \$(state a $variant) == MASTER ]]" 8 || hk_fail "$variant: not MASTER for the capture"
    out=$(hk_ns_exec b timeout 5 tshark -i eth0 -c 3 -f 'ip proto 112 or ip6 proto 112' -T fields \
          -e vrrp.version -e vrrp.checksum.status -e _ws.expert 2>/dev/null || true)
    hk_stop_daemon a vrrpd
    [[ $(grep -c . <<<"$out") -ge 3 ]] || hk_fail "$variant: tshark captured too little: '$out'"
    while read -r version status expert; do
      hk_assert_eq 1 "$status" "$variant: tshark checksum status"
      [[ -z ${expert:-} ]] || hk_fail "$variant: tshark expert info: $expert"
      [[ $version == "${variant:1:1}" ]] || hk_fail "$variant: tshark saw version $version"
    done <<<"$out"
    echo "ok: tshark: $variant adverts well-formed, checksum good"
  done
fi
