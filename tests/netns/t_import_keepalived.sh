#!/bin/bash
# hactl import-keepalived (issue 6) on every sample of
# tests/unit/import_samples: exit 0 and three files that each daemon's -t
# accepts; the sample with untranslatable items: exit 1, exactly its
# FILE:LINE:COL lines on stderr, and what it could translate still written
# and valid. Usage errors and unreadable input: exit 2, nothing written.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/import_lib.sh"

samples=$(im_samples)
mkdir "$HK_TMP/out"
check_outputs() { # DIR WHAT
  local daemon
  for daemon in vrrpd ipvsd checkd; do
    [[ -s $1/$daemon.conf ]] || hk_fail "$2: no $daemon.conf"
    hk_run "$HK_BIN/$daemon" -t -f "$1/$daemon.conf"
    hk_assert_rc 0 "$2: $daemon -t: $HK_ERR$HK_OUT"
  done
}

count=0
for sample in "$samples"/*.conf "$samples"/include/keepalived.conf; do
  name=${sample#"$samples"/}
  [[ $name == untranslatable.conf ]] && continue
  out=$HK_TMP/out/${name//\//_}
  hk_hactl import-keepalived "$sample" --out "$out"
  hk_assert_rc 0 "import of $name: $HK_ERR"
  hk_assert_eq "" "$HK_ERR" "import of $name: stderr"
  check_outputs "$out" "$name"
  count=$((count + 1))
done
((count >= 10)) || hk_fail "only $count samples found in $samples"
echo "ok: $count samples imported, every output passes its daemon's -t"

# What hakeep cannot express: listed with its place, exit 1, the rest written.
f=$samples/untranslatable.conf
hk_hactl import-keepalived "$f" --out "$HK_TMP/out/untranslatable"
hk_assert_rc 1 "import of untranslatable.conf"
expected="$f:3:5: cannot translate notification_email: hakeep sends no e-mail (use notify scripts)
$f:7:5: cannot translate vrrp_strict: vrrpd has no strict mode
$f:18:5: cannot translate smtp_alert: hakeep sends no e-mail (use notify scripts)
$f:20:33: cannot translate home: vrrpd's virtual_ipaddress takes dev, label, brd, scope, no_track
$f:24:9: cannot translate chk_missing: names no vrrp_script of this configuration
$f:26:5: cannot translate track_process: vrrpd has no such vrrp_instance setting
$f:34:5: cannot translate quorum_up: ipvsd runs no scripts (vrrpd can track the quorum)
$f:36:9: cannot translate notify_down: ipvsd runs no real server scripts
$f:40:17: cannot translate regex: checkd's url takes path, status_code, digest, virtualhost
$f:43:9: cannot translate BFD_CHECK: checkd has no such checker
$f:49:1: cannot translate bfd_instance: no hakeep equivalent"
hk_assert_eq "$expected" "$HK_ERR" "refusals of untranslatable.conf"
check_outputs "$HK_TMP/out/untranslatable" untranslatable.conf
hk_assert_contains "track_check 203.0.113.71_80" "$(<"$HK_TMP/out/untranslatable/ipvsd.conf")" "the real server still tracks its HTTP check"
echo "ok: untranslatable items listed with FILE:LINE:COL, exit 1, the rest written and valid"

# Usage errors and unreadable input: exit 2, nothing written.
hk_hactl import-keepalived "$samples/lvs_tcp.conf"
hk_assert_rc 2 "without --out"
hk_assert_contains "usage: hactl import-keepalived" "$HK_ERR"
printf 'vrrp_instance VI_1 {\n    include missing.conf\n}\n' >"$HK_TMP/broken.conf"
hk_hactl import-keepalived "$HK_TMP/broken.conf" --out "$HK_TMP/out/broken"
hk_assert_rc 2 "a missing include"
hk_assert_eq "$HK_TMP/broken.conf:2:5: cannot open include file '$HK_TMP/missing.conf': No such file or directory" "$HK_ERR"
hk_assert_file_absent "$HK_TMP/out/broken"
printf 'vrrp_instance VI_1 {\n' >"$HK_TMP/unclosed.conf"
hk_hactl import-keepalived "$HK_TMP/unclosed.conf" --out "$HK_TMP/out/unclosed"
hk_assert_rc 2 "an unclosed block"
hk_assert_eq "$HK_TMP/unclosed.conf:1:20: unclosed '{' of 'vrrp_instance'" "$HK_ERR"
echo "ok: usage errors and unreadable input exit 2 and write nothing"

# Unprivileged, as any operator would run it: it writes where it may.
mkdir -m 0777 "$HK_TMP/nobody"
hk_run setpriv --reuid=nobody --regid=nogroup --clear-groups "$HK_BIN/hactl" import-keepalived \
  "$samples/lvs_tcp.conf" --out "$HK_TMP/nobody/out"
hk_assert_rc 0 "import as nobody: $HK_ERR"
check_outputs "$HK_TMP/nobody/out" "import as nobody"
hk_assert_eq "640" "$(stat -c %a "$HK_TMP/nobody/out/ipvsd.conf")" "mode of the written files"
echo "ok: import as nobody"
