// hactl import-keepalived, the top of the translator: which keepalived block
// goes to which daemon, global_defs, and the three texts put together.
#include "hactl/import_keepalived.h"

#include "hactl/import_text.h"

namespace hakeep::hactl {
namespace import {

void Translation::refuse(const config::ConfigNode& node, const std::string& reason) {
    refused.push_back(Untranslatable{node.where(), node.keyword.text, reason});
}

void Translation::refuse(const config::Word& word, const std::string& reason) {
    refused.push_back(Untranslatable{word.where, word.text, reason});
}

bool Translation::first_definition(const config::ConfigNode& block) {
    // keepalived's track_file and vrrp_track_file both become vrrpd's vrrp_track_file.
    const std::string kind = block.keyword.text == "track_file" ? "vrrp_track_file" : block.keyword.text;
    const std::string key = kind + " " + block.args.at(0).text;
    const auto [first, inserted] = defined.try_emplace(key, block.where());
    if (!inserted) refuse(block, "'" + block.args[0].text + "' defined twice (first at " + first->second.to_string() + ")");
    return inserted;
}

std::string indent(int depth) { return std::string(static_cast<std::size_t>(depth) * 4, ' '); }

std::string quote(const config::Word& word) {
    if (!word.quoted && !word.text.empty()) return word.text;
    std::string text = "\"";
    for (char c : word.text) {
        if (c == '"' || c == '\\') text += '\\';
        text += c;
    }
    return text + "\"";
}

std::string words_text(const config::ConfigNode& node) {
    std::string text = quote(node.keyword);
    for (const config::Word& word : node.args) text += " " + quote(word);
    return text;
}

std::string node_text(const config::ConfigNode& node, int depth) {
    std::string text = indent(depth) + words_text(node);
    if (!node.has_block) return text + "\n";
    text += " {\n";
    for (const config::ConfigNode& child : node.children) text += node_text(child, depth + 1);
    return text + indent(depth) + "}\n";
}

bool in(const std::set<std::string, std::less<>>& set, const std::string& key) { return set.contains(key); }

}  // namespace import

namespace {

using config::ConfigNode;
using import::Translation;

// global_defs keys and where they go; every other one is refused.
void import_global_defs(Translation& t, const ConfigNode& block) {
    static const std::set<std::string, std::less<>> vrrpd_keys = {
        "router_id", "vrrp_version", "vrrp_garp_master_delay", "vrrp_garp_master_repeat",
        "vrrp_garp_master_refresh", "vrrp_garp_master_refresh_repeat", "vrrp_garp_interval",
        "vrrp_gna_interval"};
    static const std::set<std::string, std::less<>> checkd_keys = {"script_user", "enable_script_security"};
    static const std::set<std::string, std::less<>> mail_keys = {
        "notification_email", "notification_email_from", "smtp_server", "smtp_connect_timeout",
        "smtp_helo_name", "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker"};
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (import::in(vrrpd_keys, key) && !node.has_block) {
            t.vrrpd_globals += import::node_text(node, 1);
        } else if (import::in(checkd_keys, key) && !node.has_block) {
            t.checkd_globals += import::node_text(node, 1);
        } else if (key == "vrrp_skip_check_adv_addr" && node.args.empty()) {
            t.skip_check_adv_addr = true;
        } else if (key == "lvs_timeouts" && !node.has_block) {
            t.ipvsd_globals += import::node_text(node, 1);
        } else if (key == "lvs_sync_daemon" && !node.has_block) {
            // ipvsd: INTERFACE INSTANCE [id N]; keepalived's maxlen, port, ttl, group are not kept.
            if (node.args.size() == 2 || (node.args.size() == 4 && node.args[2].text == "id"))
                t.ipvsd_globals += import::node_text(node, 1);
            else
                t.refuse(node, "ipvsd takes only INTERFACE INSTANCE [id N] (no maxlen, port, ttl, group)");
        } else if (import::in(mail_keys, key)) {
            t.refuse(node, "hakeep sends no e-mail (use notify scripts)");
        } else if (key == "vrrp_strict") {
            t.refuse(node, "vrrpd has no strict mode");
        } else if (key == "lvs_flush" || key == "lvs_flush_on_stop") {
            t.refuse(node, "ipvsd never flushes: it owns only the services it declares");
        } else {
            t.refuse(node, "no hakeep equivalent");
        }
    }
}

std::string section(const std::string& globals, const std::string& body) {
    std::string text;
    if (!globals.empty()) text += "global_defs {\n" + globals + "}\n";
    if (!globals.empty() && !body.empty()) text += "\n";
    return text + body;
}

}  // namespace

std::string Untranslatable::to_string() const {
    return where.to_string() + ": cannot translate " + keyword + ": " + reason;
}

const config::Schema& keepalived_schema() {
    static const config::Schema schema{{}, true};
    return schema;
}

ImportedConfigs import_keepalived(const std::vector<ConfigNode>& statements, const std::string& source) {
    Translation t;
    // First what others refer to, wherever it stands: vrrp_script weights and
    // track_file paths.
    for (const ConfigNode& node : statements) {
        const std::string& key = node.keyword.text;
        if (key == "vrrp_script" && node.args.size() == 1) {
            import::ScriptWeight weight;
            if (const ConfigNode* given = node.find("weight"); given && !given->args.empty()) {
                weight.weight = given->args[0].text;
                weight.reverse = given->args.size() > 1 && given->args[1].text == "reverse";
            }
            t.scripts[node.args[0].text] = weight;
            // A generated check never takes a vrrp_script's name (they share checkd.conf).
            t.check_bodies.try_emplace(node.args[0].text, "");
        } else if ((key == "track_file" || key == "vrrp_track_file") && node.args.size() == 1) {
            if (const ConfigNode* file = node.find("file"); file && file->args.size() == 1)
                t.track_file_paths[node.args[0].text] = file->args[0].text;
        }
    }
    for (const ConfigNode& node : statements) {
        const std::string& key = node.keyword.text;
        const bool named_block = node.has_block && node.args.size() == 1 &&
                                 (key == "virtual_server_group" || key == "vrrp_sync_group" ||
                                  key == "vrrp_instance" || key == "vrrp_script" ||
                                  key == "vrrp_track_file" || key == "track_file");
        if (named_block && !t.first_definition(node)) continue;
        if (key == "global_defs" && node.has_block && node.args.empty()) import_global_defs(t, node);
        else if (key == "vrrp_instance" && named_block) import::import_vrrp_instance(t, node);
        else if (key == "vrrp_sync_group" && named_block) import::import_sync_group(t, node);
        else if (key == "vrrp_script" && named_block) import::import_vrrp_script(t, node);
        else if ((key == "vrrp_track_file" || key == "track_file") && named_block)
            import::import_track_file(t, node);
        else if (key == "virtual_server" && node.has_block && !node.args.empty())
            import::import_virtual_server(t, node);
        else if (key == "virtual_server_group" && named_block)
            import::import_virtual_server_group(t, node);
        else if (key == "vrrp_instance" || key == "vrrp_sync_group" || key == "vrrp_script" ||
                 key == "vrrp_track_file" || key == "track_file" || key == "virtual_server_group")
            t.refuse(node, "needs one name and a { block }");
        else if (key == "virtual_server" || key == "global_defs")
            t.refuse(node, key == "global_defs" ? "needs a { block } and no value" : "needs an address and a { block }");
        else if (key.starts_with("$") || key.starts_with("@") || key.starts_with("~"))
            t.refuse(node, "keepalived's definitions and conditional lines are not read: expand them first");
        else
            t.refuse(node, "no hakeep equivalent");
    }
    const std::string header = "# Translated by hactl import-keepalived from " + source + "\n\n";
    ImportedConfigs result;
    result.vrrpd_conf = header + section(t.vrrpd_globals, t.vrrpd);
    result.ipvsd_conf = header + section(t.ipvsd_globals, t.ipvsd);
    result.checkd_conf = header + section(t.checkd_globals, t.checkd);
    result.refused = std::move(t.refused);
    return result;
}

}  // namespace hakeep::hactl
