#!/bin/bash
# The package in a fresh Debian 12 root (debootstrap --variant=minbase, cached;
# tests/package/root.sh): dpkg -i creates the accounts, groups and files, each
# daemon passes -t on its packaged configuration as its own account (and
# another daemon's account cannot read it), systemd accepts the units, and
# dpkg --purge leaves nothing behind but the accounts, kept on purge by
# design (debian/hakeep.postrm). Twice: with systemd-sysusers, and with the
# groupadd/useradd fallback of a host without systemd.
#
# What "nothing behind" compares: every path with its type, mode and owner,
# and every file's size and modification time, before dpkg -i and after
# dpkg --purge, except dpkg's own records (/var/lib/dpkg, /var/log) and the
# account databases (/etc/passwd, group, shadow, gshadow, their "-" backups
# and /etc/.pwd.lock), whose difference must be exactly the hakeep accounts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

accounts="hakeep-vrrp hakeep-ipvs hakeep-check"
groups="hakeep hakeep-admin hakeep-vrrp hakeep-ipvs hakeep-check"
account_db='passwd|group|shadow|gshadow'

snapshot() { # ROOT
  (cd "$1" && find . -xdev \
     \( -path ./proc -o -path ./dev -o -path ./sys -o -path ./var/lib/dpkg -o -path ./var/log \
        -o -path ./tmp/hakeep.deb \) -prune -o \
     -regextype posix-extended -regex "\./etc/(($account_db)-?|\.pwd\.lock)" -prune -o \
     -type d -printf '%p %M %U:%G\n' -o -printf '%p %M %U:%G %s %T@ %l\n') | LC_ALL=C sort
}

check_accounts() { # ROOT HOW
  local root=$1 how=$2 u g line
  for g in $groups; do
    line=$(hk_in_root "$root" getent group "$g") || hk_fail "$how: no group $g"
    (($(cut -d: -f3 <<<"$line") < 1000)) || hk_fail "$how: group $g is not a system group: $line"
  done
  for u in $accounts; do
    line=$(hk_in_root "$root" getent passwd "$u") || hk_fail "$how: no account $u"
    IFS=: read -r _ _ uid gid _ home shell <<<"$line"
    ((uid < 1000)) || hk_fail "$how: $u is not a system account: $line"
    hk_assert_eq /usr/sbin/nologin "$shell" "$how: shell of $u"
    hk_assert_eq / "$home" "$how: home of $u"
    hk_assert_eq "$u" "$(hk_in_root "$root" id -gn "$u")" "$how: primary group of $u"
    hk_assert_eq "$u hakeep" "$(hk_in_root "$root" id -Gn "$u")" "$how: groups of $u"
    line=$(grep "^$u:" "$root/etc/shadow") || hk_fail "$how: $u not in /etc/shadow"
    [[ $(cut -d: -f2 <<<"$line") == [!*]* ]] || hk_fail "$how: $u has a usable password: $line"
  done
}

check_installed() { # ROOT HOW
  local root=$1 how=$2 d other acl
  hk_assert_eq "750 0 $(gid_of "$root" hakeep)" "$(stat -c '%a %u %g' "$root/etc/hakeep")" "$how: mode, owner, group of /etc/hakeep"
  declare -A acct=([vrrpd]=hakeep-vrrp [ipvsd]=hakeep-ipvs [checkd]=hakeep-check)
  for d in vrrpd ipvsd checkd; do
    hk_assert_eq "640 0 $(gid_of "$root" "${acct[$d]}")" "$(stat -c '%a %u %g' "$root/etc/hakeep/$d.conf")" \
      "$how: mode, owner, group of /etc/hakeep/$d.conf"
    # The packaged configuration, read by its own account as on a reload.
    hk_in_root "$root" setpriv --reuid="${acct[$d]}" --regid="${acct[$d]}" --init-groups \
      "/usr/sbin/$d" -t >"$HK_TMP/t.out" 2>&1 || { cat "$HK_TMP/t.out"; hk_fail "$how: $d -t as ${acct[$d]}"; }
    grep -q "is valid" "$HK_TMP/t.out" || hk_fail "$how: $d -t said: $(cat "$HK_TMP/t.out")"
    # ... and by no other daemon's account.
    other=hakeep-check; [[ $d == checkd ]] && other=hakeep-vrrp
    if hk_in_root "$root" setpriv --reuid=$other --regid=$other --init-groups "/usr/sbin/$d" -t >/dev/null 2>&1; then
      hk_fail "$how: $other can read /etc/hakeep/$d.conf"
    fi
    [[ -L $root/etc/systemd/system/multi-user.target.wants/hakeep-$d.service ]] ||
      hk_fail "$how: hakeep-$d.service is not enabled"
  done
  # tmpfiles.d made the socket directory (where systemd-tmpfiles exists).
  if [[ -x $root/usr/bin/systemd-tmpfiles ]]; then
    hk_assert_eq "1770 0 $(gid_of "$root" hakeep)" "$(stat -c '%a %u %g' "$root/run/hakeep")" \
      "$how: /run/hakeep (the ACL mask shows as the group bits)"
    acl=$(getfacl -n -p --omit-header "$root/run/hakeep" | grep . | LC_ALL=C sort | tr '\n' ' ')
    want=$(printf '%s\n' user::rwx "user:$(uid_of "$root" hakeep-vrrp):rwx" "user:$(uid_of "$root" hakeep-ipvs):rwx" \
             "user:$(uid_of "$root" hakeep-check):rwx" group::r-x mask::rwx other::--- | LC_ALL=C sort | tr '\n' ' ')
    hk_assert_eq "$want" "$acl" "$how: ACL of /run/hakeep"
  fi
  hk_in_root "$root" dpkg-query -W -f='${Conffiles}\n' hakeep | awk 'NF { print $1 }' | sort >"$HK_TMP/conffiles"
  hk_assert_eq "/etc/hakeep/checkd.conf /etc/hakeep/ipvsd.conf /etc/hakeep/vrrpd.conf" \
    "$(tr '\n' ' ' <"$HK_TMP/conffiles" | sed 's/ $//')" "$how: conffiles"
}

gid_of() { hk_in_root "$1" getent group "$2" | cut -d: -f3; }
uid_of() { hk_in_root "$1" getent passwd "$2" | cut -d: -f3; }

# cycle ROOT HOW: install, check, purge, compare.
cycle() {
  local root=$1 how=$2
  cp "$HK_DEB" "$root/tmp/hakeep.deb"
  snapshot "$root" >"$HK_TMP/before.$how"
  cp "$root/etc/passwd" "$HK_TMP/passwd.$how"
  cp "$root/etc/group" "$HK_TMP/group.$how"
  hk_in_root "$root" dpkg -i /tmp/hakeep.deb >"$HK_TMP/install.$how" 2>&1 ||
    { cat "$HK_TMP/install.$how"; hk_fail "$how: dpkg -i failed"; }
  check_accounts "$root" "$how"
  check_installed "$root" "$how"
  if [[ $how == sysusers ]]; then
    # systemd-analyze leaves a mark of its own there: not the package's.
    local mark=$root/run/systemd/systemd-units-load had_mark=0
    [[ -e $mark ]] && had_mark=1
    hk_in_root "$root" systemd-analyze verify --man=no \
      /lib/systemd/system/hakeep-vrrpd.service /lib/systemd/system/hakeep-ipvsd.service \
      /lib/systemd/system/hakeep-checkd.service >"$HK_TMP/verify" 2>&1 ||
      { cat "$HK_TMP/verify"; hk_fail "systemd-analyze verify refuses the units"; }
    [[ ! -s $HK_TMP/verify ]] || { cat "$HK_TMP/verify"; hk_fail "systemd-analyze verify complains"; }
    ((had_mark)) || rm -f "$mark"
  fi
  hk_in_root "$root" dpkg --purge hakeep >"$HK_TMP/purge.$how" 2>&1 ||
    { cat "$HK_TMP/purge.$how"; hk_fail "$how: dpkg --purge failed"; }
  snapshot "$root" >"$HK_TMP/after.$how"
  if ! diff "$HK_TMP/before.$how" "$HK_TMP/after.$how" >"$HK_TMP/diff.$how"; then
    cat "$HK_TMP/diff.$how"
    hk_fail "$how: dpkg --purge left the root different from before dpkg -i (above)"
  fi
  # The accounts stay (postrm says why); nothing else changed in the databases.
  local pdiff gdiff
  pdiff=$(diff "$HK_TMP/passwd.$how" "$root/etc/passwd" || true)
  gdiff=$(diff "$HK_TMP/group.$how" "$root/etc/group" || true)
  hk_assert_eq "hakeep-check hakeep-ipvs hakeep-vrrp" \
    "$(sed -n 's/^> //p' <<<"$pdiff" | cut -d: -f1 | sort | tr '\n' ' ' | sed 's/ $//')" "$how: accounts added to /etc/passwd"
  ! grep -q '^<' <<<"$pdiff" || hk_fail "$how: lines of /etc/passwd changed: $pdiff"
  ! grep -q '^<' <<<"$gdiff" || hk_fail "$how: lines of /etc/group changed: $gdiff"
  check_accounts "$root" "$how (after purge)"
  echo "$how: installed, checked, purged: nothing left but the accounts ($(wc -l <"$HK_TMP/before.$how") paths compared)"
}

start=$SECONDS
hk_fresh_root "$HK_TMP/root"
echo "fresh root in $((SECONDS - start)) s"
cycle "$HK_TMP/root" sysusers
rm -rf --one-file-system "$HK_TMP/root"

# A host without systemd: the same accounts from groupadd/useradd.
hk_fresh_root "$HK_TMP/root"
mv "$HK_TMP/root/usr/bin/systemd-sysusers" "$HK_TMP/root/usr/bin/systemd-sysusers.hidden"
cycle "$HK_TMP/root" useradd
echo "ok: dpkg -i and --purge in a fresh Debian 12 root, with systemd-sysusers and with useradd"
