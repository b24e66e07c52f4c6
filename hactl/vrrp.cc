// hactl vrrp, resign and set-priority: what vrrpd's instances are doing,
// and the operator's say in their elections.
#include <cstdio>
#include <string>

#include "hactl/commands.h"
#include "hactl/json.h"
#include "hactl/query.h"
#include "hactl/table.h"

namespace hakeep::hactl {
namespace {

void drops_json(JsonWriter& json, const google::protobuf::RepeatedPtrField<proto::VrrpDrop>& drops) {
    json.begin_object();
    for (const proto::VrrpDrop& drop : drops) json.key(drop.reason()).value(static_cast<std::uint64_t>(drop.count()));
    json.end_object();
}

std::uint64_t total(const google::protobuf::RepeatedPtrField<proto::VrrpDrop>& drops) {
    std::uint64_t sum = 0;
    for (const proto::VrrpDrop& drop : drops) sum += drop.count();
    return sum;
}

void print_json(const proto::VrrpReply& reply) {
    JsonWriter json;
    json.begin_object();
    json.key("checkd_connected").value(reply.checkd_connected());
    json.key("checks_stale").value(reply.checks_stale());
    json.key("instances").begin_array();
    for (const proto::VrrpInstanceStatus& vi : reply.instances()) {
        json.begin_object()
            .key("name").value(vi.name())
            .key("state").value(vi.state())
            .key("priority").value(static_cast<std::uint64_t>(vi.priority()))
            .key("effective_priority").value(static_cast<std::uint64_t>(vi.effective_priority()));
        json.key("runtime_priority");
        if (vi.runtime_priority() == 0) json.null();
        else json.value(static_cast<std::uint64_t>(vi.runtime_priority()));
        json.key("vrid").value(static_cast<std::uint64_t>(vi.vrid()))
            .key("interface").value(vi.interface())
            .key("version").value(static_cast<std::uint64_t>(vi.version()))
            .key("family").value(vi.family());
        json.key("vips").begin_array();
        for (const std::string& vip : vi.vips()) json.value(vip);
        json.end_array();
        json.key("excluded_vips").begin_array();
        for (const std::string& vip : vi.excluded_vips()) json.value(vip);
        json.end_array();
        json.key("master_address");
        if (vi.master_address().empty()) json.null();
        else json.value(vi.master_address());
        json.key("advert_int").value(vi.advert_int_centis() / 100.0)
            .key("master_advert_int").value(vi.master_adver_int_centis() / 100.0)
            .key("unicast").value(vi.unicast())
            .key("sync_group").value(vi.sync_group());
        json.key("counters").begin_object()
            .key("adverts_sent").value(static_cast<std::uint64_t>(vi.adverts_sent()))
            .key("adverts_received").value(static_cast<std::uint64_t>(vi.adverts_received()))
            .key("priority_zero_sent").value(static_cast<std::uint64_t>(vi.priority_zero_sent()))
            .key("priority_zero_received").value(static_cast<std::uint64_t>(vi.priority_zero_received()))
            .key("became_master").value(static_cast<std::uint64_t>(vi.became_master()))
            .key("released_master").value(static_cast<std::uint64_t>(vi.released_master()))
            .key("transitions").value(static_cast<std::uint64_t>(vi.transitions()))
            .key("dropped").value(total(vi.drops()));
        json.key("drops");
        drops_json(json, vi.drops());
        json.end_object();
        json.key("last_transition").begin_object();
        json.key("unix_ms");
        if (vi.last_transition_unix_ms() == 0) json.null();
        else json.value(static_cast<std::uint64_t>(vi.last_transition_unix_ms()));
        json.key("reason").value(vi.last_transition_reason()).end_object();
        json.key("fault_reason").value(vi.fault_reason());
        json.key("trackers").begin_array();
        for (const std::string& tracker : vi.trackers()) json.value(tracker);
        json.end_array();
        json.end_object();
    }
    json.end_array();
    json.key("unassigned_drops");
    drops_json(json, reply.unassigned_drops());
    json.end_object();
    std::printf("%s\n", json.text().c_str());
}

void print_table(const proto::VrrpReply& reply) {
    if (!reply.checkd_connected())
        std::printf("checkd: not connected%s\n", reply.checks_stale() ? " (tracked checks count as failed)" : "");
    const bool colour = colour_on_stdout();
    Table table({"INSTANCE", "STATE", "PRIO", "EFF", "VRID", "IF", "VER", "MASTER", "VIPS", "SENT", "RECV",
                 "DROPS", "LAST TRANSITION"});
    std::string runtime;
    for (const proto::VrrpInstanceStatus& vi : reply.instances()) {
        std::string vips;
        for (const std::string& vip : vi.vips()) vips += (vips.empty() ? "" : ",") + vip;
        std::string reason = vi.last_transition_reason();
        if (!vi.fault_reason().empty()) reason = vi.fault_reason();
        // A priority set at runtime is marked, and explained below the table.
        const std::string priority = vi.runtime_priority() == 0 ? std::to_string(vi.priority())
                                                                : std::to_string(vi.runtime_priority()) + "*";
        if (vi.runtime_priority() != 0)
            runtime += "  " + vi.name() + ": " + std::to_string(vi.runtime_priority()) + " (configured " +
                       std::to_string(vi.priority()) + ")\n";
        table.add_row({vi.name(), paint_state(vi.state(), colour), priority,
                       std::to_string(vi.effective_priority()), std::to_string(vi.vrid()), vi.interface(),
                       "v" + std::to_string(vi.version()), vi.master_address().empty() ? "-" : vi.master_address(),
                       vips.empty() ? "-" : vips, std::to_string(vi.adverts_sent()),
                       std::to_string(vi.adverts_received()), std::to_string(total(vi.drops())), reason});
    }
    std::fputs(table.render().c_str(), stdout);
    if (!runtime.empty())
        std::printf("* priority set at runtime (hactl set-priority), until vrrpd restarts:\n%s", runtime.c_str());
    std::string drops;
    for (const proto::VrrpInstanceStatus& vi : reply.instances())
        for (const proto::VrrpDrop& drop : vi.drops())
            if (drop.count() != 0) drops += "  " + vi.name() + ": " + drop.reason() + " " + std::to_string(drop.count()) + "\n";
    for (const proto::VrrpDrop& drop : reply.unassigned_drops())
        if (drop.count() != 0) drops += "  (no instance): " + drop.reason() + " " + std::to_string(drop.count()) + "\n";
    if (!drops.empty()) std::printf("dropped packets:\n%s", drops.c_str());
}

}  // namespace

std::optional<proto::VrrpReply> ask_vrrp(const Options& options) {
    proto::Envelope request;
    request.mutable_vrrp_request();
    Answer answer = ask_one(options.socket_dir, "vrrpd", request);
    if (!answer.reply || !answer.reply->has_vrrp_reply()) {
        std::fprintf(stderr, "hactl: %s\n", answer.reply ? "vrrpd: unexpected reply" : answer.problem.c_str());
        return std::nullopt;
    }
    return std::move(*answer.reply->mutable_vrrp_reply());
}

int command_vrrp(const Options& options) {
    if (!options.args.empty()) {
        std::fprintf(stderr, "hactl: vrrp takes no arguments\n");
        return 2;
    }
    const std::optional<proto::VrrpReply> reply = ask_vrrp(options);
    if (!reply) return 1;
    if (options.json) print_json(*reply);
    else print_table(*reply);
    return 0;
}

int command_resign(const Options& options) {
    if (options.args.size() != 1) {
        std::fprintf(stderr, "hactl: usage: hactl resign INSTANCE\n");
        return 2;
    }
    proto::Envelope request;
    request.mutable_resign()->set_instance(options.args[0]);
    return send_command(options, "vrrpd", request);
}

int command_set_priority(const Options& options) {
    const std::optional<std::uint32_t> value =
        options.args.size() == 2 ? parse_count(options.args[1]) : std::nullopt;
    if (!value) {
        std::fprintf(stderr, "hactl: usage: hactl set-priority INSTANCE VALUE (VALUE a number, 1..254)\n");
        return 2;
    }
    proto::Envelope request;
    request.mutable_set_priority()->set_instance(options.args[0]);
    request.mutable_set_priority()->set_value(*value);
    return send_command(options, "vrrpd", request);
}

}  // namespace hakeep::hactl
