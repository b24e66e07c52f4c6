#!/bin/bash
# Every man page, in the tree and in the package, lints clean with
# mandoc -T lint -W warning (no warning, no error), and the package has one
# page per binary (section 8), per configuration file (5) and hakeep(7).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

command -v mandoc >/dev/null || hk_fail "mandoc is missing; run 'make deps'"
pages=("$HK_REPO"/man/*.[578])
mandoc -T lint -W warning "${pages[@]}" || hk_fail "mandoc -T lint -W warning found problems in man/"
dpkg-deb -x "$HK_DEB" "$HK_TMP/x"
for p in vrrpd.8 ipvsd.8 checkd.8 hactl.8 vrrpd.conf.5 ipvsd.conf.5 checkd.conf.5 hakeep.7; do
  f=$HK_TMP/x/usr/share/man/man${p##*.}/$p.gz
  [[ -f $f ]] || hk_fail "the package has no $p"
  mandoc -T lint -W warning "$f" || hk_fail "mandoc -T lint -W warning: packaged $p"
done
echo "ok: ${#pages[@]} pages lint clean, 8 packaged"
