#!/bin/bash
# vrrpd pairs without keepalived (issue 3): VRRPv3 over IPv6 (link-local
# sources, ff02::12), VRRPv3 unicast (unicast_src_ip / unicast_peer) and
# VRRPv2: the higher priority wins, the VIP moves on a graceful stop, the
# hactl view says what it is. hactl resign: a priority-0 advert hands over to
# the backup at once, the resigner is BACKUP, and (preempting) takes the VIP
# back when its Master_Down timer is due; resigning a BACKUP is refused.
# unicast_peer's min_ttl / max_ttl: adverts outside the bounds are dropped
# (counted as "ttl") and so cannot hold the backup down; within them, they can.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a b
A=$(hk_ip4 a) B=$(hk_ip4 b)
conf() { # HOST VARIANT PRIO [PEER_OPTIONS]
  local self peer
  if [[ $1 == a ]]; then self=$A peer=$B; else self=$B peer=$A; fi
  {
    echo "vrrp_instance VI_1 {"
    echo "    interface eth0"; echo "    priority $3"
    case $2 in
      v3ipv6) echo "    version 3"; echo "    virtual_router_id 54"; echo "    advert_int 0.1"
          echo "    virtual_ipaddress {"; echo "        2001:db8::100/64"; echo "    }" ;;
      v3unicast) echo "    version 3"; echo "    virtual_router_id 55"; echo "    advert_int 0.1"
          echo "    unicast_src_ip $self"; echo "    unicast_peer {"; echo "        $peer ${4:-}"; echo "    }"
          echo "    virtual_ipaddress {"; echo "        192.0.2.100/24"; echo "    }" ;;
      v2) echo "    version 2"; echo "    virtual_router_id 56"; echo "    advert_int 1"
          echo "    virtual_ipaddress {"; echo "        192.0.2.100/24"; echo "    }" ;;
    esac
    echo "}"
  } | vr_conf "$1"
}
vip_of() { [[ $1 == v3ipv6 ]] && echo 2001:db8::100 || echo 192.0.2.100; }

for variant in v3ipv6 v3unicast v2; do
  vip=$(vip_of $variant)
  conf a $variant 110
  conf b $variant 100
  vr_start a
  vr_start b
  bound=3; [[ $variant == v2 ]] && bound=8   # v2: whole-second adverts, MDI 3.6 s
  hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP' $bound ||
    hk_fail "$variant: expected a MASTER, b BACKUP; got a=$(vr_state a) b=$(vr_state b)"
  hk_wait_for "vr_has a $vip" 2 || hk_fail "$variant: the master has no VIP"
  vr_has b $vip && hk_fail "$variant: the backup holds the VIP"
  hk_wait_for '(( $(vr_field b VI_1 "i[\"counters\"][\"adverts_received\"]") > 0 ))' 3 || hk_fail "$variant: b received no adverts"
  hk_assert_eq 0 "$(vr_field b VI_1 'i["counters"]["dropped"]')" "$variant: b's drops"
  case $variant in
    v3ipv6)
      hk_assert_eq inet6 "$(vr_field b VI_1 'i["family"]')" "family"
      hk_assert_match '^fe80::' "$(vr_field b VI_1 'i["master_address"]')" "IPv6 master address is link-local" ;;
    v3unicast)
      hk_assert_eq true "$(vr_field b VI_1 'i["unicast"]')" "unicast"
      hk_assert_eq "$A" "$(vr_field b VI_1 'i["master_address"]')" "unicast master address" ;;
    v2)
      hk_assert_eq 2 "$(vr_field b VI_1 'i["version"]')" "version" ;;
  esac
  hk_stop_daemon a vrrpd
  hk_wait_for "vr_is b VI_1 MASTER && vr_has b $vip" 2 || hk_fail "$variant: b did not take over after a stopped"
  vr_has a $vip && hk_fail "$variant: a left its VIP behind"
  hk_stop_daemon b vrrpd
  echo "ok: $variant"
done

# ---- hactl resign
conf a v3unicast 110
conf b v3unicast 100
vr_start a
vr_start b
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP' 3 || hk_fail "resign: a should be MASTER"
hk_hactl --socket-dir "$HK_TMP/sock-b" resign VI_1
hk_assert_rc 1 "resign of a BACKUP"
hk_assert_contains "not MASTER" "$HK_OUT$HK_ERR" "resign of a BACKUP"
hk_hactl --socket-dir "$HK_TMP/sock-a" resign NOPE
hk_assert_rc 1 "resign of an unknown instance"
before=$(vr_field b VI_1 'i["counters"]["became_master"]')
hk_hactl --socket-dir "$HK_TMP/sock-a" resign VI_1
hk_assert_rc 0 "hactl resign VI_1"
hk_assert_contains "resigned" "$HK_OUT" "resign reply"
hk_wait_for '(( $(vr_field b VI_1 "i[\"counters\"][\"became_master\"]") > before ))' 2 ||
  hk_fail "resign: b never became MASTER"
hk_assert_eq 1 "$(vr_field a VI_1 'i["counters"]["priority_zero_sent"]')" "a's priority-0 adverts"
hk_assert_line 'VI_1: MASTER -> BACKUP \(resigned by hactl\)' "$(cat "$(hk_daemon_log a vrrpd)")" "a's log"
# a preempts again (110 > 100) once its Master_Down timer is due.
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP && vr_has a 192.0.2.100' 3 ||
  hk_fail "resign: a did not come back; a=$(vr_state a) b=$(vr_state b)"
echo "ok: hactl resign"

# ---- unicast_peer TTL bounds (the lab's adverts arrive with TTL 255)
hk_stop_daemon a vrrpd
hk_stop_daemon b vrrpd
conf a v3unicast 110
conf b v3unicast 100 "max_ttl 254"
vr_start a
vr_start b
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 MASTER' 3 ||
  hk_fail "max_ttl 254: b should drop a's adverts and be MASTER too; a=$(vr_state a) b=$(vr_state b)"
hk_wait_for '(( $(vr_field b VI_1 "i[\"counters\"][\"drops\"][\"ttl\"]") > 0 ))' 2 || hk_fail "b counted no ttl drops"
conf b v3unicast 100 "min_ttl 255 max_ttl 255"
kill -HUP "$(hk_pid b vrrpd)"
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP' 3 ||
  hk_fail "min_ttl 255: b should accept a's adverts; a=$(vr_state a) b=$(vr_state b)"
echo "ok: unicast_peer min_ttl / max_ttl"
