#include "vrrpd/config.h"

#include <set>

namespace hakeep::vrrpd {
namespace {

using config::BlockKind;
using config::ConfigError;
using config::ConfigNode;
using config::KeywordSpec;
using config::unbounded;

const config::Schema& authentication_schema() {
    static const config::Schema schema{{
        {"auth_type", KeywordSpec{1, 1}},
        {"auth_pass", KeywordSpec{1, 1}},
    }};
    return schema;
}

KeywordSpec single() { return KeywordSpec{1, 1, BlockKind::none, nullptr, false}; }
KeywordSpec flag() { return KeywordSpec{0, 0, BlockKind::none, nullptr, false}; }
KeywordSpec list_block() { return KeywordSpec{0, 0, BlockKind::required}; }
KeywordSpec script() { return KeywordSpec{1, unbounded, BlockKind::none, nullptr, false}; }

const config::Schema& instance_schema() {
    static const config::Schema schema{{
        {"state", single()},
        {"interface", single()},
        {"virtual_router_id", single()},
        {"priority", single()},
        {"advert_int", single()},
        {"version", single()},
        {"nopreempt", flag()},
        {"preempt_delay", single()},
        {"virtual_ipaddress", list_block()},
        {"virtual_ipaddress_excluded", list_block()},
        {"virtual_routes", list_block()},
        {"virtual_rules", list_block()},
        {"track_script", list_block()},
        {"track_interface", list_block()},
        {"track_file", list_block()},
        {"unicast_src_ip", single()},
        {"unicast_peer", list_block()},
        {"authentication", KeywordSpec{0, 0, BlockKind::required, &authentication_schema(), false}},
        {"use_vmac", KeywordSpec{0, 1, BlockKind::none, nullptr, false}},
        {"vmac_xmit_base", flag()},
        {"garp_master_delay", single()},
        {"garp_master_repeat", single()},
        {"garp_master_refresh", single()},
        {"notify_master", script()},
        {"notify_backup", script()},
        {"notify_fault", script()},
        {"notify_stop", script()},
        {"notify", script()},
    }};
    return schema;
}

const config::Schema& sync_group_schema() {
    static const config::Schema schema{{
        {"group", list_block()},
        {"notify_master", script()},
        {"notify_backup", script()},
        {"notify_fault", script()},
        {"notify", script()},
    }};
    return schema;
}

VrrpInstanceConfig read_instance(const ConfigNode& block, int default_version) {
    VrrpInstanceConfig instance;
    instance.name = block.string_arg(0);
    instance.where = block.where();
    instance.version = default_version;
    const ConfigNode* advert = nullptr;
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "state")
            instance.state = node.choice_arg(0, {"MASTER", "BACKUP"}) == "MASTER"
                                 ? InitialState::master
                                 : InitialState::backup;
        else if (key == "interface") instance.interface = node.string_arg();
        else if (key == "virtual_router_id")
            instance.virtual_router_id = static_cast<int>(node.int_arg(0, 1, 255));
        else if (key == "priority") instance.priority = static_cast<int>(node.int_arg(0, 1, 255));
        else if (key == "version") instance.version = static_cast<int>(node.int_arg(0, 2, 3));
        else if (key == "nopreempt") instance.preempt = false;
        else if (key == "advert_int") advert = &node;
        else if (key == "virtual_ipaddress")
            for (const ConfigNode& entry : node.children)
                instance.virtual_ipaddress.push_back(entry.keyword.text);
        else if (key == "track_script")
            for (const ConfigNode& entry : node.children)
                instance.track_script.push_back(entry.keyword.text);
    }
    if (advert != nullptr) {
        // RFC 3768: whole seconds, 1..255. RFC 5798: centiseconds, 1..4095.
        instance.advert_int_centis = instance.version == 2
                                         ? static_cast<int>(advert->int_arg(0, 1, 255)) * 100
                                         : static_cast<int>(advert->fixed_arg(0, 2, 1, 4095));
    }
    if (instance.interface.empty())
        throw ConfigError(block.where(), "vrrp_instance '" + instance.name + "' needs 'interface'");
    if (instance.virtual_router_id == 0)
        throw ConfigError(block.where(),
                          "vrrp_instance '" + instance.name + "' needs 'virtual_router_id'");
    return instance;
}

const config::Schema& vrrpd_global_defs_schema() {
    static const config::Schema schema = [] {
        config::Schema built = global_defs_schema();
        built.keywords["vrrp_version"] = KeywordSpec{1, 1, BlockKind::none, nullptr, false};
        return built;
    }();
    return schema;
}

}  // namespace

const config::Schema& vrrpd_schema() {
    static const config::Schema schema{{
        {"global_defs", KeywordSpec{0, 0, BlockKind::required, &vrrpd_global_defs_schema()}},
        {"vrrp_instance", KeywordSpec{1, 1, BlockKind::required, &instance_schema()}},
        {"vrrp_sync_group", KeywordSpec{1, 1, BlockKind::required, &sync_group_schema()}},
    }};
    return schema;
}

VrrpdConfig parse_vrrpd_config(const config::ParsedConfig& parsed) {
    VrrpdConfig result;
    result.global = read_global_defs(parsed.statements);
    // keepalived's default: VRRPv2 unless global_defs says vrrp_version 3.
    int default_version = 2;
    for (const ConfigNode& block : parsed.statements)
        if (block.keyword.text == "global_defs")
            if (const ConfigNode* node = block.find("vrrp_version"))
                default_version = static_cast<int>(node->int_arg(0, 2, 3));
    std::set<std::string> names;
    for (const ConfigNode& node : parsed.statements) {
        if (node.keyword.text == "vrrp_instance") {
            VrrpInstanceConfig instance = read_instance(node, default_version);
            if (!names.insert(instance.name).second)
                throw ConfigError(node.arg(0).where,
                                  "vrrp_instance '" + instance.name + "' defined twice");
            result.instances.push_back(std::move(instance));
        } else if (node.keyword.text == "vrrp_sync_group") {
            VrrpSyncGroupConfig group{node.string_arg(0), {}};
            if (const ConfigNode* members = node.find("group"))
                for (const ConfigNode& entry : members->children)
                    group.members.push_back(entry.keyword.text);
            result.sync_groups.push_back(std::move(group));
        }
    }
    for (const ConfigNode& node : parsed.statements) {
        if (node.keyword.text != "vrrp_sync_group") continue;
        if (const ConfigNode* members = node.find("group"))
            for (const ConfigNode& entry : members->children)
                if (!names.contains(entry.keyword.text))
                    throw ConfigError(entry.where(), "vrrp_sync_group '" + node.string_arg(0) +
                                                         "' names unknown vrrp_instance '" +
                                                         entry.keyword.text + "'");
    }
    return result;
}

VrrpdConfig load_vrrpd_config(const std::string& path, config::FileSource& files) {
    return parse_vrrpd_config(config::parse_file(path, vrrpd_schema(), files));
}

}  // namespace hakeep::vrrpd
