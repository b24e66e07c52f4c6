#include "hactl/metrics.h"

#include <charconv>
#include <concepts>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

namespace hakeep::hactl {
namespace {

constexpr MetricType gauge = MetricType::gauge;
constexpr MetricType counter = MetricType::counter;

// HELP texts stay free of backslash, double quote and line feed: the two
// formats escape different sets of characters there.
constexpr MetricFamily families[] = {
    // every daemon
    {"hakeep_daemon_up", gauge, "", "1 if the daemon answered hactl (its status and its view), else 0."},
    {"hakeep_daemon_info", gauge, "", "Always 1; labels say the daemon's version and the account it runs as."},
    {"hakeep_daemon_start_time_seconds", gauge, "seconds", "When the daemon started, in seconds since the epoch."},
    {"hakeep_daemon_config_load_timestamp_seconds", gauge, "seconds",
     "When the daemon last loaded its configuration, in seconds since the epoch."},
    {"hakeep_daemon_peer_connected", gauge, "", "1 while the daemon is connected to that peer daemon, else 0."},
    {"hakeep_daemon_checks_stale", gauge, "",
     "1 while the daemon holds check states of a checkd that is gone (vrrpd, ipvsd), else 0."},
    // vrrpd
    {"hakeep_vrrp_instance_info", gauge, "", "Always 1; labels say how the VRRP instance is configured."},
    {"hakeep_vrrp_state", gauge, "", "1 for the VRRP instance's current state, 0 for the others."},
    {"hakeep_vrrp_priority", gauge, "", "Configured VRRP priority."},
    {"hakeep_vrrp_effective_priority", gauge, "", "VRRP priority after tracking weights, as advertised."},
    {"hakeep_vrrp_advert_interval_seconds", gauge, "seconds", "Configured advertisement interval."},
    {"hakeep_vrrp_last_transition_timestamp_seconds", gauge, "seconds",
     "When the instance last changed state, in seconds since the epoch."},
    {"hakeep_vrrp_transitions_total", counter, "", "State changes of the VRRP instance."},
    {"hakeep_vrrp_became_master_total", counter, "", "Times the VRRP instance became MASTER."},
    {"hakeep_vrrp_released_master_total", counter, "", "Times the VRRP instance left MASTER."},
    {"hakeep_vrrp_adverts_sent_total", counter, "", "VRRP advertisements sent."},
    {"hakeep_vrrp_adverts_received_total", counter, "", "Valid VRRP advertisements received."},
    {"hakeep_vrrp_priority_zero_sent_total", counter, "", "Priority-0 advertisements sent (MASTER resigning)."},
    {"hakeep_vrrp_priority_zero_received_total", counter, "", "Priority-0 advertisements received."},
    {"hakeep_vrrp_drops_total", counter, "", "VRRP packets for this instance dropped, by reason."},
    {"hakeep_vrrp_unassigned_drops_total", counter, "", "VRRP packets no instance claims, dropped, by reason."},
    // ipvsd
    {"hakeep_ipvs_kernel_available", gauge, "", "1 while ipvsd can talk to the kernel's IPVS, else 0."},
    {"hakeep_ipvs_operations_applied_total", counter, "", "IPVS netlink operations that succeeded."},
    {"hakeep_ipvs_operations_failed_total", counter, "", "IPVS netlink operations that failed."},
    {"hakeep_ipvs_check_events_refused_total", counter, "", "Check events from checkd naming no known check."},
    {"hakeep_ipvs_virtual_server_info", gauge, "", "Always 1; labels say how the virtual server is configured."},
    {"hakeep_ipvs_virtual_server_quorum_up", gauge, "", "1 while the virtual server has its quorum, else 0."},
    {"hakeep_ipvs_virtual_server_quorum", gauge, "", "Configured quorum: the live weight the virtual server needs."},
    {"hakeep_ipvs_virtual_server_live_weight", gauge, "", "Sum of the weights of the real servers that are up."},
    {"hakeep_ipvs_real_server_info", gauge, "",
     "Always 1; labels name the check the real server tracks and say whether it is the sorry server."},
    {"hakeep_ipvs_real_server_up", gauge, "", "1 if the real server is healthy (UP), 0 if DOWN or not known yet."},
    {"hakeep_ipvs_real_server_drained", gauge, "", "1 while the real server is drained (hactl drain), else 0."},
    {"hakeep_ipvs_real_server_weight", gauge, "", "Configured weight of the real server."},
    {"hakeep_ipvs_real_server_in_kernel", gauge, "", "1 if the real server is in the kernel's IPVS table, else 0."},
    {"hakeep_ipvs_real_server_kernel_weight", gauge, "", "Weight of the real server in the kernel."},
    {"hakeep_ipvs_real_server_active_connections", gauge, "", "Active connections to the real server (kernel)."},
    {"hakeep_ipvs_real_server_inactive_connections", gauge, "", "Inactive connections to the real server (kernel)."},
    {"hakeep_ipvs_real_server_connections_total", counter, "", "Connections scheduled to the real server (kernel)."},
    {"hakeep_ipvs_real_server_in_packets_total", counter, "", "Packets from clients to the real server (kernel)."},
    {"hakeep_ipvs_real_server_out_packets_total", counter, "", "Packets from the real server to clients (kernel)."},
    {"hakeep_ipvs_real_server_in_bytes_total", counter, "bytes", "Bytes from clients to the real server (kernel)."},
    {"hakeep_ipvs_real_server_out_bytes_total", counter, "bytes", "Bytes from the real server to clients (kernel)."},
    // checkd
    {"hakeep_checkd_workers", gauge, "", "Network check workers checkd runs."},
    {"hakeep_checkd_worker_restarts_total", counter, "", "Crashed or killed checkd workers restarted."},
    {"hakeep_check_info", gauge, "", "Always 1; labels say the check's type and target."},
    {"hakeep_check_up", gauge, "", "1 if the check is UP, 0 if DOWN or not run yet."},
    {"hakeep_check_state", gauge, "", "1 for the check's current state (UP, DOWN, UNKNOWN), 0 for the others."},
    {"hakeep_check_consecutive_failures", gauge, "", "Failed runs of the check in a row."},
    {"hakeep_check_latency_seconds", gauge, "seconds", "Duration of the check's last run."},
    {"hakeep_check_weight", gauge, "", "The check's weight: a vrrp_script's weight, or a dynamic weight."},
    {"hakeep_check_last_change_timestamp_seconds", gauge, "seconds",
     "When the check last changed state, in seconds since the epoch."},
    {"hakeep_check_runs_total", counter, "", "Runs of the check."},
    {"hakeep_check_state_changes_total", counter, "", "Changes of the check's state, the first result included."},
};

using Labels = std::initializer_list<std::pair<const char*, std::string_view>>;

std::string number(std::integral auto value) { return std::to_string(value); }

// Fixed notation, as short as round-trips: 0.000061, 1795611021.593, 1800000000.
std::string number(double value) {
    char text[400];  // the longest fixed form of a double
    const auto result = std::to_chars(std::begin(text), std::end(text), value, std::chars_format::fixed);
    return std::string(text, result.ptr);
}

std::string seconds_from_ms(long long ms) { return number(static_cast<double>(ms) / 1000.0); }

// Samples gathered per family, printed family by family in the table's order.
class Exposition {
public:
    Exposition() {
        for (std::size_t index = 0; index < std::size(families); ++index) index_.emplace(families[index].name, index);
    }

    void add(std::string_view family, Labels labels, std::string_view value) {
        auto found = index_.find(family);
        if (found == index_.end()) throw std::logic_error("hactl metrics: no family " + std::string(family));
        std::string label_text;
        for (const auto& [name, label_value] : labels)
            label_text += std::string(label_text.empty() ? "{" : ",") + name + "=\"" +
                          escape_label_value(label_value) + "\"";
        if (!label_text.empty()) label_text += "}";
        // A label set twice in one family is invalid: the first one stays.
        if (!seen_[found->second].insert(label_text).second) return;
        samples_[found->second] += std::string(family) + label_text + " " + std::string(value) + "\n";
    }

    std::string render(MetricsFlavour flavour) const {
        std::string text;
        for (const auto& [index, samples] : samples_) {
            const MetricFamily& family = families[index];
            std::string meta = family.name;
            if (flavour == MetricsFlavour::openmetrics && family.type == counter)
                meta.resize(meta.size() - std::string_view("_total").size());
            text += "# HELP " + meta + " " + family.help + "\n";
            text += "# TYPE " + meta + (family.type == counter ? " counter\n" : " gauge\n");
            if (*family.unit != '\0') text += "# UNIT " + meta + " " + family.unit + "\n";
            text += samples;
        }
        return text + "# EOF\n";
    }

private:
    std::map<std::string_view, std::size_t> index_;
    std::map<std::size_t, std::string> samples_;
    std::map<std::size_t, std::set<std::string>> seen_;
};

std::string_view flag(bool value) { return value ? "1" : "0"; }

// A state set as gauges: each known state 0, the current one 1 (also when
// it is none of the known ones).
void state_set(Exposition& out, const char* family, const char* key_label, std::string_view key,
               std::initializer_list<std::string_view> known, std::string_view current) {
    bool listed = false;
    for (std::string_view state : known) {
        out.add(family, {{key_label, key}, {"state", state}}, flag(state == current));
        listed = listed || state == current;
    }
    if (!listed) out.add(family, {{key_label, key}, {"state", current}}, "1");
}

void status_metrics(Exposition& out, const std::string& daemon, const proto::StatusReply& status,
                    long long now_unix_ms) {
    out.add("hakeep_daemon_info", {{"daemon", daemon}, {"version", status.version()}, {"user", status.user()}}, "1");
    // The daemon's own start time: the same value in every run, so that a
    // change of it means a restart. From its uptime only for a daemon too
    // old to say.
    const long long started = status.start_unix_ms() != 0
                                  ? static_cast<long long>(status.start_unix_ms())
                                  : now_unix_ms - static_cast<long long>(status.uptime_ms());
    out.add("hakeep_daemon_start_time_seconds", {{"daemon", daemon}}, seconds_from_ms(started));
    if (status.config_loaded_unix_ms() != 0)
        out.add("hakeep_daemon_config_load_timestamp_seconds", {{"daemon", daemon}},
                seconds_from_ms(static_cast<long long>(status.config_loaded_unix_ms())));
    for (const proto::PeerStatus& peer : status.peers()) {
        const char* name = peer.peer() == proto::DAEMON_VRRPD    ? "vrrpd"
                           : peer.peer() == proto::DAEMON_IPVSD  ? "ipvsd"
                           : peer.peer() == proto::DAEMON_CHECKD ? "checkd"
                                                                 : nullptr;
        if (name != nullptr)
            out.add("hakeep_daemon_peer_connected", {{"daemon", daemon}, {"peer", name}},
                    flag(peer.connected()));
    }
}

void drops(Exposition& out, const char* family, const google::protobuf::RepeatedPtrField<proto::VrrpDrop>& list,
           const std::string* instance) {
    for (const proto::VrrpDrop& drop : list) {
        if (instance != nullptr)
            out.add(family, {{"instance", *instance}, {"reason", drop.reason()}}, number(drop.count()));
        else
            out.add(family, {{"reason", drop.reason()}}, number(drop.count()));
    }
}

void vrrp_metrics(Exposition& out, const proto::VrrpReply& reply) {
    out.add("hakeep_daemon_checks_stale", {{"daemon", "vrrpd"}}, flag(reply.checks_stale()));
    for (const proto::VrrpInstanceStatus& vi : reply.instances()) {
        const Labels instance = {{"instance", vi.name()}};
        out.add("hakeep_vrrp_instance_info",
                {{"instance", vi.name()}, {"vrid", number(vi.vrid())}, {"interface", vi.interface()},
                 {"version", number(vi.version())}, {"family", vi.family()}, {"sync_group", vi.sync_group()}},
                "1");
        state_set(out, "hakeep_vrrp_state", "instance", vi.name(), {"INIT", "BACKUP", "MASTER", "FAULT"}, vi.state());
        out.add("hakeep_vrrp_priority", instance, number(vi.priority()));
        out.add("hakeep_vrrp_effective_priority", instance, number(vi.effective_priority()));
        out.add("hakeep_vrrp_advert_interval_seconds", instance, number(vi.advert_int_centis() / 100.0));
        if (vi.last_transition_unix_ms() != 0)
            out.add("hakeep_vrrp_last_transition_timestamp_seconds", instance,
                    seconds_from_ms(static_cast<long long>(vi.last_transition_unix_ms())));
        out.add("hakeep_vrrp_transitions_total", instance, number(vi.transitions()));
        out.add("hakeep_vrrp_became_master_total", instance, number(vi.became_master()));
        out.add("hakeep_vrrp_released_master_total", instance, number(vi.released_master()));
        out.add("hakeep_vrrp_adverts_sent_total", instance, number(vi.adverts_sent()));
        out.add("hakeep_vrrp_adverts_received_total", instance, number(vi.adverts_received()));
        out.add("hakeep_vrrp_priority_zero_sent_total", instance, number(vi.priority_zero_sent()));
        out.add("hakeep_vrrp_priority_zero_received_total", instance, number(vi.priority_zero_received()));
        drops(out, "hakeep_vrrp_drops_total", vi.drops(), &vi.name());
    }
    drops(out, "hakeep_vrrp_unassigned_drops_total", reply.unassigned_drops(), nullptr);
}

void real_server_metrics(Exposition& out, const std::string& virtual_server, const proto::RealServerStatus& rs) {
    const Labels labels = {{"virtual_server", virtual_server}, {"real_server", rs.address()}};
    out.add("hakeep_ipvs_real_server_info",
            {{"virtual_server", virtual_server}, {"real_server", rs.address()}, {"check", rs.track_check()},
             {"sorry_server", flag(rs.sorry())}},
            "1");
    out.add("hakeep_ipvs_real_server_up", labels, flag(rs.health() == "UP"));
    out.add("hakeep_ipvs_real_server_drained", labels, flag(rs.drained()));
    out.add("hakeep_ipvs_real_server_weight", labels, number(rs.configured_weight()));
    out.add("hakeep_ipvs_real_server_in_kernel", labels, flag(rs.in_kernel()));
    // The kernel's numbers exist only for a destination the kernel has.
    if (!rs.in_kernel()) return;
    out.add("hakeep_ipvs_real_server_kernel_weight", labels, number(rs.kernel_weight()));
    out.add("hakeep_ipvs_real_server_active_connections", labels, number(rs.active_connections()));
    out.add("hakeep_ipvs_real_server_inactive_connections", labels, number(rs.inactive_connections()));
    out.add("hakeep_ipvs_real_server_connections_total", labels, number(rs.connections()));
    out.add("hakeep_ipvs_real_server_in_packets_total", labels, number(rs.packets_in()));
    out.add("hakeep_ipvs_real_server_out_packets_total", labels, number(rs.packets_out()));
    out.add("hakeep_ipvs_real_server_in_bytes_total", labels, number(rs.bytes_in()));
    out.add("hakeep_ipvs_real_server_out_bytes_total", labels, number(rs.bytes_out()));
}

void ipvs_metrics(Exposition& out, const proto::IpvsReply& reply) {
    out.add("hakeep_daemon_checks_stale", {{"daemon", "ipvsd"}}, flag(reply.checks_stale()));
    out.add("hakeep_ipvs_kernel_available", {}, flag(reply.kernel_available()));
    out.add("hakeep_ipvs_operations_applied_total", {}, number(reply.operations_applied()));
    out.add("hakeep_ipvs_operations_failed_total", {}, number(reply.operations_failed()));
    out.add("hakeep_ipvs_check_events_refused_total", {}, number(reply.check_events_refused()));
    for (const proto::VirtualServerStatus& vs : reply.virtual_servers()) {
        const Labels labels = {{"virtual_server", vs.label()}};
        out.add("hakeep_ipvs_virtual_server_info",
                {{"virtual_server", vs.label()}, {"protocol", vs.protocol()}, {"scheduler", vs.scheduler()},
                 {"forwarding", vs.forwarding()}},
                "1");
        out.add("hakeep_ipvs_virtual_server_quorum_up", labels, flag(vs.quorum_up()));
        out.add("hakeep_ipvs_virtual_server_quorum", labels, number(vs.quorum()));
        out.add("hakeep_ipvs_virtual_server_live_weight", labels, number(vs.live_weight()));
        for (const proto::RealServerStatus& rs : vs.real_servers()) real_server_metrics(out, vs.label(), rs);
    }
}

void checks_metrics(Exposition& out, const proto::ChecksReply& reply) {
    out.add("hakeep_checkd_workers", {}, number(reply.workers()));
    out.add("hakeep_checkd_worker_restarts_total", {}, number(reply.worker_restarts()));
    for (const proto::CheckDetail& check : reply.checks()) {
        const Labels labels = {{"check", check.name()}};
        out.add("hakeep_check_info", {{"check", check.name()}, {"type", check.type()}, {"target", check.target()}},
                "1");
        out.add("hakeep_check_up", labels, flag(check.state() == "UP"));
        state_set(out, "hakeep_check_state", "check", check.name(), {"UP", "DOWN", "UNKNOWN"}, check.state());
        out.add("hakeep_check_consecutive_failures", labels, number(check.consecutive_failures()));
        if (check.runs() != 0)
            out.add("hakeep_check_latency_seconds", labels, number(check.latency_us() / 1e6));
        out.add("hakeep_check_weight", labels, number(check.weight()));
        if (check.since_unix_ms() != 0)
            out.add("hakeep_check_last_change_timestamp_seconds", labels,
                    seconds_from_ms(static_cast<long long>(check.since_unix_ms())));
        out.add("hakeep_check_runs_total", labels, number(check.runs()));
        out.add("hakeep_check_state_changes_total", labels, number(check.state_changes()));
    }
}

// The length of the valid UTF-8 sequence at `at`, 0 if there is none.
std::size_t utf8_sequence(std::string_view text, std::size_t at) {
    const auto lead = static_cast<unsigned char>(text[at]);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    std::uint32_t code = 0, lowest = 0;
    if ((lead & 0xe0) == 0xc0) length = 2, code = lead & 0x1fu, lowest = 0x80;
    else if ((lead & 0xf0) == 0xe0) length = 3, code = lead & 0x0fu, lowest = 0x800;
    else if ((lead & 0xf8) == 0xf0) length = 4, code = lead & 0x07u, lowest = 0x10000;
    else return 0;
    if (at + length > text.size()) return 0;
    for (std::size_t index = 1; index < length; ++index) {
        const auto byte = static_cast<unsigned char>(text[at + index]);
        if ((byte & 0xc0) != 0x80) return 0;
        code = (code << 6) | (byte & 0x3fu);
    }
    if (code < lowest || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    return length;
}

}  // namespace

std::span<const MetricFamily> metric_families() { return families; }

std::string escape_label_value(std::string_view value) {
    std::string text;
    text.reserve(value.size());
    for (std::size_t at = 0; at < value.size();) {
        const char byte = value[at];
        const std::size_t length = byte == '\0' ? 0 : utf8_sequence(value, at);
        if (length == 0) {
            text += "\xef\xbf\xbd";  // U+FFFD
            ++at;
            continue;
        }
        if (byte == '\\') text += "\\\\";
        else if (byte == '"') text += "\\\"";
        else if (byte == '\n') text += "\\n";
        else text.append(value.substr(at, length));
        at += length;
    }
    return text;
}

std::string format_metrics(const MetricsInput& input, MetricsFlavour flavour) {
    Exposition out;
    for (const DaemonMetrics& daemon : input.daemons)
        out.add("hakeep_daemon_up", {{"daemon", daemon.name}}, flag(daemon.status.has_value()));
    for (const DaemonMetrics& daemon : input.daemons) {
        if (!daemon.status) continue;
        status_metrics(out, daemon.name, *daemon.status, input.now_unix_ms);
        if (daemon.vrrp) vrrp_metrics(out, *daemon.vrrp);
        if (daemon.ipvs) ipvs_metrics(out, *daemon.ipvs);
        if (daemon.checks) checks_metrics(out, *daemon.checks);
    }
    return out.render(flavour);
}

}  // namespace hakeep::hactl
