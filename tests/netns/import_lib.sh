# shellcheck shell=bash
# Helpers of the import tests (t_import_*.sh), on top of lib.sh: the same
# keepalived configuration run by keepalived 2.2.7 and, translated by
# `hactl import-keepalived`, by vrrpd (and checkd); which node holds the VIP.
#
#   im_samples                        the folder of the sample configurations
#   im_prepare NAME HOST SED          $HK_TMP/NAME-HOST/keepalived.conf: the sample NAME_HOST.conf
#                                     through `sed -e SED`; and its import in $HK_TMP/NAME-HOST/hakeep/
#   im_start IMPL NAME HOST           keepalived, or vrrpd + checkd (IMPL hakeep), on HOST
#   im_stop IMPL NAME HOST            graceful stop (TERM)
#   im_holder VIP                     a, b, both or none: who has VIP on eth0

im_samples() { echo "$HK_NETNS_DIR/../unit/import_samples"; }

im_prepare() { # NAME HOST SED
  local dir=$HK_TMP/$1-$2
  mkdir -p "$dir"
  sed -e "$3" "$(im_samples)/$1_$2.conf" >"$dir/keepalived.conf"
  hk_run "$HK_BIN/hactl" import-keepalived "$dir/keepalived.conf" --out "$dir/import"
  hk_assert_rc 0 "import of $1_$2.conf: $HK_ERR"
  mkdir -p "$dir/hakeep"
  # The lab runs the daemons as nobody: their roles say so (hk_write_config).
  hk_write_config "$dir/hakeep/vrrpd.conf" <"$dir/import/vrrpd.conf"
  hk_write_config "$dir/hakeep/checkd.conf" <"$dir/import/checkd.conf"
}

declare -A IM_KA_PID=()
im_start() { # IMPL NAME HOST
  local impl=$1 dir=$HK_TMP/$2-$3
  if [[ $impl == keepalived ]]; then
    # keepalived runs scripts as root only when told (no keepalived_script account here).
    { printf 'global_defs {\n    script_user root\n}\n'; cat "$dir/keepalived.conf"; } >"$dir/ka.conf"
    hk_bg "$3" /usr/sbin/keepalived -n -l -D -P -f "$dir/ka.conf" -p "$dir/ka.pid" \
      -r "$dir/ka-vrrp.pid" -c "$dir/ka-checkers.pid"
    IM_KA_PID[$3]=$HK_LAST_PID
  else
    if grep -q '^vrrp_script\|^check ' "$dir/hakeep/checkd.conf"; then
      hk_start_daemon "$3" checkd -f "$dir/hakeep/checkd.conf" --socket-dir "$dir/sock" --user nobody
      hk_wait_for "hk_status_is '$dir/sock' checkd 'x[\"reachable\"]' true" 10 || hk_fail "checkd on $3 did not start"
    fi
    hk_start_daemon "$3" vrrpd -f "$dir/hakeep/vrrpd.conf" --socket-dir "$dir/sock" --user nobody
  fi
}

im_stop() { # IMPL NAME HOST
  if [[ $1 == keepalived ]]; then
    local pid=${IM_KA_PID[$3]}
    kill -TERM "$pid" 2>/dev/null || true
    hk_wait_for "! hk_alive $pid" 5 || hk_fail "keepalived on $3 did not stop"
    wait "$pid" 2>/dev/null || true
  else
    hk_stop_daemon "$3" vrrpd
    if grep -q '^vrrp_script\|^check ' "$HK_TMP/$2-$3/hakeep/checkd.conf"; then hk_stop_daemon "$3" checkd; fi
  fi
}

# Not `ip | grep -q`: grep quitting early makes ip die of SIGPIPE, and pipefail a false "no".
im_has() { [[ $(hk_ns_exec "$1" ip addr show dev eth0 2>/dev/null) == *" $2/"* ]]; }
im_holder() { # VIP
  local a=0 b=0
  im_has a "$1" && a=1
  im_has b "$1" && b=1
  case $a$b in 10) echo a ;; 01) echo b ;; 11) echo both ;; *) echo none ;; esac
}

# im_compare REFERENCE WHAT: run (the test's function: one sequence of steps,
# left in STEPS) with keepalived, which must give REFERENCE, then with hakeep
# from the imported files, which must give the same.
im_compare() {
  local keepalived hakeep
  run keepalived; keepalived=$STEPS
  echo "keepalived: $keepalived"
  hk_assert_eq "$1" "$keepalived" "keepalived's own behaviour (the reference)"
  run hakeep; hakeep=$STEPS
  echo "hakeep:     $hakeep"
  hk_assert_eq "$keepalived" "$hakeep" "$2"
  IM_STEPS=$hakeep
}
