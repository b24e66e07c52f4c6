// hactl ipvs, drain, undrain: what ipvsd wants and what the kernel has.
#include <cstdio>
#include <string>

#include "hactl/commands.h"
#include "hactl/json.h"
#include "hactl/pages.h"
#include "hactl/query.h"
#include "hactl/table.h"

namespace hakeep::hactl {
namespace {

std::string kernel_weight_text(const proto::RealServerStatus& rs) {
    return rs.in_kernel() ? std::to_string(rs.kernel_weight()) : "-";
}

void print_json(const proto::IpvsReply& reply) {
    JsonWriter json;
    json.begin_object();
    json.key("kernel_available").value(reply.kernel_available());
    if (!reply.kernel_error().empty()) json.key("kernel_error").value(reply.kernel_error());
    json.key("checkd_connected").value(reply.checkd_connected());
    json.key("checks_stale").value(reply.checks_stale());
    json.key("operations_applied").value(static_cast<std::uint64_t>(reply.operations_applied()));
    json.key("operations_failed").value(static_cast<std::uint64_t>(reply.operations_failed()));
    json.key("check_events_refused").value(static_cast<std::uint64_t>(reply.check_events_refused()));
    json.key("virtual_servers").begin_array();
    for (const proto::VirtualServerStatus& vs : reply.virtual_servers()) {
        json.begin_object()
            .key("name").value(vs.label())
            .key("address").value(vs.address())
            .key("port").value(static_cast<std::uint64_t>(vs.port()))
            .key("protocol").value(vs.protocol())
            .key("fwmark").value(static_cast<std::uint64_t>(vs.fwmark()))
            .key("scheduler").value(vs.scheduler())
            .key("forwarding").value(vs.forwarding())
            .key("quorum").value(static_cast<std::int64_t>(vs.quorum()))
            .key("quorum_state").value(vs.quorum_up() ? "UP" : "DOWN")
            .key("live_weight").value(static_cast<std::int64_t>(vs.live_weight()));
        json.key("real_servers").begin_array();
        for (const proto::RealServerStatus& rs : vs.real_servers()) {
            json.begin_object()
                .key("address").value(rs.address())
                .key("configured_weight").value(static_cast<std::uint64_t>(rs.configured_weight()));
            json.key("kernel_weight");
            if (rs.in_kernel()) json.value(static_cast<std::int64_t>(rs.kernel_weight()));
            else json.null();
            json.key("health").value(rs.health())
                .key("track_check").value(rs.track_check())
                .key("drained").value(rs.drained())
                .key("sorry_server").value(rs.sorry())
                .key("reason").value(rs.reason())
                .key("connections").value(static_cast<std::uint64_t>(rs.connections()))
                .key("active_connections").value(static_cast<std::uint64_t>(rs.active_connections()))
                .key("inactive_connections").value(static_cast<std::uint64_t>(rs.inactive_connections()))
                .key("packets_in").value(static_cast<std::uint64_t>(rs.packets_in()))
                .key("packets_out").value(static_cast<std::uint64_t>(rs.packets_out()))
                .key("bytes_in").value(static_cast<std::uint64_t>(rs.bytes_in()))
                .key("bytes_out").value(static_cast<std::uint64_t>(rs.bytes_out()))
                .end_object();
        }
        json.end_array().end_object();
    }
    json.end_array().end_object();
    std::printf("%s\n", json.text().c_str());
}

void print_table(const proto::IpvsReply& reply) {
    const bool colour = colour_on_stdout();
    if (!reply.kernel_available())
        std::printf("kernel: IPVS unavailable: %s\n", reply.kernel_error().c_str());
    if (!reply.checkd_connected())
        std::printf("checkd: not connected%s\n",
                    reply.checks_stale() ? " (check states are stale)" : "");
    for (const proto::VirtualServerStatus& vs : reply.virtual_servers()) {
        // The label carries the protocol ("192.0.2.100:80/udp").
        std::printf("%s  %s %s  quorum %s (%d of %d)\n",
                    vs.label().c_str(), vs.scheduler().c_str(), vs.forwarding().c_str(),
                    paint_state(vs.quorum_up() ? "UP" : "DOWN", colour).c_str(), vs.live_weight(), vs.quorum());
        Table table({"  REAL SERVER", "HEALTH", "WEIGHT", "KERNEL", "CHECK", "CONNS", "ACTIVE",
                     "BYTES IN", "BYTES OUT", "NOTE"});
        for (const proto::RealServerStatus& rs : vs.real_servers()) {
            std::string note = rs.sorry() ? "sorry server" : rs.drained() ? "drained" : "";
            if (!rs.reason().empty() && rs.health() != "UP")
                note += (note.empty() ? "" : "; ") + rs.reason();
            table.add_row({"  " + rs.address(), paint_state(rs.health(), colour), std::to_string(rs.configured_weight()),
                           kernel_weight_text(rs), rs.track_check().empty() ? "-" : rs.track_check(),
                           std::to_string(rs.connections()), std::to_string(rs.active_connections()),
                           std::to_string(rs.bytes_in()), std::to_string(rs.bytes_out()), note});
        }
        std::fputs(table.render().c_str(), stdout);
    }
}

int drain_command(const Options& options, bool drain) {
    const char* name = drain ? "drain" : "undrain";
    if (options.args.size() != 2) {
        std::fprintf(stderr, "hactl: usage: hactl %s VIRTUAL_SERVER REAL_SERVER "
                             "(as hactl ipvs names them, e.g. 192.0.2.100:80/tcp 203.0.113.11:8080)\n",
                     name);
        return 2;
    }
    proto::Envelope request;
    if (drain) {
        request.mutable_drain()->set_virtual_server(options.args[0]);
        request.mutable_drain()->set_real_server(options.args[1]);
    } else {
        request.mutable_undrain()->set_virtual_server(options.args[0]);
        request.mutable_undrain()->set_real_server(options.args[1]);
    }
    return send_command(options, "ipvsd", request);
}

}  // namespace

int command_ipvs(const Options& options) {
    if (!options.args.empty()) {
        std::fprintf(stderr, "hactl: ipvs takes no arguments\n");
        return 2;
    }
    std::vector<Link> links = connect_all(options.socket_dir, {"ipvsd"});
    confine();
    // A large table comes in pages, each under the datagram cap; they are
    // joined into one reply before printing.
    proto::IpvsReply whole;
    std::string problem;
    if (!ask_ipvs(links.front(), whole, problem)) {
        std::fprintf(stderr, "hactl: %s\n", problem.c_str());
        return 1;
    }
    if (options.json) print_json(whole);
    else print_table(whole);
    return 0;
}

int command_drain(const Options& options) { return drain_command(options, true); }
int command_undrain(const Options& options) { return drain_command(options, false); }

}  // namespace hakeep::hactl
