#include "checkd/notify.h"

#include <cerrno>
#include <cstring>

#include "checkd/config.h"

namespace hakeep::checkd {
namespace {

const config::Schema& permissive_schema() {
    // Every keyword, at every depth, is kept as an unknown one: the blocks
    // and words are all there, and nothing of vrrpd's grammar is checked twice.
    static const config::Schema schema{{}, true};
    return schema;
}

NotifyScripts read_scripts(const config::ConfigNode& block) {
    NotifyScripts scripts;
    for (const config::ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        Command* target = key == "notify_master"                ? &scripts.master
                          : key == "notify_backup"              ? &scripts.backup
                          : key == "notify_fault"               ? &scripts.fault
                          : key == "notify_stop"                ? &scripts.stop
                          : key == "notify"                     ? &scripts.notify
                          : key == "notify_master_rx_lower_pri" ? &scripts.master_rx_lower_pri
                                                                : nullptr;
        if (!target || node.args.empty()) continue;
        std::vector<std::string> words;
        for (const config::Word& word : node.args) words.push_back(word.text);
        *target = split_command(words);  // the last one wins, as in keepalived
    }
    return scripts;
}

}  // namespace

VrrpNotifyConfig parse_vrrp_notify(const config::ParsedConfig& parsed) {
    VrrpNotifyConfig result;
    result.found = true;
    for (const config::ConfigNode& node : parsed.statements) {
        const std::string& key = node.keyword.text;
        if ((key != "vrrp_instance" && key != "vrrp_sync_group") || node.args.empty()) continue;
        NotifyScripts scripts = read_scripts(node);
        if (scripts.empty() && scripts.master_rx_lower_pri.empty()) continue;
        (key == "vrrp_instance" ? result.instances : result.groups)[node.args[0].text] = std::move(scripts);
    }
    return result;
}

VrrpNotifyConfig load_vrrp_notify(const std::string& path, config::FileSource& files) {
    if (!files.read(path)) {
        // Absent: no scripts. Unreadable (permissions, a sandbox): an error,
        // so that the caller keeps the scripts it had.
        if (files.last_error() != std::strerror(ENOENT))
            throw config::ConfigError(config::SourceLocation{path, 0, 0}, files.last_error());
        return VrrpNotifyConfig{};
    }
    return parse_vrrp_notify(config::parse_file(path, permissive_schema(), files));
}

const char* notify_state_name(proto::VrrpState state) {
    switch (state) {
        case proto::VRRP_STATE_MASTER: return "MASTER";
        case proto::VRRP_STATE_BACKUP: return "BACKUP";
        case proto::VRRP_STATE_FAULT: return "FAULT";
        case proto::VRRP_STATE_STOP: return "STOP";
        default: return "INIT";
    }
}

namespace {

// The group's scripts when the event names a group that has some.
const NotifyScripts* scripts_for(const VrrpNotifyConfig& config, const proto::VrrpEvent& event, bool& is_group) {
    is_group = false;
    if (!event.group().empty()) {
        auto group = config.groups.find(event.group());
        if (group != config.groups.end() && !group->second.empty()) {
            is_group = true;
            return &group->second;
        }
    }
    auto instance = config.instances.find(event.instance());
    return instance != config.instances.end() ? &instance->second : nullptr;
}

}  // namespace

std::string notify_key(const VrrpNotifyConfig& config, const proto::VrrpEvent& event) {
    bool is_group = false;
    scripts_for(config, event, is_group);
    return is_group ? "GROUP " + event.group() : "INSTANCE " + event.instance();
}

std::vector<Command> notify_commands(const VrrpNotifyConfig& config, const proto::VrrpEvent& event) {
    std::vector<Command> commands;
    bool is_group = false;
    const NotifyScripts* scripts = scripts_for(config, event, is_group);
    if (!scripts) return commands;
    const Command* own = nullptr;
    switch (event.state()) {
        case proto::VRRP_STATE_MASTER: own = &scripts->master; break;
        case proto::VRRP_STATE_BACKUP: own = &scripts->backup; break;
        case proto::VRRP_STATE_FAULT: own = &scripts->fault; break;
        case proto::VRRP_STATE_STOP: own = &scripts->stop; break;
        default: return commands;  // INIT: keepalived notifies nothing
    }
    if (!own->empty()) commands.push_back(*own);
    if (!scripts->notify.empty()) {
        Command notify = scripts->notify;
        notify.push_back(is_group ? "GROUP" : "INSTANCE");
        notify.push_back(is_group ? event.group() : event.instance());
        notify.push_back(notify_state_name(event.state()));
        notify.push_back(std::to_string(event.priority()));
        commands.push_back(std::move(notify));
    }
    return commands;
}

}  // namespace hakeep::checkd
