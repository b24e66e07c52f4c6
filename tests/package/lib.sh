# shellcheck shell=bash
# tests/package/lib.sh: what the package tests share. A test sources it:
#
#   #!/bin/bash
#   set -euo pipefail
#   . "$(dirname "$0")/lib.sh"
#
# It makes the test's temp dir ($HK_TMP, removed on exit) and gives:
#   hk_fail MESSAGE          print FAIL and exit 1
#   hk_assert_eq WANT GOT WHAT
#   hk_in_root ROOT CMD...   CMD chrooted in ROOT, with /proc, in a private
#                            mount namespace (nothing it mounts outlives it)
#   hk_fresh_root DIR        a fresh Debian 12 root in DIR with the package's
#                            dependencies and systemd installed (root.sh)
#   hk_deb_field FIELD       a control field of the package under test
# HK_DEB (the .deb under test, absolute) is set by tests/package/run.

if [[ -n ${HK_PKG_LIB_LOADED:-} ]]; then return 0; fi
HK_PKG_LIB_LOADED=1

HK_PKG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
HK_REPO=$(cd "$HK_PKG_DIR/../.." && pwd -P)
HK_TEST_NAME=${HK_TEST_NAME:-$(basename -- "$0" .sh)}
HK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/hk-pkg-$HK_TEST_NAME.XXXXXX")
# --one-file-system: never follow a mount that a killed chroot left behind.
trap 'rm -rf --one-file-system -- "$HK_TMP"' EXIT
_hk_err() { echo "FAIL [$HK_TEST_NAME]: command failed (exit $1) at line $2: $3" >&2; }
set -E
trap '_hk_err $? $LINENO "$BASH_COMMAND"' ERR

hk_fail() { echo "FAIL [$HK_TEST_NAME]: $*" >&2; exit 1; }

hk_assert_eq() { # WANT GOT WHAT
  [[ $1 == "$2" ]] || hk_fail "$3: expected '$1', got '$2'"
}

hk_in_root() { # ROOT CMD...
  local root=$1; shift
  unshare --mount --propagation private -- sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc" && exec chroot "$root" "$@"' sh "$root" \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

hk_deb_field() { dpkg-deb -f "$HK_DEB" "$1"; }

# The package's Depends, one dependency (with its alternatives) per line.
hk_deb_depends() { hk_deb_field Depends | tr ',' '\n' | sed 's/^ *//;s/ *$//' | grep .; }

hk_fresh_root() { # DIR
  local deps
  mapfile -t deps < <(hk_deb_depends)
  "$HK_PKG_DIR/root.sh" "$1" systemd "${deps[@]}"
}
