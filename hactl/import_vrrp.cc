// hactl import-keepalived, the VRRP side: vrrp_instance and vrrp_sync_group
// to vrrpd.conf, vrrp_script to checkd.conf, track_file to vrrp_track_file.
#include "hactl/import_text.h"

namespace hakeep::hactl::import {
namespace {

using config::ConfigNode;
using config::Word;
using Keys = std::set<std::string, std::less<>>;

// vrrpd's vrrp_instance keywords that mean what keepalived means, copied as written.
const Keys& instance_keys() {
    static const Keys keys = {
        "state", "interface", "virtual_router_id", "priority", "advert_int", "version", "nopreempt",
        "preempt", "preempt_delay", "virtual_routes", "virtual_rules", "track_interface",
        "track_file", "unicast_src_ip", "unicast_peer", "use_vmac", "vmac_xmit_base", "v3_checksum_as_v2",
        "skip_check_adv_addr", "garp_master_delay", "garp_master_repeat", "garp_master_refresh",
        "garp_master_refresh_repeat", "garp_interval", "gna_interval", "notify_master",
        "notify_backup", "notify_fault", "notify_stop", "notify"};
    return keys;
}

const Keys& list_keys() {
    static const Keys keys = {"virtual_routes", "virtual_rules", "track_interface", "track_file",
                              "unicast_peer"};
    return keys;
}

// A virtual_ipaddress line: ADDRESS[/LEN] and the options vrrpd reads.
std::string vip_line(Translation& t, const ConfigNode& entry) {
    static const Keys with_value = {"dev", "label", "brd", "broadcast", "scope"};
    std::string text = indent(2) + quote(entry.keyword);
    for (std::size_t index = 0; index < entry.args.size(); ++index) {
        const Word& option = entry.args[index];
        if (option.text == "no_track") {
            text += " no_track";
        } else if (in(with_value, option.text) && index + 1 < entry.args.size()) {
            text += " " + option.text + " " + quote(entry.args[++index]);
        } else {
            t.refuse(option, "vrrpd's virtual_ipaddress takes dev, label, brd, scope, no_track");
            return {};
        }
    }
    return text + "\n";
}

std::string vip_block(Translation& t, const ConfigNode& node) {
    std::string text = indent(1) + node.keyword.text + " {\n";
    for (const ConfigNode& entry : node.children) text += vip_line(t, entry);
    return text + indent(1) + "}\n";
}

// track_script lines get the vrrp_script's weight when they give none:
// keepalived applies it, vrrpd's default is 0 (FAULT while failing).
std::string track_script_block(Translation& t, const ConfigNode& node) {
    std::string text = indent(1) + "track_script {\n";
    for (const ConfigNode& entry : node.children) {
        const auto script = t.scripts.find(entry.keyword.text);
        if (script == t.scripts.end()) {
            t.refuse(entry, "names no vrrp_script of this configuration");
            continue;
        }
        bool weighted = false;
        for (const Word& word : entry.args) weighted = weighted || word.text == "weight";
        text += indent(2) + words_text(entry);
        if (!weighted) {
            text += " weight " + script->second.weight;
            if (script->second.reverse) text += " reverse";
        }
        text += "\n";
    }
    return text + indent(1) + "}\n";
}

}  // namespace

void import_vrrp_instance(Translation& t, const ConfigNode& block) {
    std::string body;
    bool skip_check_adv_addr = false;
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "virtual_ipaddress" || key == "virtual_ipaddress_excluded") {
            if (node.has_block) body += vip_block(t, node);
            else t.refuse(node, "needs a { block }");
        } else if (key == "track_script" && node.has_block) {
            body += track_script_block(t, node);
        } else if (key == "authentication" && node.has_block) {
            const ConfigNode* type = node.find("auth_type");
            if (type && !type->args.empty() && type->args[0].text == "AH")
                t.refuse(*type, "vrrpd has no IPsec AH authentication (removed from VRRP by RFC 3768)");
            else
                body += node_text(node, 1);
        } else if (key == "accept") {
            // vrrpd adds its VIPs and filters nothing: that is keepalived's accept mode.
        } else if (key == "skip_check_adv_addr") {
            skip_check_adv_addr = true;
            body += node_text(node, 1);
        } else if (in(instance_keys(), key) && node.has_block == in(list_keys(), key)) {
            body += node_text(node, 1);
        } else if (key == "smtp_alert") {
            t.refuse(node, "hakeep sends no e-mail (use notify scripts)");
        } else {
            t.refuse(node, "vrrpd has no such vrrp_instance setting");
        }
    }
    if (t.skip_check_adv_addr && !skip_check_adv_addr) body += indent(1) + "skip_check_adv_addr\n";
    if (!t.vrrpd.empty()) t.vrrpd += "\n";
    t.vrrpd += "vrrp_instance " + quote(block.args[0]) + " {\n" + body + "}\n";
}

void import_sync_group(Translation& t, const ConfigNode& block) {
    std::string body;
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "group" && node.has_block) {
            // vrrpd reads one member per line; keepalived allows several.
            body += indent(1) + "group {\n";
            for (const ConfigNode& entry : node.children) {
                body += indent(2) + quote(entry.keyword) + "\n";
                for (const Word& word : entry.args) body += indent(2) + quote(word) + "\n";
            }
            body += indent(1) + "}\n";
        } else if ((key == "notify_master" || key == "notify_backup" || key == "notify_fault" ||
                    key == "notify") && !node.has_block) {
            body += node_text(node, 1);
        } else if (key.starts_with("track_")) {
            t.refuse(node, "vrrpd's sync groups track nothing themselves: track in the member instances");
        } else {
            t.refuse(node, "vrrpd has no such vrrp_sync_group setting");
        }
    }
    if (!t.vrrpd.empty()) t.vrrpd += "\n";
    t.vrrpd += "vrrp_sync_group " + quote(block.args[0]) + " {\n" + body + "}\n";
}

void import_vrrp_script(Translation& t, const ConfigNode& block) {
    static const Keys keys = {"script", "interval", "timeout", "weight", "rise", "fall", "user", "init_fail"};
    std::string body;
    for (const ConfigNode& node : block.children) {
        if (in(keys, node.keyword.text) && !node.has_block) body += node_text(node, 1);
        else t.refuse(node, "checkd has no such vrrp_script setting");
    }
    if (!t.checkd.empty()) t.checkd += "\n";
    t.checkd += "vrrp_script " + quote(block.args[0]) + " {\n" + body + "}\n";
}

// keepalived's track_file (and its older name vrrp_track_file): vrrpd's
// vrrp_track_file. FILE_CHECK finds the file through track_file_paths.
void import_track_file(Translation& t, const ConfigNode& block) {
    std::string body;
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if ((key == "file" || key == "weight") && !node.has_block) body += node_text(node, 1);
        else if (key == "init_file") t.refuse(node, "vrrpd writes no files");
        else t.refuse(node, "vrrpd has no such vrrp_track_file setting");
    }
    if (!t.vrrpd.empty()) t.vrrpd += "\n";
    t.vrrpd += "vrrp_track_file " + quote(block.args[0]) + " {\n" + body + "}\n";
}

}  // namespace hakeep::hactl::import
