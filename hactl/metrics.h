// hactl metrics: the daemons' replies as text for node_exporter's textfile
// collector. Pure: replies and the time in, text out (hactl/metrics.cc);
// asking the daemons is hactl/metrics_command.cc.
//
// Two flavours differ only in the metadata of counters. node_exporter's
// textfile collector reads the Prometheus text format (0.0.4), where a
// counter's `# TYPE` names the sample (`hakeep_x_total`); OpenMetrics 1.0
// names the family without `_total`. `# UNIT` and `# EOF` are comments to a
// Prometheus parser, so the default flavour carries them too.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto/hakeep.pb.h"

namespace hakeep::hactl {

enum class MetricsFlavour { prometheus, openmetrics };

enum class MetricType { gauge, counter };

// One metric family: what hactl(8)'s METRICS section lists.
struct MetricFamily {
    const char* name;  // the sample name; counters end in _total
    MetricType type;
    const char* unit;  // "" or the suffix of the name before any _total
    const char* help;
};

// Every family hactl metrics can print, in the order it prints them.
std::span<const MetricFamily> metric_families();

// What one daemon answered. `status` absent: the daemon did not answer (or
// its view did not come), and only hakeep_daemon_up 0 is printed for it.
struct DaemonMetrics {
    std::string name;  // vrrpd, ipvsd, checkd
    std::optional<proto::StatusReply> status;
    std::optional<proto::VrrpReply> vrrp;      // vrrpd
    std::optional<proto::IpvsReply> ipvs;      // ipvsd, every page joined
    std::optional<proto::ChecksReply> checks;  // checkd, every page joined
};

struct MetricsInput {
    long long now_unix_ms = 0;  // turns uptimes into start times (daemons without start_unix_ms)
    std::vector<DaemonMetrics> daemons;
};

// The whole exposition, ending in "# EOF\n".
std::string format_metrics(const MetricsInput& input, MetricsFlavour flavour);

// A label value as both formats want it: backslash, double quote and line
// feed escaped, bytes that are not UTF-8 replaced by U+FFFD.
std::string escape_label_value(std::string_view value);

}  // namespace hakeep::hactl
