#!/bin/bash
# hactl import-keepalived, judged by behaviour (issue 6): a vrrp_script with
# weight -20 (tests/unit/import_samples/script_weight_{a,b}.conf; a 110
# MASTER, b 100 BACKUP) run by keepalived 2.2.7 on both nodes, then by
# vrrpd + checkd on both nodes from the imported configurations. When a's
# script fails, a drops to 90 and b takes the VIP; when it passes again a
# (110) takes it back. Each step must put the VIP on the same node.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/import_lib.sh"

[[ -x /usr/sbin/keepalived ]] || hk_fail "keepalived is not installed (make deps)"
hk_bridge_lab a b
vip=192.0.2.100
for host in a b; do
  mkdir -p "$HK_TMP/flags-$host"
  chmod 0755 "$HK_TMP/flags-$host"
  # The sample's flag file, moved into this test's folder.
  im_prepare script_weight "$host" "s|/etc/keepalived/service-down|$HK_TMP/flags-$host/service-down|"
done
grep -q 'chk_service weight -20' "$HK_TMP/script_weight-a/hakeep/vrrpd.conf" ||
  hk_fail "the import did not carry the script's weight to track_script"

run() { # IMPL: the holders after each step, in STEPS
  local impl=$1 steps=()
  rm -f "$HK_TMP"/flags-*/service-down
  im_start "$impl" script_weight a
  im_start "$impl" script_weight b
  hk_wait_for "[[ \$(im_holder $vip) == a ]]" 10 || true
  sleep 2     # settled: a (110) master, b (100) backup
  steps+=("$(im_holder $vip)")
  touch "$HK_TMP/flags-a/service-down"   # a's script fails: 110 - 20 = 90 < 100
  hk_wait_for "[[ \$(im_holder $vip) == b ]]" 10 || true
  sleep 1
  steps+=("$(im_holder $vip)")
  if [[ $impl == hakeep ]]; then
    # Weight -20, not FAULT (which weight 0, vrrpd's default, would give).
    a_now=$("$HK_BIN/hactl" --socket-dir "$HK_TMP/script_weight-a/sock" --json vrrp |
      hk_json 'd["instances"][0]["state"] + " " + str(d["instances"][0]["effective_priority"])')
    hk_assert_eq "BACKUP 90" "$a_now" "a while its script fails"
  fi
  rm -f "$HK_TMP/flags-a/service-down"   # passes again: a 110 preempts
  hk_wait_for "[[ \$(im_holder $vip) == a ]]" 10 || true
  sleep 1
  steps+=("$(im_holder $vip)")
  im_stop "$impl" script_weight a
  im_stop "$impl" script_weight b
  STEPS="${steps[*]}"
}

im_compare "a b a" "the imported configuration follows the script as keepalived does"
echo "ok: vrrp_script weight -20: keepalived and imported vrrpd + checkd agree ($IM_STEPS)"
