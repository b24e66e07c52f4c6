# shellcheck shell=bash
# Helpers shared by vrrpd's netns tests (t_vrrp_*.sh), on top of lib.sh.
#
#   vr_conf HOST                     writes $HK_TMP/HOST.conf from stdin (hk_write_config)
#   vr_instance NAME VRID PRIO "VIP..." [LINE...]
#                                    a VRRPv3 vrrp_instance on eth0, advert_int 0.1, with
#                                    those VIPs (blank-separated) and LINEs, on stdout
#   vr_start HOST [ARGS]             vrrpd in HOST with $HK_TMP/HOST.conf, socket dir $HK_TMP/sock-HOST
#   vr_json HOST                     hactl --json vrrp of HOST's vrrpd
#   vr_field HOST INSTANCE EXPR      EXPR of instance INSTANCE's object `i` (empty if unreachable)
#   vr_state HOST [INSTANCE]         its state (default VI_1)
#   vr_is HOST INSTANCE STATE        a condition for hk_wait_for
#   vr_has HOST ADDR [DEV]           ADDR is on DEV (default eth0) in HOST
#   vr_monitor HOST                  `ip -ts monitor address` in HOST (hk_bg); sets VR_MON (its log)
#   vr_added_ms LOG ADDR T0_US       ms from T0 (EPOCHREALTIME without the dot) to the first
#                                    addition of ADDR in LOG; empty if none yet
#   vr_deleted LOG ADDR              true if LOG saw ADDR deleted

vr_conf() { hk_write_config "$HK_TMP/$1.conf"; }

vr_instance() { # NAME VRID PRIO "VIP..." [LINE...]
  local vip line
  printf 'vrrp_instance %s {\n    interface eth0\n    virtual_router_id %s\n    version 3\n' "$1" "$2"
  printf '    priority %s\n    advert_int 0.1\n    virtual_ipaddress {\n' "$3"
  for vip in $4; do printf '        %s\n' "$vip"; done
  echo "    }"
  shift 4
  for line in "$@"; do printf '    %s\n' "$line"; done
  echo "}"
}

vr_start() { # HOST [ARGS...]
  local host=$1
  shift
  hk_start_daemon "$host" vrrpd -f "$HK_TMP/$host.conf" --socket-dir "$HK_TMP/sock-$host" --user nobody "$@"
}

vr_json() { "$HK_BIN/hactl" --socket-dir "$HK_TMP/sock-$1" --json vrrp 2>/dev/null; }

vr_field() { # HOST INSTANCE EXPR
  local json
  json=$(vr_json "$1") || true
  hk_json "(lambda i: ($3))(next(i for i in d['instances'] if i['name'] == '$2'))" <<<"$json" 2>/dev/null
}

vr_state() { vr_field "$1" "${2:-VI_1}" 'i["state"]'; }
vr_is() { [[ $(vr_state "$1" "$2") == "$3" ]]; }

vr_has() { # HOST ADDR [DEV]
  hk_ns_exec "$1" ip addr show dev "${3:-eth0}" 2>/dev/null | grep -q " $2/"
}

vr_monitor() { # HOST
  hk_bg "$1" ip -ts monitor address
  VR_MON=$HK_LAST_LOG
}

vr_added_ms() { # LOG ADDR T0_US
  "$HK_PYTHON" - "$@" <<'EOF2'
import datetime, re, sys
log, addr, t0 = sys.argv[1], sys.argv[2], int(sys.argv[3])
for line in open(log, errors="replace"):
    m = re.match(r"\[(\S+)\] (Deleted )?\d+: \S+\s+inet6? (\S+)/", line)
    if not m or m.group(2) or m.group(3) != addr:
        continue
    when = datetime.datetime.fromisoformat(m.group(1)).timestamp() * 1e6
    if when >= t0:
        print("%.1f" % ((when - t0) / 1000))
        break
EOF2
}

vr_deleted() { # LOG ADDR
  grep -Eq "Deleted [0-9]+: \S+\s+inet6? $2/" "$1"
}
