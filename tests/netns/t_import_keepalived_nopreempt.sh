#!/bin/bash
# hactl import-keepalived, judged by behaviour (issue 6): the classic
# MASTER/BACKUP pair with nopreempt (tests/unit/import_samples/
# classic_nopreempt_{a,b}.conf) run by keepalived 2.2.7 on both nodes, then
# by vrrpd on both nodes from the imported configurations. Each step must
# put the VIP on the same node: a (150) first; b after a stops; still b after
# a (150) comes back, because of nopreempt.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/import_lib.sh"

[[ -x /usr/sbin/keepalived ]] || hk_fail "keepalived is not installed (make deps)"
hk_bridge_lab a b
vip=192.0.2.100
for host in a b; do im_prepare classic_nopreempt "$host" ''; done

run() { # IMPL: the holders after each step, in STEPS
  local impl=$1 steps=()
  im_start "$impl" classic_nopreempt a
  hk_wait_for "[[ \$(im_holder $vip) == a ]]" 8 || hk_fail "$impl: a did not take the VIP alone"
  im_start "$impl" classic_nopreempt b
  sleep 2.5   # b (100) hears a (150) and stays backup
  steps+=("$(im_holder $vip)")
  im_stop "$impl" classic_nopreempt a
  hk_wait_for "[[ \$(im_holder $vip) == b ]]" 8 || true
  steps+=("$(im_holder $vip)")
  im_start "$impl" classic_nopreempt a
  sleep 4.5   # more than a's master_down_interval: a would have preempted by now
  steps+=("$(im_holder $vip)")
  im_stop "$impl" classic_nopreempt a
  im_stop "$impl" classic_nopreempt b
  STEPS="${steps[*]}"
}

im_compare "a b b" "the imported configuration elects as keepalived does"
echo "ok: nopreempt pair: keepalived and imported vrrpd agree ($IM_STEPS)"
