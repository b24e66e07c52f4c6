// hactl explain: the reasons behind a VRRP instance's state, for people.
#include "hactl/explain.h"

#include <algorithm>
#include <cstdio>

#include "common/clock.h"
#include "hactl/commands.h"
#include "hactl/json.h"
#include "hactl/query.h"
#include "hactl/table.h"

namespace hakeep::hactl {
namespace {

std::string signed_text(long long number) {
    return (number > 0 ? "+" : "") + std::to_string(number);
}

std::string seconds_text(std::uint32_t milliseconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1fs", milliseconds / 1000.0);
    return text;
}

// "track_script chk_web (DOWN, weight -20)"
std::string tracker_title(const proto::VrrpTracker& tracker) {
    std::string state = tracker.kind() == "track_file"
                            ? (tracker.has_value() ? "value " + std::to_string(tracker.value())
                                                   : "unreadable, counts as 0")
                            : (tracker.up() ? "UP" : "DOWN");
    return tracker.kind() + " " + tracker.name() + " (" + state + ", weight " +
           signed_text(tracker.weight()) + (tracker.reverse() ? ", reverse" : "") + ")";
}

std::string tracker_effect(const proto::VrrpTracker& tracker, bool weights_ignored) {
    if (tracker.faults()) return "puts the instance in FAULT";
    if (tracker.contribution() < 0)
        return "lowers the priority by " + std::to_string(-tracker.contribution());
    if (tracker.contribution() > 0)
        return "raises the priority by " + std::to_string(tracker.contribution());
    if (tracker.kind() == "track_file") return "no effect while its value is 0";
    // reverse swaps up and down (vrrpd/tracking.h).
    if (weights_ignored || tracker.weight() == 0)
        return std::string("no effect while it is ") + (tracker.reverse() ? "down" : "up");
    const bool counts_when_up = (tracker.weight() > 0) != tracker.reverse();
    return std::string("no effect (a ") + (tracker.weight() > 0 ? "positive" : "negative") +
           " weight" + (tracker.reverse() ? " with reverse" : "") + " counts while it is " +
           (counts_when_up ? "up" : "down") + ")";
}

std::string priority_sentence(const proto::VrrpInstanceStatus& vi) {
    // hactl set-priority replaces the configured priority as the base trackers move.
    const std::uint32_t base = vi.runtime_priority() != 0 ? vi.runtime_priority() : vi.priority();
    std::string text = "Priority: configured " + std::to_string(vi.priority()) +
                       (vi.runtime_priority() != 0
                            ? ", set at runtime to " + std::to_string(vi.runtime_priority()) +
                                  " (hactl set-priority; until vrrpd restarts)"
                            : "") +
                       ", effective " + std::to_string(vi.effective_priority());
    if (vi.priority() == 255) return text + " (255: the address owner; trackers never change it).";
    std::string sum;
    long long total = base;
    for (const proto::VrrpTracker& tracker : vi.tracker_details())
        if (tracker.contribution() != 0) {
            total += tracker.contribution();
            sum += (tracker.contribution() > 0 ? " + " : " - ") +
                   std::to_string(std::llabs(tracker.contribution())) + " (" + tracker.kind() +
                   " " + tracker.name() + ")";
        }
    if (!sum.empty()) text += " = " + std::to_string(base) + sum;
    if (total != static_cast<long long>(vi.effective_priority()))
        text += ", clamped to 1..254";
    else if (sum.empty())
        text += vi.tracker_details_size() == 0 ? " (no trackers)" : " (no tracker moves it now)";
    return text + ".";
}

std::string master_sentence(const proto::VrrpInstanceStatus& vi) {
    const std::string own = std::to_string(vi.effective_priority());
    if (vi.state() == "MASTER") return "This node is the master, advertising priority " + own + ".";
    if (vi.state() != "BACKUP") {
        if (vi.master_address().empty()) return "The master is not known.";
        return "The last master heard was " + vi.master_address() + ".";
    }
    if (vi.master_address().empty())
        return "No master heard: this node takes over when the master down timer runs out.";
    std::string text = "The master is " + vi.master_address();
    if (vi.master_priority() == 0) return text + " (priority not known).";
    text += " with priority " + std::to_string(vi.master_priority());
    if (vi.master_priority() > vi.effective_priority())
        return text + ", higher than ours (" + own + "): this node stays BACKUP.";
    if (vi.master_priority() == vi.effective_priority())
        return text + ", equal to ours (" + own + "): a backup never preempts an equal master.";
    if (!vi.preempt())
        return text + ", lower than ours (" + own +
               "), but nopreempt: this node does not take over.";
    if (vi.preempt_delay_ms() > 0)
        return text + ", lower than ours (" + own + "): preempt_delay " +
               seconds_text(vi.preempt_delay_ms()) +
               " lets it stay master that long, then this node takes over.";
    return text + ", lower than ours (" + own +
           "): this node takes over when its master down timer runs out.";
}

std::string preemption_sentence(const proto::VrrpInstanceStatus& vi) {
    std::string text;
    if (!vi.preempt())
        text =
            "Preemption: nopreempt: a backup with a higher priority does not take over from a "
            "working master";
    else if (vi.preempt_delay_ms() > 0)
        text = "Preemption: preempt_delay " + seconds_text(vi.preempt_delay_ms()) +
               ": a higher priority takes over from a lower master only after that delay";
    else
        text = "Preemption: on: a backup with a higher priority takes over from a lower master";
    text += "; configured state " +
            (vi.configured_state().empty() ? std::string("BACKUP") : vi.configured_state());
    text +=
        "; accept: the VIPs are local addresses on the master and accept traffic (hakeep has no "
        "no_accept mode).";
    return text;
}

std::string sync_group_sentence(const proto::VrrpInstanceStatus& vi) {
    if (vi.sync_group().empty()) return "Sync group: none; this instance moves on its own.";
    std::string members;
    for (const std::string& member : vi.sync_group_members())
        members += (members.empty() ? "" : ", ") + member;
    std::string text =
        "Sync group " + vi.sync_group() + " (" + members +
        "): its members change state together, and their tracker weights are ignored "
        "(a failing tracker puts the whole group in FAULT instead)";
    if (!vi.group_fault().empty())
        text += "; the group holds this member in FAULT: " + vi.group_fault();
    return text + ".";
}

}  // namespace

std::vector<std::string> explain_instance(const proto::VrrpInstanceStatus& vi,
                                          const ExplainContext& context) {
    std::vector<std::string> lines;
    lines.push_back(vi.name() + " is " + vi.state() + " on " + vi.interface() + " (VRID " +
                    std::to_string(vi.vrid()) + ", VRRPv" + std::to_string(vi.version()) + ", " +
                    vi.family() + ").");
    if (vi.state() == "FAULT") {
        std::string why = vi.group_fault().empty() ? vi.fault_reason() : vi.group_fault();
        lines.push_back("FAULT because " +
                        (why.empty() ? std::string("of a reason vrrpd did not give") : why) +
                        ": it sends no adverts and holds no VIPs until that clears.");
    }
    lines.push_back(priority_sentence(vi));
    for (const proto::VrrpTracker& tracker : vi.tracker_details())
        lines.push_back(
            "  " + tracker_title(tracker) + ": " + tracker_effect(tracker, vi.weights_ignored()) +
            (vi.weights_ignored() && tracker.weight() != 0 ? " (weight ignored in a sync group)"
                                                           : "") +
            ".");
    if (!context.checkd_connected || context.checks_stale)
        lines.push_back(std::string("checkd is not connected") +
                        (context.checks_stale ? ": its checks are stale and count as failed (DOWN)."
                                              : "; its last known check states still count."));
    lines.push_back(master_sentence(vi));
    lines.push_back(preemption_sentence(vi));
    lines.push_back(sync_group_sentence(vi));
    if (vi.last_transition_unix_ms() == 0) {
        lines.push_back("No transition yet.");
    } else {
        const long long ago =
            context.now_unix_ms - static_cast<long long>(vi.last_transition_unix_ms());
        lines.push_back("Last transition " +
                        (ago >= 0 ? duration_text(static_cast<std::uint64_t>(ago)) + " ago"
                                  : std::string("just now")) +
                        ", to " + vi.state() + ": " + vi.last_transition_reason() + ".");
    }
    return lines;
}

// Each key beside its value, as the JSON reads.
// clang-format off
std::string explain_json(const proto::VrrpInstanceStatus& vi, const ExplainContext& context) {
    using Number = std::int64_t;
    // A string, or null when it is empty (unknown, none).
    auto text_or_null = [](JsonWriter& json, const std::string& text) {
        if (text.empty()) json.null();
        else json.value(text);
    };
    JsonWriter json;
    json.begin_object()
        .key("name").value(vi.name())
        .key("state").value(vi.state())
        .key("interface").value(vi.interface())
        .key("vrid").value(Number{vi.vrid()})
        .key("priority").value(Number{vi.priority()})
        .key("effective_priority").value(Number{vi.effective_priority()});
    json.key("runtime_priority");
    if (vi.runtime_priority() == 0) json.null();
    else json.value(Number{vi.runtime_priority()});
    json.key("master").begin_object().key("self").value(vi.state() == "MASTER");
    text_or_null(json.key("address"), vi.master_address());
    json.key("priority");
    if (vi.master_priority() == 0) json.null();
    else json.value(Number{vi.master_priority()});
    json.end_object();
    json.key("trackers").begin_array();
    for (const proto::VrrpTracker& tracker : vi.tracker_details()) {
        const bool file = tracker.kind() == "track_file";
        json.begin_object()
            .key("kind").value(tracker.kind())
            .key("name").value(tracker.name())
            .key("weight").value(Number{tracker.weight()})
            .key("reverse").value(tracker.reverse());
        text_or_null(json.key("state"), file ? "" : tracker.up() ? "UP" : "DOWN");
        json.key("value");
        if (file && tracker.has_value()) json.value(Number{tracker.value()});
        else json.null();
        json.key("contribution").value(Number{tracker.contribution()})
            .key("faults").value(tracker.faults())
            .end_object();
    }
    json.end_array();
    json.key("preemption").begin_object()
        .key("preempt").value(vi.preempt())
        .key("preempt_delay").value(vi.preempt_delay_ms() / 1000.0)
        .key("configured_state").value(vi.configured_state().empty() ? "BACKUP" : vi.configured_state())
        .end_object();
    json.key("sync_group").begin_object();
    text_or_null(json.key("name"), vi.sync_group());
    json.key("members").begin_array();
    for (const std::string& member : vi.sync_group_members()) json.value(member);
    json.end_array().key("weights_ignored").value(vi.weights_ignored());
    text_or_null(json.key("fault"), vi.group_fault());
    json.end_object();
    text_or_null(json.key("fault_reason"), vi.state() != "FAULT"        ? std::string()
                                           : vi.group_fault().empty() ? vi.fault_reason()
                                                                      : vi.group_fault());
    json.key("last_transition").begin_object().key("unix_ms");
    if (vi.last_transition_unix_ms() == 0) json.null();
    else json.value(static_cast<std::uint64_t>(vi.last_transition_unix_ms()));
    json.key("reason").value(vi.last_transition_reason()).end_object();
    json.key("checkd_connected").value(context.checkd_connected)
        .key("checks_stale").value(context.checks_stale);
    json.key("explanation").begin_array();
    for (const std::string& line : explain_instance(vi, context)) json.value(line);
    json.end_array().end_object();
    return json.text();
}
// clang-format on

int command_explain(const Options& options) {
    if (options.args.size() != 1) {
        std::fprintf(stderr, "hactl: usage: hactl explain INSTANCE (hactl vrrp lists them)\n");
        return 2;
    }
    const std::optional<proto::VrrpReply> reply = ask_vrrp(options);
    if (!reply) return 1;
    const ExplainContext context{reply->checkd_connected(), reply->checks_stale(), unix_time_ms()};
    for (const proto::VrrpInstanceStatus& instance : reply->instances()) {
        if (instance.name() != options.args[0]) continue;
        if (options.json) {
            std::printf("%s\n", explain_json(instance, context).c_str());
        } else {
            for (const std::string& line : explain_instance(instance, context))
                std::printf("%s\n", line.c_str());
        }
        return 0;
    }
    std::string names;
    for (const proto::VrrpInstanceStatus& instance : reply->instances())
        names += (names.empty() ? "" : ", ") + instance.name();
    std::fprintf(stderr, "hactl: vrrpd has no vrrp_instance '%s' (it has: %s)\n",
                 options.args[0].c_str(), names.empty() ? "none" : names.c_str());
    return 1;
}

}  // namespace hakeep::hactl
