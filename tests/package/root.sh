#!/bin/bash
# tests/package/root.sh: a fresh Debian 12 root in a folder, for installing
# the package with dpkg -i (tests/package/t_chroot.sh uses it).
#
#   tests/package/root.sh DIR [PACKAGE...]
#   tests/package/root.sh --base-only    (only fill the base layer's cache)
#
# DIR must not exist; it becomes a minbase Debian 12 root (debootstrap
# --variant=minbase) with the PACKAGEs (apt-get satisfy syntax: "a (>= 1) | b")
# installed. Two layers are cached in HK_DEBOOTSTRAP_CACHE (default
# /var/cache/hakeep-debootstrap), as tarballs:
#   base.tar             what debootstrap made (first run: a few minutes)
#   deps-HASH.tar        base plus the PACKAGEs (HASH of their sorted list)
# so that a later run only unpacks a tarball (seconds). Remove the folder to
# start over. The mirror is the first Debian (bookworm) one named in
# /etc/apt/sources.list or /etc/apt/sources.list.d/, else deb.debian.org.
# Every chroot runs in its own mount namespace (unshare -m): the /proc it
# mounts disappears with it, even when the script is killed.
set -euo pipefail

prog=tests/package/root.sh
(($# >= 1)) || { sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
dir=$1; shift
cache=${HK_DEBOOTSTRAP_CACHE:-/var/cache/hakeep-debootstrap}
suite=bookworm
base_only=0
[[ $dir != --base-only ]] || base_only=1
((base_only)) || [[ ! -e $dir ]] || { echo "$prog: $dir exists" >&2; exit 2; }
for need in debootstrap unshare tar sha256sum; do
  command -v "$need" >/dev/null || { echo "$prog: $need is missing; run 'make deps'" >&2; exit 2; }
done

mirror() {
  local url
  url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "deb" && $3 == "'$suite'" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
  if [[ -z $url ]]; then
    # deb822: the URIs of the first stanza whose Suites has bookworm (not -security).
    url=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
      /^$/ { if (s && u) { print u; exit } s = 0; u = "" }
      /^URIs:/ { u = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "'$suite'") s = 1 }
      END { if (s && u) print u }' | head -n1)
  fi
  echo "${url:-http://deb.debian.org/debian}"
}

# in_root ROOT CMD...: CMD in a chroot with /proc, in a private mount namespace.
in_root() {
  local root=$1; shift
  unshare --mount --propagation private -- sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc" && exec chroot "$root" "$@"' sh "$root" \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.work.XXXXXX")
trap 'rm -rf --one-file-system -- "$tmp"' EXIT

if [[ ! -s $cache/base.tar ]]; then
  m=$(mirror)
  echo "$prog: debootstrap --variant=minbase $suite from $m (first run only; a few minutes)"
  unshare --mount --propagation private -- \
    debootstrap --variant=minbase "$suite" "$tmp/root" "$m" >"$tmp/debootstrap.log" 2>&1 || {
      tail -n 30 "$tmp/debootstrap.log" >&2; echo "$prog: debootstrap failed" >&2; exit 1; }
  printf 'deb %s %s main\n' "$m" "$suite" >"$tmp/root/etc/apt/sources.list"
  rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
  tar -C "$tmp/root" --numeric-owner --xattrs --acls -cf "$tmp/base.tar" .
  mv "$tmp/base.tar" "$cache/base.tar"
  rm -rf --one-file-system "$tmp/root"
fi

((base_only == 0)) || exit 0

want=$(printf '%s\n' "$@" | sort -u | grep . || true)
key=$(printf '%s\n' "$want" | sha256sum | cut -c1-16)
mapfile -t wanted <<<"$want"
if [[ ! -s $cache/deps-$key.tar ]]; then
  echo "$prog: installing into the cached root: $(tr '\n' ' ' <<<"$want")"
  mkdir "$tmp/root"
  tar -C "$tmp/root" --numeric-owner --xattrs --acls -xf "$cache/base.tar"
  in_root "$tmp/root" apt-get update -q >"$tmp/apt.log" 2>&1 &&
  { [[ -z $want ]] || in_root "$tmp/root" apt-get satisfy -y -q --no-install-recommends \
      "${wanted[@]}" >>"$tmp/apt.log" 2>&1; } || {
    tail -n 30 "$tmp/apt.log" >&2; echo "$prog: apt-get in the root failed" >&2; exit 1; }
  in_root "$tmp/root" apt-get clean
  tar -C "$tmp/root" --numeric-owner --xattrs --acls -cf "$tmp/deps.tar" .
  mv "$tmp/deps.tar" "$cache/deps-$key.tar"
  rm -rf --one-file-system "$tmp/root"
fi

mkdir -p "$dir"
tar -C "$dir" --numeric-owner --xattrs --acls -xf "$cache/deps-$key.tar"
