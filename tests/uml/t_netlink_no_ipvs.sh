#!/bin/bash
# Without the ip_vs module, NetlinkKernel says how to fix it (and the probe,
# like ipvsd, exits non-zero) instead of a bare libnl "Object not found".
# uml-run: --modules ""
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
probe=${HK_BIN:?}/../tests/uml/ipvs_probe
[[ -x $probe ]] || fail "$probe missing: run 'make all' first"
[[ ! -e /proc/net/ip_vs ]] || fail "ip_vs is loaded: this test needs a guest without it"

status=0
message=$("$probe" dump 2>&1) || status=$?
echo "$message"
((status != 0)) || fail "ipvs_probe dump succeeded without ip_vs"
[[ $message == "ipvs_probe: IPVS is not available in this kernel: load the ip_vs module (modprobe ip_vs, or conf/modules-load.d/hakeep.conf)" ]] \
  || fail "unexpected message"
echo "ok: exit $status with the 'load the ip_vs module' message"
