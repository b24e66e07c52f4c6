#!/bin/bash
# ipvsd's sandbox as /proc shows it inside the guest (DESIGN.md §1): not
# root, CAP_NET_ADMIN alone, no ambient or inheritable capabilities,
# no_new_privs, a seccomp filter. Started on a kernel without IPVS (this
# guest loads no module), it keeps running, says "load the ip_vs module"
# once, reports kernel_available false (a drain meanwhile is kept pending);
# once ip_vs is loaded by hand it picks IPVS up within seconds and writes
# its table, the pending drain included, from inside its sandbox.
# (That its filter kills it on an AF_INET socket is a unit test:
# tests/unit/test_sandbox.cc, inet_socket_kills_ipvsd.)
# uml-run: --modules ""
set -euo pipefail
. "$HK_UML_DIR/lib_ipvsd.sh"

[[ ! -e /proc/net/ip_vs ]] || fail "ip_vs is loaded: this test needs a guest without it"

ipvsd_config <<'EOF'
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    real_server 203.0.113.11 8080 { weight 3 }
    real_server 203.0.113.12 8080 { weight 1 }
}
EOF
ipvsd_start
pid=$IPVSD_PID

field() { awk -v k="$1:" '$1 == k { print $2; exit }' "/proc/$pid/status"; }
check_status() { # WHEN
  local uids bnd
  uids=$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/status")
  [[ $uids == "65534 65534 65534 65534" ]] || fail "$1: Uid (real, effective, saved, fs) $uids, expected nobody's 65534"
  [[ $(awk '$1 == "Gid:" { print $2 }' "/proc/$pid/status") != 0 ]] || fail "$1: Gid 0"
  [[ $(field CapEff) == 0000000000001000 ]] || fail "$1: CapEff $(field CapEff), expected 0000000000001000 (cap_net_admin)"
  [[ $(field CapPrm) == 0000000000001000 ]] || fail "$1: CapPrm $(field CapPrm), expected 0000000000001000"
  [[ $(field CapInh) == 0000000000000000 ]] || fail "$1: CapInh $(field CapInh)"
  [[ $(field CapAmb) == 0000000000000000 ]] || fail "$1: CapAmb $(field CapAmb)"
  bnd=$(field CapBnd)
  [[ $bnd == 0000000000000000 || $bnd == 0000000000001000 ]] || fail "$1: CapBnd $bnd"
  [[ $(field NoNewPrivs) == 1 ]] || fail "$1: NoNewPrivs $(field NoNewPrivs)"
  [[ $(field Seccomp) == 2 ]] || fail "$1: Seccomp $(field Seccomp), expected 2 (filter)"
  ok "$1: $(grep -E '^(Uid|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' "/proc/$pid/status" | tr -s '\t\n' '  ')"
}
check_status "without IPVS"
# Its sockets are AF_UNIX (control socket, link to vrrpd) and AF_NETLINK ones
# only. ipvsd is stopped while they are listed (its retries open and close
# netlink sockets); one not listed yet (created, not bound) is looked at again.
check_sockets() { # WHEN
  local known inodes inode n unknown try
  for ((try = 1; try <= 5; try++)); do
    kill -STOP "$pid"
    inodes=$(for fd in /proc/"$pid"/fd/*; do readlink "$fd" || true; done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p')
    known=" $(awk 'NR > 1 { print $7 }' /proc/net/unix | tr '\n' ' ') $(awk 'NR > 1 { print $NF }' /proc/net/netlink | tr '\n' ' ') "
    kill -CONT "$pid"
    n=0 unknown=''
    for inode in $inodes; do
      [[ $known == *" $inode "* ]] || unknown+=" $inode"
      n=$((n + 1))
    done
    [[ -n $unknown ]] || break
    sleep 0.2
  done
  [[ -z $unknown ]] || fail "$1: ipvsd holds socket(s)$unknown, neither AF_UNIX nor AF_NETLINK"
  ((n >= 1)) || fail "$1: no sockets found for ipvsd"
  ok "$1: $n sockets, all AF_UNIX or AF_NETLINK"
}
check_sockets "without IPVS"

# ---------------------------------------------------------------- no IPVS: running, said once
sleep 2.5   # two retries (every second)
ipvsd_alive || fail "ipvsd exited without IPVS"
[[ $IPVSD_PID == "$pid" ]] || fail "ipvsd restarted"
n=$(grep -c 'load the ip_vs module' "$IPVSD_LOG" || true)
((n == 1)) || fail "the 'load the ip_vs module' message was logged $n times, expected once"
grep 'load the ip_vs module' "$IPVSD_LOG"
[[ $(ipvs_json 'd["kernel_available"]') == false ]] || fail "hactl: kernel_available not false"
[[ $(ipvs_json 'd["kernel_error"]') == *"load the ip_vs module"* ]] || fail "hactl: kernel_error: $(ipvs_json 'd["kernel_error"]')"
[[ $(hactl ipvs) == "kernel: IPVS unavailable: "*"load the ip_vs module"* ]] || fail "hactl ipvs: $(hactl ipvs)"
[[ $(ipvs_json 'rs("192.0.2.100:80/tcp", "203.0.113.11:8080")["kernel_weight"]') == null ]] || fail "hactl: a kernel weight without IPVS"
ok "without IPVS: running, said so once, kernel_available false"
out=$(hactl drain 192.0.2.100:80 203.0.113.11:8080) || fail "hactl drain without IPVS failed: $out"
[[ $out == *"kernel update pending (IPVS unavailable)"* ]] || fail "hactl drain without IPVS said: $out"
ok "drain without IPVS: pending"

# ---------------------------------------------------------------- ip_vs loaded by hand
moddir=/usr/lib/uml/modules/$(uname -r)
[[ -f $moddir/modules.dep ]] || moddir=$(ls -d /usr/lib/uml/modules/*/ | sort -V | tail -n 1)
moddir=${moddir%/}
# load NAME: insmod NAME.ko after its dependencies (modules.dep lists them
# all, the one to load first last), each once.
load() {
  local line deps i name
  line=$(grep -E "(^|/)$1\.ko(\.[a-z]+)?:" "$moddir/modules.dep") || fail "module $1 not in $moddir/modules.dep"
  read -r -a deps <<<"${line#*:}"
  for ((i = ${#deps[@]} - 1; i >= -1; i--)); do
    if ((i >= 0)); then path=${deps[i]}; else path=${line%%:*}; fi
    name=${path##*/}; name=${name%%.ko*}; name=${name//-/_}
    [[ -e /sys/module/$name/initstate || -d /sys/module/$name/sections ]] && continue
    insmod "$moddir/$path" || fail "insmod $path failed"
  done
}
# ipvsd is stopped meanwhile: it must not find ip_vs before the rr scheduler
# is there too (a refused "add service" would be retried only a second later).
kill -STOP "$pid"
load ip_vs
load ip_vs_rr
kill -CONT "$pid"
t0=${EPOCHREALTIME/./}
[[ -e /proc/net/ip_vs ]] || fail "ip_vs did not load"
wait_for 'ipvs_json_is "d[\"kernel_available\"]" true' 5 || fail "ipvsd did not pick IPVS up within 5 s"
took=$(((${EPOCHREALTIME/./} - t0) / 1000))
same "table written once IPVS is there (the drain applied)" "TCP 192.0.2.100:80 rr
  -> 203.0.113.11:8080 Masq 0 0 0
  -> 203.0.113.12:8080 Masq 1 0 0" "$(ipvsadm_list --exact)"
grep -q 'IPVS kernel interface ready' "$IPVSD_LOG" || fail "no 'IPVS kernel interface ready' in the log"
[[ $(ipvs_json 'd["operations_applied"]') == 3 ]] || fail "operations_applied $(ipvs_json 'd["operations_applied"]'), expected 3"
[[ $IPVSD_PID == "$pid" ]] && ipvsd_alive || fail "not the same ipvsd any more"
((n == $(grep -c 'load the ip_vs module' "$IPVSD_LOG"))) || fail "the message was repeated"
ok "ip_vs loaded: picked up ${took} ms later by the same process, table written"
check_status "with IPVS"
check_sockets "with IPVS"
out=$(hactl undrain 192.0.2.100:80 203.0.113.11:8080) || fail "hactl undrain: $out"
[[ $(kernel_weight "-t 192.0.2.100:80" 203.0.113.11:8080) == 3 ]] || fail "undrain: weight not 3"
ok "undrain: weight 3"
ipvsd_stop
((IPVSD_RC == 0)) || fail "ipvsd exited $IPVSD_RC on SIGTERM"
echo "ok: ipvsd is sandboxed, waits for IPVS and picks it up"
