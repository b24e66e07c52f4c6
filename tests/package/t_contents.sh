#!/bin/bash
# The .deb has the name, fields and files issue 7 asks for: the four
# binaries, man pages, examples, default configurations as conffiles readable
# only through their group, units, sysusers.d, tmpfiles.d, modules-load.d,
# the SELinux module. `make deb` built it (tests/package/run).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

version=$(sed -n 's/^VERSION *?= *//p' "$HK_REPO/Makefile")
arch=$(dpkg --print-architecture)
hk_assert_eq "hakeep_${version}_$arch.deb" "${HK_DEB##*/}" "package file name"
hk_assert_eq hakeep "$(hk_deb_field Package)" "Package"
hk_assert_eq "$version" "$(hk_deb_field Version)" "Version (debian/changelog against Makefile VERSION)"

dpkg-deb --fsys-tarfile "$HK_DEB" | tar -tv --numeric-owner >"$HK_TMP/list"
has() { # MODE PATH
  local line
  line=$(awk -v p="./$2" '$NF == p || $NF == p "/" { print $1 }' "$HK_TMP/list")
  [[ -n $line ]] || hk_fail "missing from the package: /$2"
  [[ $line == "$1" ]] || hk_fail "/$2: mode $line, expected $1"
}
for b in vrrpd ipvsd checkd; do has -rwxr-xr-x "usr/sbin/$b"; done
has -rwxr-xr-x usr/bin/hactl
for p in vrrpd.8 ipvsd.8 checkd.8 hactl.8; do has -rw-r--r-- "usr/share/man/man8/$p.gz"; done
for p in vrrpd.conf.5 ipvsd.conf.5 checkd.conf.5; do has -rw-r--r-- "usr/share/man/man5/$p.gz"; done
has -rw-r--r-- usr/share/man/man7/hakeep.7.gz
for s in status vrrp ipvs checks explain command reload; do has -rw-r--r-- "usr/share/hakeep/schema/$s.schema.json"; done
has drwxr-x--- etc/hakeep
for d in vrrpd ipvsd checkd; do
  has -rw-r----- "etc/hakeep/$d.conf"
  has -rw-r--r-- "usr/share/doc/hakeep/examples/$d.conf"
  has -rw-r--r-- "lib/systemd/system/hakeep-$d.service"
done
has -rw-r--r-- usr/lib/sysusers.d/hakeep.conf
has -rw-r--r-- usr/lib/tmpfiles.d/hakeep.conf
has -rw-r--r-- usr/lib/modules-load.d/hakeep.conf
has -rw-r--r-- usr/share/selinux/packages/hakeep.pp
# Everything is root's in the archive; postinst hands out the groups.
owners=$(awk '{ print $2 }' "$HK_TMP/list" | sort -u)
hk_assert_eq 0/0 "$owners" "owners in the archive"
# No active sysctl.d: vrrpd makes the VMAC settings over rtnetlink; the
# example for strict rp_filter hosts is documentation (hakeep(7)).
! grep -q 'sysctl\.d' "$HK_TMP/list" || hk_fail "the package ships an active sysctl.d file"
has -rw-r--r-- usr/share/doc/hakeep/examples/60-hakeep-vmac.conf

dpkg-deb --ctrl-tarfile "$HK_DEB" | tar -xO ./conffiles >"$HK_TMP/conffiles"
hk_assert_eq "/etc/hakeep/checkd.conf
/etc/hakeep/ipvsd.conf
/etc/hakeep/vrrpd.conf" "$(sort "$HK_TMP/conffiles")" "conffiles"

# The default configurations are the examples, marked, so no unit starts them.
mkdir "$HK_TMP/x"
dpkg-deb -x "$HK_DEB" "$HK_TMP/x"
for d in vrrpd ipvsd checkd; do
  head -n1 "$HK_TMP/x/etc/hakeep/$d.conf" | grep -q '^# hakeep-shipped-example' ||
    hk_fail "/etc/hakeep/$d.conf does not start with the example marker"
  tail -n +3 "$HK_TMP/x/etc/hakeep/$d.conf" | cmp -s - "$HK_REPO/conf/$d.conf" ||
    hk_fail "/etc/hakeep/$d.conf is not conf/$d.conf after its two marker lines"
  "$HK_TMP/x/usr/sbin/$d" -t -f "$HK_TMP/x/etc/hakeep/$d.conf" >/dev/null ||
    hk_fail "$d -t refuses the shipped /etc/hakeep/$d.conf"
  "$HK_TMP/x/usr/sbin/$d" --version | grep -qF "$version" || hk_fail "$d --version does not say $version"
done
echo "ok: hakeep_${version}_$arch.deb: $(wc -l <"$HK_TMP/list") entries, conffiles, modes, marked defaults"
