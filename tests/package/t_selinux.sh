#!/bin/bash
# The SELinux module: `make -C selinux` builds hakeep.pp with Debian's
# selinux-policy-dev; linked with Debian's base policy (and its unconfined
# module) and expanded into a kernel policy, sesearch proves:
#   - checkd_t holds no capability of any class;
#   - vrrpd_t holds exactly net_admin and net_raw, ipvsd_t exactly net_admin;
#   - ipvsd_t may create no socket but unix and netlink_generic ones (the base
#     policy lets every daemon use sockets handed down by init_t, for socket
#     activation: the units pass none, so only creation counts), and no file
#     or directory but its list of owned services and its directory;
#   - no hakeep domain may write any hakeep configuration, and each daemon
#     reads only its own;
#   - the control sockets connect exactly checkd -> vrrpd, ipvsd;
#     vrrpd -> checkd, ipvsd; ipvsd -> vrrpd; hactl -> all three;
#   - systemd starts each daemon in its domain; checkd runs scripts in
#     checkd_script_t, never in its own domain.
# Debian's base policy comes from the selinux-policy-default package matching
# the installed selinux-policy-dev, fetched once with `apt-get download` into
# HK_SELINUX_CACHE (default /var/cache/hakeep-selinux) and never installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for need in sesearch semodule_link semodule_expand; do
  command -v "$need" >/dev/null || hk_fail "$need is missing; run 'make deps'"
done

cp -r "$HK_REPO/selinux" "$HK_TMP/selinux"
rm -rf "$HK_TMP/selinux/tmp" "$HK_TMP/selinux/hakeep.pp"
make -C "$HK_TMP/selinux" >"$HK_TMP/build.log" 2>&1 || { cat "$HK_TMP/build.log"; hk_fail "make -C selinux failed"; }
[[ -s $HK_TMP/selinux/hakeep.pp ]] || hk_fail "make -C selinux made no hakeep.pp"
# The package ships the same module.
dpkg-deb --fsys-tarfile "$HK_DEB" | tar -xO ./usr/share/selinux/packages/hakeep.pp >"$HK_TMP/packaged.pp"
[[ -s $HK_TMP/packaged.pp ]] || hk_fail "the package has no hakeep.pp"

cache=${HK_SELINUX_CACHE:-/var/cache/hakeep-selinux}
version=$(dpkg-query -W -f='${Version}' selinux-policy-dev)
deb=$(ls "$cache"/selinux-policy-default_"${version//:/%3a}"_all.deb 2>/dev/null || true)
if [[ -z $deb ]]; then
  mkdir -p "$cache"
  (cd "$cache" && apt-get download -q "selinux-policy-default=$version") >"$HK_TMP/download.log" 2>&1 ||
    { cat "$HK_TMP/download.log"; hk_fail "apt-get download selinux-policy-default=$version failed"; }
  deb=$(ls "$cache"/selinux-policy-default_*_all.deb | head -n1)
fi
dpkg-deb -x "$deb" "$HK_TMP/spd"
for m in base unconfined; do
  bunzip2 -c "$HK_TMP/spd/usr/share/selinux/default/$m.pp.bz2" >"$HK_TMP/$m.pp"
done
# The build is deterministic: the packaged module is this one.
cmp -s "$HK_TMP/selinux/hakeep.pp" "$HK_TMP/packaged.pp" ||
  hk_fail "the packaged hakeep.pp differs from one built from selinux/ (stale package?)"
semodule_link -o "$HK_TMP/linked.pp" "$HK_TMP/base.pp" "$HK_TMP/unconfined.pp" \
  "$HK_TMP/selinux/hakeep.pp" >/dev/null
semodule_expand "$HK_TMP/linked.pp" "$HK_TMP/policy.bin"
policy=$HK_TMP/policy.bin
q() { sesearch "$@" "$policy"; }

# Capabilities.
rules=$(q -A -s checkd_t -c capability,capability2,cap_userns,cap2_userns)
[[ -z $rules ]] || hk_fail "checkd_t holds capabilities:
$rules"
perms() { # DOMAIN: its capability permissions, sorted
  q -A -s "$1" -c capability | sed 's/.*capability //;s/[{};]//g' | tr ' ' '\n' | grep . | sort -u | tr '\n' ' '
}
hk_assert_eq "net_admin net_raw " "$(perms vrrpd_t)" "vrrpd_t capabilities"
hk_assert_eq "net_admin " "$(perms ipvsd_t)" "ipvsd_t capabilities"
for d in vrrpd_t ipvsd_t checkd_t hactl_t checkd_script_t; do
  [[ -z $(q -A -s "$d" -c capability2,cap_userns,cap2_userns) ]] || hk_fail "$d holds capability2 or userns capabilities"
done
for d in hactl_t checkd_script_t; do
  [[ -z $(q -A -s "$d" -c capability) ]] || hk_fail "$d holds capabilities"
done

# Sockets each domain may create.
created() { # DOMAIN
  q -A -s "$1" -p create | awk '{ split($3, a, ":"); if (a[2] ~ /socket$/) print a[2] }' | sort -u | tr '\n' ' '
}
hk_assert_eq "netlink_generic_socket unix_dgram_socket unix_stream_socket " "$(created ipvsd_t)" "sockets ipvsd_t may create"
hk_assert_eq "netlink_route_socket packet_socket rawip_socket unix_dgram_socket unix_stream_socket " \
  "$(created vrrpd_t)" "sockets vrrpd_t may create"
hk_assert_eq "unix_stream_socket " "$(created hactl_t)" "sockets hactl_t may create"

# Files and directories ipvsd_t may create: its list of owned services
# (/run/hakeep/ipvsd/owned-services) and that directory, nothing else.
made=$(q -A -s ipvsd_t -c file,dir -p create | awk '{ print $3 }' | sort -u | tr '\n' ' ')
hk_assert_eq "ipvsd_state_t:dir ipvsd_state_t:file " "$made" "files and directories ipvsd_t may create"
q -T -s ipvsd_t -t hakeep_runtime_t -c dir | grep -q 'dir ipvsd_state_t;' ||
  hk_fail "a directory ipvsd_t makes in /run/hakeep is not ipvsd_state_t"

# Configuration.
domains="vrrpd_t ipvsd_t checkd_t checkd_script_t hactl_t"
confs="hakeep_conf_t vrrpd_conf_t ipvsd_conf_t checkd_conf_t"
for d in $domains; do
  for c in $confs; do
    rules=$(q -A -s "$d" -t "$c" -c file,dir,lnk_file,sock_file,fifo_file \
              -p write,append,create,unlink,rename,setattr,add_name,remove_name,relabelfrom,relabelto)
    [[ -z $rules ]] || hk_fail "$d may write $c:
$rules"
  done
done
for d in vrrpd ipvsd checkd; do
  for c in vrrpd ipvsd checkd; do
    rules=$(q -A -s "${d}_t" -t "${c}_conf_t" -c file -p read)
    if [[ $d == "$c" ]]; then
      [[ -n $rules ]] || hk_fail "${d}_t may not read its own ${c}_conf_t"
    elif [[ $d == checkd && $c == vrrpd ]]; then
      # The notify scripts (checkd.conf(5), vrrpd_config).
      [[ -n $rules ]] || hk_fail "checkd_t may not read vrrpd_conf_t (its notify scripts)"
    else
      [[ -z $rules ]] || hk_fail "${d}_t may read ${c}_conf_t"
    fi
  done
done

# The control-socket graph among hakeep's domains.
graph=$(q -A -c unix_stream_socket -p connectto |
  awk '{ split($3, a, ":"); print $2 " -> " a[1] }' |
  grep -E '^(vrrpd|ipvsd|checkd|hactl|checkd_script)_t -> (vrrpd|ipvsd|checkd|hactl|checkd_script)_t$' |
  sort | tr '\n' ';')
hk_assert_eq "checkd_t -> ipvsd_t;checkd_t -> vrrpd_t;hactl_t -> checkd_t;hactl_t -> ipvsd_t;hactl_t -> vrrpd_t;ipvsd_t -> vrrpd_t;vrrpd_t -> checkd_t;vrrpd_t -> ipvsd_t;" \
  "$graph" "connectto between hakeep domains"

# Transitions.
for d in vrrpd ipvsd checkd; do
  q -T -s init_t -t "${d}_exec_t" -c process | grep -q "process ${d}_t;" || hk_fail "init_t does not start ${d}_exec_t in ${d}_t"
done
for t in bin_t shell_exec_t hakeep_script_exec_t; do
  q -T -s checkd_t -t "$t" -c process | grep -q "process checkd_script_t;" || hk_fail "checkd_t does not run $t in checkd_script_t"
done
[[ -z $(q -A -s checkd_t -p execute_no_trans) ]] || hk_fail "checkd_t may run programs in its own domain"
q -T -s unconfined_t -t hactl_exec_t -c process | grep -q "process hactl_t;" || hk_fail "hactl does not run in hactl_t"

echo "ok: hakeep.pp builds; capabilities, sockets, configurations, socket graph and transitions as designed"
