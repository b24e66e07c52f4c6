#!/bin/bash
# use_vmac (issue 3, keepalived-features §1.2): each node makes a macvlan
# vrrp.51 with the virtual MAC 00:00:5e:00:01:33 (VRID 51) and keepalived's
# settings (arp_ignore 1, accept_local 1, rp_filter 0 on it; arp_ignore 1 and
# arp_filter 1 on eth0). The VIP lives on the master's VMAC and answers ARP
# with the virtual MAC: a client's neighbour entry for the VIP says
# 00:00:5e:00:01:33 before and after a failover, so the client keeps working
# without a new ARP. The backup's VMAC carries no VIP and no IPv6 address. A
# graceful stop deletes the VMAC and restores eth0's settings. With a name
# and a MAC (use_vmac NAME MAC) the VMAC has both.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/vrrp_lib.sh"

hk_bridge_lab a b c
for host in a b; do
  if [[ $host == a ]]; then p=110; else p=100; fi
  vr_conf $host <<EOF2
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority $p
    advert_int 0.1
    use_vmac
    virtual_ipaddress {
        192.0.2.100/24
    }
}
EOF2
done
vmac=00:00:5e:00:01:33
conf() { hk_ns_exec "$1" cat "/proc/sys/net/ipv4/conf/$2/$3"; }
lladdr() { hk_ns_exec "$1" ip -br link show dev "$2" 2>/dev/null | awk '{print $3}'; }
neigh_mac() { hk_ns_exec c ip neigh show 192.0.2.100 dev eth0 | awk '/lladdr/ {print $3}'; }

before_ignore=$(conf a eth0 arp_ignore)
vr_start a
vr_start b
hk_wait_for 'vr_is a VI_1 MASTER && vr_is b VI_1 BACKUP' 4 || hk_fail "a MASTER, b BACKUP expected; a=$(vr_state a) b=$(vr_state b): $(vr_field a VI_1 "i[\"fault_reason\"]")"
for host in a b; do
  hk_assert_eq "$vmac" "$(lladdr $host vrrp.51)" "$host: vrrp.51's MAC"
  hk_assert_match "macvlan mode private" "$(hk_ns_exec $host ip -d link show dev vrrp.51)" "$host: vrrp.51 is a private macvlan"
  hk_assert_eq "1 1 0" "$(conf $host vrrp.51 arp_ignore) $(conf $host vrrp.51 accept_local) $(conf $host vrrp.51 rp_filter)" "$host: vrrp.51 arp_ignore accept_local rp_filter"
  hk_assert_eq "1 1 2" "$(conf $host eth0 arp_ignore) $(conf $host eth0 arp_filter) $(conf $host eth0 arp_announce)" "$host: eth0 arp_ignore arp_filter arp_announce"
  hk_assert_eq "" "$(hk_ns_exec $host ip -6 addr show dev vrrp.51)" "$host: IPv6 addresses on vrrp.51"
done
hk_wait_for 'vr_has a 192.0.2.100 vrrp.51' 2 || hk_fail "the VIP is not on a's VMAC"
vr_has a 192.0.2.100 eth0 && hk_fail "the VIP is on a's eth0, not its VMAC"
vr_has b 192.0.2.100 vrrp.51 && hk_fail "the backup's VMAC has the VIP"

# The client resolves the VIP: the answer carries the virtual MAC.
hk_ns_exec c ping -c 1 -W 2 192.0.2.100 >/dev/null || hk_fail "c cannot ping the VIP"
macs="a: $(hk_ns_exec a ip -br link | tr "\n" " ") b: $(hk_ns_exec b ip -br link | tr "\n" " ")"
hk_assert_eq "$vmac" "$(neigh_mac)" "c's neighbour entry for the VIP ($macs)"
# Adverts leave from the VMAC too (source MAC = virtual MAC): the bridge learnt it on a's port.
hk_assert_match "$vmac" "$(hk_ns_exec sw bridge fdb show br br0 2>/dev/null)" "the switch's FDB"

# Failover: the same MAC now answers from b; c needs no new ARP.
hk_stop_daemon a vrrpd
hk_wait_for 'vr_is b VI_1 MASTER && vr_has b 192.0.2.100 vrrp.51' 2 || hk_fail "b did not take the VIP on its VMAC"
hk_ns_exec c ping -c 1 -W 2 192.0.2.100 >/dev/null || hk_fail "c cannot ping the VIP after the failover"
hk_assert_eq "$vmac" "$(neigh_mac)" "c's neighbour entry after the failover"
hk_ns_exec a ip link show dev vrrp.51 >/dev/null 2>&1 && hk_fail "a's graceful stop left vrrp.51"
hk_assert_eq "$before_ignore" "$(conf a eth0 arp_ignore)" "a's eth0 arp_ignore restored"

# A VMAC left by a killed vrrpd is adopted at start-up, not duplicated.
hk_stop_daemon b vrrpd KILL
hk_ns_exec b ip link show dev vrrp.51 >/dev/null 2>&1 || hk_fail "vrrp.51 should survive a SIGKILL"
vr_start b
hk_wait_for 'vr_is b VI_1 MASTER' 4 || hk_fail "b did not come back as MASTER"
grep -q "adopting VMAC vrrp.51" "$(hk_daemon_log b vrrpd)" || hk_fail "b did not adopt its old VMAC"
hk_ns_exec c ping -c 1 -W 2 192.0.2.100 >/dev/null || hk_fail "c cannot ping the VIP after b's restart"
echo "ok: use_vmac"

# use_vmac NAME MAC (keepalived's order is free): that name, that MAC.
vr_conf a <<EOF2
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority 90
    advert_int 0.1
    use_vmac 02:00:5e:ab:0c:01 vmac51
    virtual_ipaddress {
        192.0.2.100/24
    }
}
EOF2
vr_start a
hk_wait_for 'vr_is a VI_1 BACKUP' 4 || hk_fail "a did not come up as BACKUP"
hk_assert_eq "02:00:5e:ab:0c:01" "$(lladdr a vmac51)" "a: vmac51's configured MAC"
hk_ns_exec a ip link show dev vrrp.51 >/dev/null 2>&1 && hk_fail "a made vrrp.51 too"
echo "ok: use_vmac with a name and a MAC"
