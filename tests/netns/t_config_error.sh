#!/bin/bash
# A configuration error stops a daemon before it starts anything: exit 2,
# exactly one line `FILE:LINE:COL: message` on stderr with the offending
# token's position, nothing on stdout, no socket directory or socket, no
# process left. -t says 0 or 2. An unknown --user is named and fatal.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

hk_ns_create n
nsname=$(hk_ns n)

# check_error DAEMON FILE WANT_POS MESSAGE_REGEX: DAEMON on FILE fails properly.
# WANT_FILE (default FILE) is the file the error must name.
case_no=0
check_error() {
  local daemon=$1 file=$2 pos=$3 regex=$4 want_file=${5:-$2} dir lines
  case_no=$((case_no + 1))
  dir=$HK_TMP/sock-$case_no
  hk_run timeout -k 2 10 ip netns exec "$nsname" "$HK_BIN/$daemon" -f "$file" --socket-dir "$dir" --user nobody
  hk_assert_rc 2 "$daemon on ${file##*/}"
  hk_assert_eq "" "$HK_OUT" "stdout of $daemon on ${file##*/}"
  lines=$(printf '%s\n' "$HK_ERR" | wc -l)
  hk_assert_eq 1 "$lines" "number of stderr lines of $daemon on ${file##*/} ('$HK_ERR')"
  hk_assert_match "^${want_file//./\\.}:$pos: $regex\$" "$HK_ERR" "error of $daemon on ${file##*/}"
  hk_assert_file_absent "$dir" "socket directory after $daemon's config error"
  hk_assert_eq "" "$(ip netns pids "$nsname")" "processes left in the namespace"
  # -t says the same, with the same status.
  hk_run timeout -k 2 10 "$HK_BIN/$daemon" -t -f "$file"
  hk_assert_rc 2 "$daemon -t on ${file##*/}"
  hk_assert_match "^${want_file//./\\.}:$pos: $regex\$" "$HK_ERR" "error of $daemon -t on ${file##*/}"
}

instance() { # a vrrp_instance with LINE inserted after virtual_router_id
  cat <<EOF
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
$1
    virtual_ipaddress {
        192.0.2.100/24
    }
}
EOF
}

# ---- a bad value: the position of the value.
f=$HK_TMP/bad-value.conf
instance '    priority abc' | hk_write_config "$f"
check_error vrrpd "$f" "$(hk_pos "$f" abc)" "'priority' must be an integer.*'abc'"

# ---- an unknown keyword: the position of the keyword.
f=$HK_TMP/bad-keyword.conf
instance '  frobnicate 3' | hk_write_config "$f"
check_error vrrpd "$f" "$(hk_pos "$f" frobnicate)" "unknown keyword 'frobnicate'.*"

# ---- an unclosed brace: the position of the brace that is never closed.
f=$HK_TMP/bad-brace.conf
instance '    priority 100' | sed '$d' | hk_write_config "$f"
check_error vrrpd "$f" "$(hk_pos "$f" 'VI_1 {' | awk -F: '{ print $1 ":" $2 + 5 }')" "unclosed '\{'.*"

# ---- an error inside an included file names that file and its line.
inc=$HK_TMP/included.conf
printf '# included\n\nvrrp_instance VI_9 {\n    priority 300\n}\n' >"$inc"
f=$HK_TMP/includer.conf
hk_write_config "$f" "$inc" </dev/null
check_error vrrpd "$f" "$(hk_pos "$inc" 300)" "'priority' must be an integer.*'300'" "$inc"

# ---- ipvsd and checkd: an unknown keyword in their own blocks.
f=$HK_TMP/ipvsd-bad.conf
printf 'virtual_server 192.0.2.100 80 {\n    lb_algo rr\n    protocol TCP\n    bogus_thing yes\n    real_server 203.0.113.11 8080 { weight 1 }\n}\n' |
  hk_write_config "$f"
check_error ipvsd "$f" "$(hk_pos "$f" bogus_thing)" "unknown keyword 'bogus_thing'.*"
f=$HK_TMP/checkd-bad.conf
printf 'check web1 {\n    address 203.0.113.11 8080\n    delay_loop 2\n    TCP_CHECK {\n        connect_timeout 1\n        wobble 2\n    }\n}\n' |
  hk_write_config "$f"
check_error checkd "$f" "$(hk_pos "$f" wobble)" "unknown keyword 'wobble'.*"
# fwmark needs CAP_NET_ADMIN, which checkd never holds: refused, saying why.
f=$HK_TMP/checkd-fwmark.conf
printf 'check web1 {\n    address 203.0.113.11 8080\n    TCP_CHECK {\n        fwmark 7\n    }\n}\n' |
  hk_write_config "$f"
check_error checkd "$f" "$(hk_pos "$f" fwmark)" "'fwmark' is refused: marking a socket \\(SO_MARK\\) needs CAP_NET_ADMIN, .*meta mark set 7"

# ---- -t on the good example configurations: 0, and nothing started.
for d in vrrpd ipvsd checkd; do
  f=$HK_TMP/$d-good.conf
  hk_write_config "$f" "$HK_REPO/conf/$d.conf" </dev/null
  hk_run timeout -k 2 10 ip netns exec "$nsname" "$HK_BIN/$d" -t -f "$f" --socket-dir "$HK_TMP/sock-t" --user nobody
  hk_assert_rc 0 "$d -t on a good configuration"
  hk_assert_eq "" "$HK_ERR" "stderr of $d -t on a good configuration"
  hk_assert_file_absent "$HK_TMP/sock-t" "socket directory after $d -t"
done

# ---- --user with an account that does not exist: fatal, named, nothing made.
for d in vrrpd ipvsd checkd; do
  hk_run timeout -k 2 10 ip netns exec "$nsname" "$HK_BIN/$d" -f "$HK_TMP/$d-good.conf" \
    --socket-dir "$HK_TMP/sock-u" --user nosuchuser
  hk_assert_ne 0 "$HK_RC" "exit status of $d --user nosuchuser"
  hk_assert_ne 124 "$HK_RC" "exit status of $d --user nosuchuser (it did not exit: timeout)"
  hk_assert_match "nosuchuser" "$HK_ERR" "stderr of $d --user nosuchuser"
  hk_assert_match "(no such|unknown) (account|user)" "$HK_ERR" "stderr of $d --user nosuchuser"
  hk_assert_file_absent "$HK_TMP/sock-u" "socket directory after $d --user nosuchuser"
  hk_assert_eq "" "$(ip netns pids "$nsname")" "processes left in the namespace"
done
echo "ok: FILE:LINE:COL errors (value, keyword, brace, include; 3 daemons), -t, unknown --user"
