#!/bin/bash
# hactl metrics (issue 6, hactl(8) METRICS): a VRRP pair elects a master,
# checkd runs real TCP checks (one UP, one DOWN), ipvsd runs without kernel
# IPVS (this host has none; tests/uml/t_ipvsd_metrics.sh has the kernel's
# counters). The text passes `promtool check metrics` (Prometheus text
# format, what node_exporter's textfile collector reads) without a lint
# remark, --openmetrics passes the strict OpenMetrics parser of
# prometheus_client, both parse to the same samples, and the values are the
# daemons' own: the MASTER instance MASTER=1, the DOWN check up 0, the drop
# counter the drops of hactl vrrp. A killed daemon is hakeep_daemon_up 0 and
# nothing else, and hactl still exits 0 so a cron job replaces the file.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$HK_NETNS_DIR/checkd_lib.sh"

command -v promtool >/dev/null || hk_fail "promtool is missing (Debian package prometheus); run 'make deps'"
"$HK_PYTHON" -c 'import prometheus_client' 2>/dev/null ||
  hk_fail "prometheus_client is missing (python3-prometheus-client); run 'make deps'"

hk_bridge_lab a b web
webip=$(hk_ip4 web)
ck_server web accept 8080   # web_up's target; nothing listens on 8081 (web_down)
hk_wait_for "hk_ns_exec a bash -c 'exec 3<>/dev/tcp/$webip/8080'" 5 || hk_fail "the TCP server did not start"

vrrp_conf() { # HOST PRIORITY
  hk_write_config "$HK_TMP/vrrpd-$1.conf" <<EOF2
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority $2
    advert_int 0.1
    virtual_ipaddress {
        192.0.2.100/24
    }
}
EOF2
}
vrrp_conf a 110
vrrp_conf b 100
hk_write_config "$HK_TMP/ipvsd.conf" <<EOF2
virtual_server 192.0.2.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server $webip 8080 { weight 2  track_check web_up }
    real_server $webip 8081 { weight 1  track_check web_down }
}
EOF2
hk_write_config "$HK_TMP/checkd.conf" <<EOF2
check web_up { address $webip 8080  delay_loop 0.2  TCP_CHECK { retry 0 } }
check web_down { address $webip 8081  delay_loop 0.2  TCP_CHECK { retry 0  connect_timeout 1 } }
EOF2

# a: all three daemons in $CK_SOCK; b: vrrpd alone in sock-b.
hk_start_daemon a vrrpd -f "$HK_TMP/vrrpd-a.conf" --socket-dir "$CK_SOCK" --user nobody
hk_start_daemon a ipvsd -f "$HK_TMP/ipvsd.conf" --socket-dir "$CK_SOCK" --user nobody
ck_start a "$HK_TMP/checkd.conf"
hk_start_daemon b vrrpd -f "$HK_TMP/vrrpd-b.conf" --socket-dir "$HK_TMP/sock-b" --user nobody
state() { # SOCKDIR
  "$HK_BIN/hactl" --socket-dir "$1" --json vrrp 2>/dev/null | hk_json 'd["instances"][0]["state"]' 2>/dev/null
}
hk_wait_for '[[ $(state "$CK_SOCK") == MASTER && $(state "$HK_TMP/sock-b") == BACKUP ]]' 5 ||
  hk_fail "a MASTER, b BACKUP expected; got a=$(state "$CK_SOCK") b=$(state "$HK_TMP/sock-b")"
ck_wait web_up 'c["state"]' UP 5
ck_wait web_down 'c["state"]' DOWN 5
hk_wait_for "hk_status_is '$CK_SOCK' ipvsd 'x[\"counters\"][\"checks_known\"]' 2" 5 ||
  hk_fail "ipvsd did not learn both checks: $(hk_status_field "$CK_SOCK" ipvsd 'x["counters"]')"

# Adverts with TTL 64 from b: a drops and counts them (reason ttl).
cat >"$HK_TMP/send.py" <<'EOF2'
import socket, struct
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
# VRRPv2 (the TTL is checked first), VRID 51, priority 254, one address.
body = struct.pack("!BBBBBBH", 0x21, 51, 254, 1, 0, 1, 0) + socket.inet_aton("192.0.2.100") + b"\0" * 8
packet = body[:6] + struct.pack("!H", csum(body)) + body[8:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 64)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
for _ in range(3):
    s.sendto(packet, ("224.0.0.18", 0))
EOF2
hk_ns_exec b "$HK_PYTHON" "$HK_TMP/send.py"
ttl_drops() { "$HK_BIN/hactl" --socket-dir "$CK_SOCK" --json vrrp | hk_json 'd["instances"][0]["counters"]["drops"]["ttl"]'; }
hk_wait_for '(( $(ttl_drops) >= 3 ))' 3 || hk_fail "vrrpd on a did not count the TTL-64 adverts: $(ttl_drops)"

# ---- both formats, both parsers
parse() { "$HK_PYTHON" "$HK_NETNS_DIR/metrics_parse.py" "$@"; }
# metrics WHEN: hactl metrics in both flavours (exit 0), promtool on the
# default one (no remark), the OpenMetrics parser on --openmetrics. Sets prom,
# om, parsed (the parser's JSON) and err (hactl's stderr).
metrics() {
  hk_hactl --socket-dir "$CK_SOCK" metrics
  hk_assert_rc 0 "hactl metrics $1"
  prom=$HK_OUT err=$HK_ERR
  hk_run promtool check metrics <<<"$prom"
  hk_assert_rc 0 "promtool check metrics $1"
  hk_assert_eq "" "$HK_OUT$HK_ERR" "promtool's remarks $1"
  hk_hactl --socket-dir "$CK_SOCK" metrics --openmetrics
  hk_assert_rc 0 "hactl metrics --openmetrics $1"
  om=$HK_OUT
  hk_run parse openmetrics <<<"$om"
  hk_assert_rc 0 "the OpenMetrics parser $1"
  parsed=$HK_OUT
}
metrics "with every daemon up"
hk_assert_eq "" "$err" "hactl metrics' stderr with every daemon up"
hk_run parse prometheus <<<"$prom"
hk_assert_rc 0 "the Prometheus text parser"
# Read between the two hactl runs, so counters may have moved: same series.
hk_assert_eq "$(hk_json 'sorted(d["samples"])' <<<"$parsed")" "$(hk_json 'sorted(d["samples"])' <<<"$HK_OUT")" \
  "series of the two flavours"
hk_assert_eq "$(hk_json 'd["types"]' <<<"$parsed")" "$(hk_json 'd["types"]' <<<"$HK_OUT")" "types of the two flavours"
# And the OpenMetrics parser refuses the Prometheus flavour's counters: the
# flavours differ where they must, and only there.
hk_run parse openmetrics <<<"$prom"
hk_assert_rc 1 "the OpenMetrics parser on the Prometheus flavour"
hk_assert_contains "_total" "$HK_ERR" "why the OpenMetrics parser refuses it"
samples() { grep -v '^# \(HELP\|TYPE\|UNIT\) ' | sed 's/ [^ ]*$//'; }
hk_assert_eq "$(samples <<<"$prom")" "$(samples <<<"$om")" "sample lines (values aside) of the two flavours"

value() { # KEY: a sample of the parsed --openmetrics text
  hk_json "d['samples'].get('$1', 'absent')" <<<"$parsed"
}
expect() { # KEY VALUE
  hk_assert_eq "$2" "$(value "$1")" "$1"
}
for d in vrrpd ipvsd checkd; do expect "hakeep_daemon_up|daemon=$d" 1.0; done
expect 'hakeep_vrrp_state|instance=VI_1|state=MASTER' 1.0
expect 'hakeep_vrrp_state|instance=VI_1|state=BACKUP' 0.0
expect 'hakeep_vrrp_priority|instance=VI_1' 110.0
expect 'hakeep_vrrp_effective_priority|instance=VI_1' 110.0
expect 'hakeep_vrrp_advert_interval_seconds|instance=VI_1' 0.1
expect 'hakeep_vrrp_instance_info|family=inet|instance=VI_1|interface=eth0|sync_group=|version=3|vrid=51' 1.0
hk_assert_eq true "$(hk_json 'd["samples"]["hakeep_vrrp_adverts_sent_total|instance=VI_1"] > 0' <<<"$parsed")" "adverts sent"
hk_assert_eq true "$(hk_json 'd["samples"]["hakeep_vrrp_became_master_total|instance=VI_1"] >= 1' <<<"$parsed")" "became master"
drops=$(hk_json 'd["samples"]["hakeep_vrrp_drops_total|instance=VI_1|reason=ttl"]' <<<"$parsed")
hk_assert_eq "$(ttl_drops).0" "$drops" "ttl drops in metrics and in hactl vrrp"
hk_assert_eq true "$(hk_json '"hakeep_vrrp_drops_total|instance=VI_1|reason=checksum" in d["samples"]' <<<"$parsed")" \
  "every drop reason, zeros included"
hk_assert_eq counter "$(hk_json 'd["types"]["hakeep_vrrp_drops"]' <<<"$parsed")" "type of the drops"
expect 'hakeep_check_up|check=web_up' 1.0
expect 'hakeep_check_up|check=web_down' 0.0
expect 'hakeep_check_state|check=web_down|state=DOWN' 1.0
expect "hakeep_check_info|check=web_down|target=$webip:8081|type=TCP_CHECK" 1.0
hk_assert_eq true "$(hk_json 'd["samples"]["hakeep_check_consecutive_failures|check=web_down"] >= 1' <<<"$parsed")" \
  "web_down's consecutive failures"
hk_assert_eq true "$(hk_json 'd["samples"]["hakeep_check_state_changes_total|check=web_down"] == 1' <<<"$parsed")" \
  "web_down's state changes (UNKNOWN -> DOWN)"
hk_assert_eq true "$(hk_json '0 < d["samples"]["hakeep_check_latency_seconds|check=web_up"] < 1' <<<"$parsed")" \
  "web_up's latency in seconds"
hk_assert_eq true "$(hk_json 'd["samples"]["hakeep_check_runs_total|check=web_up"] >= 1' <<<"$parsed")" "web_up's runs"
expect 'hakeep_checkd_worker_restarts_total' 0.0
expect 'hakeep_ipvs_kernel_available' 0.0
expect "hakeep_ipvs_real_server_up|real_server=$webip:8080|virtual_server=192.0.2.100:80/tcp" 1.0
expect "hakeep_ipvs_real_server_up|real_server=$webip:8081|virtual_server=192.0.2.100:80/tcp" 0.0
expect "hakeep_ipvs_real_server_weight|real_server=$webip:8080|virtual_server=192.0.2.100:80/tcp" 2.0
expect "hakeep_ipvs_real_server_in_kernel|real_server=$webip:8080|virtual_server=192.0.2.100:80/tcp" 0.0
expect "hakeep_ipvs_real_server_kernel_weight|real_server=$webip:8080|virtual_server=192.0.2.100:80/tcp" absent
expect 'hakeep_daemon_peer_connected|daemon=vrrpd|peer=checkd' 1.0
# Start times: vrrpd's, within the test's run.
now=$(date +%s)
start=$(hk_json 'd["samples"]["hakeep_daemon_start_time_seconds|daemon=vrrpd"]' <<<"$parsed")
hk_assert_eq true "$(hk_json "$now - 60 < $start <= $now + 1" <<<'{}')" "vrrpd's start time $start (now $now)"
# Every family printed is in hactl(8)'s METRICS section.
for family in $(grep -o '^# TYPE [a-z_]*' <<<"$prom" | cut -d' ' -f3); do
  grep -q "^\.It Sy $family " "$HK_REPO/man/hactl.8" || hk_fail "hactl(8) does not list $family"
done

# b: the BACKUP, and only the daemon it was asked about.
hk_hactl --socket-dir "$HK_TMP/sock-b" metrics --openmetrics vrrpd
hk_assert_rc 0 "hactl metrics vrrpd on b"
hk_run parse openmetrics <<<"$HK_OUT"
hk_assert_rc 0 "the OpenMetrics parser on b's text"
hk_assert_eq '[1.0, 0.0]' "$(hk_json '[d["samples"]["hakeep_vrrp_state|instance=VI_1|state=" + s] for s in ("BACKUP", "MASTER")]' <<<"$HK_OUT")" \
  "b's BACKUP and MASTER"
hk_assert_eq '["hakeep_daemon_up|daemon=vrrpd"]' "$(hk_json 'sorted(k for k in d["samples"] if k.startswith("hakeep_daemon_up"))' <<<"$HK_OUT")" \
  "daemons in b's text"

# ---- a daemon down: up 0 and nothing else of it; exit 0 for the cron job
hk_stop_daemon a checkd
metrics "with checkd stopped"
hk_assert_contains "checkd is not running" "$err" "hactl metrics' stderr"
expect 'hakeep_daemon_up|daemon=checkd' 0.0
expect 'hakeep_daemon_up|daemon=vrrpd' 1.0
hk_assert_eq '[]' "$(hk_json 'sorted(k for k in d["samples"] if "daemon=checkd" in k and not k.startswith("hakeep_daemon_up|"))' <<<"$parsed")" \
  "checkd's series besides hakeep_daemon_up"
hk_assert_eq '[]' "$(hk_json 'sorted(k for k in d["samples"] if k.startswith("hakeep_check"))' <<<"$parsed")" "check series"
expect 'hakeep_daemon_peer_connected|daemon=vrrpd|peer=checkd' 0.0
expect 'hakeep_daemon_start_time_seconds|daemon=vrrpd' "$start"   # the same in every run
expect 'hakeep_vrrp_state|instance=VI_1|state=MASTER' 1.0

# ---- a table of many pages: 1500 virtual servers, far over one datagram
for ((i = 1; i <= 1500; i++)); do
  printf 'virtual_server 198.51.100.%d %d {\n    lb_algo rr\n    lb_kind NAT\n    protocol TCP\n' $((i % 250 + 1)) $((1000 + i))
  printf '    real_server 203.0.113.%d 8080 { weight 1 }\n}\n' $((i % 250 + 1))
done | hk_write_config "$HK_TMP/ipvsd.conf"
hk_hactl --socket-dir "$CK_SOCK" reload ipvsd
hk_assert_rc 0 "hactl reload ipvsd (1500 virtual servers)"
hk_hactl --socket-dir "$CK_SOCK" metrics --openmetrics ipvsd
hk_assert_rc 0 "hactl metrics ipvsd with 1500 virtual servers"
hk_assert_eq 1000000 "$(wc -c <<<"$HK_OUT" | awk '{ print ($1 > 1000000 ? 1000000 : $1) }')" "size of the text (over 1 MB)"
hk_run parse openmetrics <<<"$HK_OUT"
hk_assert_rc 0 "the OpenMetrics parser on 1500 virtual servers"
hk_assert_eq '[1500, 1500, 1.0]' "$(hk_json '[sum(k.startswith(f + "|") for k in d["samples"]) for f in ("hakeep_ipvs_virtual_server_info", "hakeep_ipvs_real_server_up")] + [d["samples"].get("hakeep_ipvs_real_server_up|real_server=203.0.113.1:8080|virtual_server=198.51.100.1:2500/tcp")]' <<<"$HK_OUT")" \
  "virtual servers and real servers of every page, the last one up"

# ---- what is not metrics
hk_hactl --socket-dir "$CK_SOCK" metrics bogus
hk_assert_rc 2 "hactl metrics bogus"
hk_hactl --socket-dir "$CK_SOCK" --json metrics
hk_assert_rc 2 "hactl --json metrics"
# Output that cannot be written whole: exit 1, so `&& mv` keeps the old file.
rc=0
"$HK_BIN/hactl" --socket-dir "$CK_SOCK" metrics >/dev/full 2>"$HK_TMP/full.err" || rc=$?
hk_assert_eq 1 "$rc" "hactl metrics > /dev/full"
hk_assert_contains "cannot write" "$(<"$HK_TMP/full.err")" "hactl metrics' complaint about /dev/full"
echo "ok: hactl metrics passes promtool and the OpenMetrics parser, with the daemons' values; a stopped daemon is up 0"
