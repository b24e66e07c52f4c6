# shellcheck shell=bash
# Helpers shared by checkd's netns tests (t_checkd_*.sh), on top of lib.sh:
# hactl's `checks` view read as JSON, and waits on one check's fields.
#
#   ck_start NS CONF [ARGS]    checkd in NS with CONF, socket dir $CK_SOCK, as nobody
#   ck_server NS MODE ARGS...  a checkd_servers.py server in NS (hk_bg)
#   ck_field NAME EXPR         EXPR of check NAME's object `c` in `hactl --json checks`
#   ck_is NAME EXPR VALUE      a condition for hk_wait_for
#   ck_wait NAME EXPR VALUE SECS [WHAT]   waits, or fails saying what did not happen

CK_SOCK=$HK_TMP/sock
CK_SERVERS=$HK_NETNS_DIR/checkd_servers.py

ck_start() { # NS CONF [ARGS...]
  local ns=$1 conf=$2
  shift 2
  hk_start_daemon "$ns" checkd -f "$conf" --socket-dir "$CK_SOCK" --user nobody "$@"
  hk_wait_for "hk_status_is '$CK_SOCK' checkd 'x[\"reachable\"]' true" 10 ||
    hk_fail "checkd did not answer hactl status within 10 s"
}

ck_server() { # NS MODE ARGS...
  local ns=$1
  shift
  hk_bg "$ns" "$HK_PYTHON" "$CK_SERVERS" "$@"
}

ck_json() { "$HK_BIN/hactl" --socket-dir "$CK_SOCK" --json checks 2>/dev/null; }

ck_field() { # NAME EXPR
  ck_json | hk_json "(lambda c: ($2))(next(c for c in d['checks'] if c['name'] == '$1'))" 2>/dev/null
}

ck_is() { [[ $(ck_field "$1" "$2") == "$3" ]]; }

ck_wait() { # NAME EXPR VALUE SECS [WHAT]
  hk_wait_for "ck_is '$1' '$2' '$3'" "$4" ||
    hk_fail "${5:-check $1}: $2 did not become '$3' within $4 s (now '$(ck_field "$1" "$2")'; $(ck_field "$1" 'c["state"] + " " + c["last_error"]'))"
}

# Notify-script labs (t_checkd_notify*.sh), after hk_bridge_lab a:
#   ck_notify_dirs             $bin (the scripts), $out (world-writable), $log
#   ck_script NAME BODY        a /bin/sh script $bin/NAME
#   ck_notify_start LINES...   vrrpd VI_1 (MASTER alone) with those notify lines,
#                              checkd reading them (CK_SOCK=$HK_TMP/sock-a)
ck_notify_dirs() {
  bin=$HK_TMP/bin out=$HK_TMP/out
  mkdir -p "$bin" "$out"
  chmod 755 "$bin"
  chmod 1777 "$out"   # the scripts run as nobody
  log=$out/notify.log
}

ck_script() { # NAME BODY
  printf '#!/bin/sh\n%s\n' "$2" >"$bin/$1"
  chmod 755 "$bin/$1"
}

ck_notify_start() { # LINES...
  vr_conf a <<EOF2
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority 100
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
    }
$(printf '    %s\n' "$@")
}
EOF2
  hk_write_config "$HK_TMP/checkd.conf" <<EOF2
global_defs {
    vrrpd_config $HK_TMP/a.conf
}
EOF2
  CK_SOCK=$HK_TMP/sock-a
  ck_start a "$HK_TMP/checkd.conf"
  vr_start a
}
