#!/bin/bash
# lintian (pedantic, experimental tags too) finds nothing that is not
# overridden, and every override has a comment saying why (debian/*.lintian-overrides).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

lintian --pedantic --display-info --display-experimental --show-overrides "$HK_DEB" \
  >"$HK_TMP/out" 2>&1 || true
grep -v '^running with root privileges' "$HK_TMP/out" | sed 's/^/  /'
unexplained=$(grep -E '^[EWIPX]: ' "$HK_TMP/out" || true)
[[ -z $unexplained ]] || hk_fail "lintian tags not overridden:
$unexplained"
# Each override line follows a comment (lintian shows it as N: lines first).
for f in "$HK_REPO"/debian/*.lintian-overrides; do
  awk '/^#/ { c = 1; next } /^[^ ]/ && !c { print FILENAME ": override without a comment: " $0; bad = 1 }
       /^$/ { c = 0 } END { exit bad }' "$f" || hk_fail "an override in $f has no comment"
done
echo "ok: lintian clean; $(grep -c '^O: ' "$HK_TMP/out" || true) overridden tags, each explained"
