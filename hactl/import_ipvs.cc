// hactl import-keepalived, the IPVS side: virtual_server and
// virtual_server_group to ipvsd.conf; the checkers nested in each real_server
// become one named check of checkd.conf, which the real server tracks.
#include "hactl/import_text.h"

namespace hakeep::hactl::import {
namespace {

using config::ConfigNode;
using config::Word;
using Keys = std::set<std::string, std::less<>>;

const Keys& virtual_server_keys() {
    static const Keys keys = {
        "lb_algo", "lvs_sched", "lb_kind", "lvs_method", "protocol", "persistence_timeout",
        "persistence_granularity", "quorum", "hysteresis", "alpha", "ha_suspend",
        "inhibit_on_failure", "sorry_server", "sh-port", "sh-fallback", "mh-port", "mh-fallback",
        "flag-1", "flag-2", "flag-3", "ops", "delay_loop"};
    return keys;
}

const Keys& real_server_keys() {
    static const Keys keys = {"weight", "inhibit_on_failure", "uthreshold", "lthreshold", "lvs_method",
                              "lb_kind"};
    return keys;
}

// keepalived passes these down from virtual_server to real_server to checker.
const Keys& inherited_keys() {
    static const Keys keys = {"delay_loop", "connect_timeout", "retry", "nb_get_retry",
                              "delay_before_retry", "warmup", "virtualhost"};
    return keys;
}

const Keys& network_keys() {
    static const Keys keys = {"connect_ip", "connect_port", "bindto", "bind_port", "connect_timeout",
                              "retry", "nb_get_retry", "delay_before_retry", "warmup"};
    return keys;
}

// checkd's keywords for each keepalived checker (checkd.conf(5)).
const std::map<std::string, Keys>& checker_keys() {
    static const std::map<std::string, Keys> keys = [] {
        std::map<std::string, Keys> built;
        const Keys http = {"url", "virtualhost", "http_protocol", "enable_sni", "sni_name"};
        const std::map<std::string, Keys> extra = {
            {"TCP_CHECK", {}},
            {"HTTP_GET", http},
            {"SSL_GET", http},
            {"SMTP_CHECK", {"helo_name"}},
            {"DNS_CHECK", {"type", "name"}},
            {"UDP_CHECK", {"payload", "require_reply", "min_reply_length", "max_reply_length"}},
            {"PING_CHECK", {}},
        };
        for (const auto& [type, own] : extra) {
            built[type] = network_keys();
            built[type].insert(own.begin(), own.end());
        }
        built["MISC_CHECK"] = {"misc_path", "misc_timeout", "misc_dynamic", "user", "warmup"};
        built["FILE_CHECK"] = {"track_file", "weight", "dynamic"};
        return built;
    }();
    return keys;
}

bool is_checker(const std::string& key) { return key.ends_with("_CHECK") || key == "HTTP_GET" || key == "SSL_GET"; }

// Settings a level gives its children: later levels override earlier ones.
using Inherited = std::map<std::string, const ConfigNode*>;

void collect_inherited(const ConfigNode& block, Inherited& inherited) {
    for (const ConfigNode& node : block.children)
        if (in(inherited_keys(), node.keyword.text) && !node.has_block) {
            const std::string key = node.keyword.text == "nb_get_retry" ? "retry" : node.keyword.text;
            inherited[key] = &node;
        }
}

std::string url_block(Translation& t, const ConfigNode& url) {
    static const Keys keys = {"path", "status_code", "digest", "virtualhost"};
    std::string text = indent(2) + "url {\n";
    for (const ConfigNode& node : url.children) {
        if (in(keys, node.keyword.text) && !node.has_block) text += node_text(node, 3);
        else t.refuse(node, "checkd's url takes path, status_code, digest, virtualhost");
    }
    return text + indent(2) + "}\n";
}

// One checker block; its delay_loop is the check's (returned through `delay_loop`).
std::string checker_block(Translation& t, const ConfigNode& checker, const Inherited& inherited,
                          const ConfigNode*& delay_loop) {
    const Keys& keys = checker_keys().at(checker.keyword.text);
    std::string text = indent(1) + checker.keyword.text + " {\n";
    Keys given;
    for (const ConfigNode& node : checker.children) {
        const std::string& key = node.keyword.text;
        given.insert(key == "nb_get_retry" ? "retry" : key);
        if (key == "delay_loop" && !node.has_block) {
            delay_loop = &node;
        } else if (key == "url" && node.has_block && keys.contains("url")) {
            text += url_block(t, node);
        } else if (key == "track_file" && checker.keyword.text == "FILE_CHECK" && node.args.size() == 1) {
            // keepalived names a track_file block; checkd wants its file.
            const auto path = t.track_file_paths.find(node.args[0].text);
            if (path == t.track_file_paths.end())
                t.refuse(node, "names no track_file block with a 'file'");
            else
                text += indent(2) + "track_file " + path->second + "\n";
        } else if (keys.contains(key) && !node.has_block) {
            text += node_text(node, 2);
        } else {
            t.refuse(node, "checkd's " + checker.keyword.text + " has no such setting");
        }
    }
    for (const auto& [key, node] : inherited)
        if (key != "delay_loop" && keys.contains(key) && !given.contains(key)) {
            text += indent(2) + key;
            for (const Word& word : node->args) text += " " + quote(word);
            text += "\n";
        }
    return text + indent(1) + "}\n";
}

std::string check_name(Translation& t, const std::string& base, const std::string& body) {
    std::string name = base;
    for (int suffix = 2;; ++suffix) {
        const auto [found, inserted] = t.check_bodies.try_emplace(name, body);
        if (inserted) {
            if (!t.checkd.empty()) t.checkd += "\n";
            t.checkd += "check " + name + " {\n" + body + "}\n";
            return name;
        }
        if (found->second == body) return name;  // the same check: shared
        name = base + "_" + std::to_string(suffix);
    }
}

// A real_server's checkers as one check (up while all pass, as keepalived);
// returns its name, or "" when it has none.
std::string real_server_check(Translation& t, const ConfigNode& server, Inherited inherited) {
    collect_inherited(server, inherited);
    std::string checkers;
    const ConfigNode* delay_loop = nullptr;
    for (const ConfigNode& node : server.children) {
        if (!is_checker(node.keyword.text) || !node.has_block) continue;
        if (!checker_keys().contains(node.keyword.text)) {
            t.refuse(node, "checkd has no such checker");
            continue;
        }
        const ConfigNode* own = nullptr;
        checkers += checker_block(t, node, inherited, own);
        if (own && delay_loop && own->args.size() == 1 && delay_loop->args.size() == 1 &&
            own->args[0].text != delay_loop->args[0].text)
            t.refuse(*own, "the checkers of one real server share one delay_loop in checkd.conf");
        else if (own)
            delay_loop = own;
    }
    if (checkers.empty()) return {};
    if (!delay_loop && inherited.contains("delay_loop")) delay_loop = inherited.at("delay_loop");
    const std::string address = server.args[0].text;
    const bool has_port = server.args.size() > 1 && server.args[1].text != "0";
    std::string body = indent(1) + "address " + address + (has_port ? " " + server.args[1].text : "") + "\n";
    // keepalived's default delay_loop is 60 s; say it, whatever checkd's default.
    body += indent(1) + "delay_loop " + (delay_loop && delay_loop->args.size() == 1 ? delay_loop->args[0].text : "60") + "\n";
    body += checkers;
    std::string base = address + (has_port ? "_" + server.args[1].text : "");
    return check_name(t, base, body);
}

std::string real_server_block(Translation& t, const ConfigNode& server, const Inherited& inherited) {
    std::string text = indent(1) + words_text(server);
    if (!server.has_block) return text + "\n";
    text += " {\n";
    for (const ConfigNode& node : server.children) {
        const std::string& key = node.keyword.text;
        if (in(real_server_keys(), key) && !node.has_block) text += node_text(node, 2);
        else if ((is_checker(key) && node.has_block) || in(inherited_keys(), key)) continue;  // in checkd.conf
        else if (key == "notify_up" || key == "notify_down")
            t.refuse(node, "ipvsd runs no real server scripts");
        else if (key == "smtp_alert") t.refuse(node, "hakeep sends no e-mail (use notify scripts)");
        else t.refuse(node, "ipvsd has no such real_server setting");
    }
    // After the loop, so that refusals come in the order of the input.
    const std::string check = real_server_check(t, server, inherited);
    if (!check.empty()) text += indent(2) + "track_check " + check + "\n";
    return text + indent(1) + "}\n";
}

}  // namespace

void import_virtual_server(Translation& t, const ConfigNode& block) {
    Inherited inherited;
    collect_inherited(block, inherited);
    std::string body;
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "real_server" && !node.args.empty() && node.args.size() <= 2) {
            body += real_server_block(t, node, inherited);
        } else if (key == "real_server") {
            t.refuse(node, "needs ADDRESS [PORT]");
        } else if (in(virtual_server_keys(), key) && !node.has_block) {
            body += node_text(node, 1);
        } else if (in(inherited_keys(), key) && !node.has_block) {
            continue;  // given to the checks of its real servers
        } else if (key == "quorum_up" || key == "quorum_down") {
            t.refuse(node, "ipvsd runs no scripts (vrrpd can track the quorum)");
        } else if (key == "smtp_alert") {
            t.refuse(node, "hakeep sends no e-mail (use notify scripts)");
        } else {
            t.refuse(node, "ipvsd has no such virtual_server setting");
        }
    }
    if (!t.ipvsd.empty()) t.ipvsd += "\n";
    t.ipvsd += words_text(block) + " {\n" + body + "}\n";
}

void import_virtual_server_group(Translation& t, const ConfigNode& block) {
    std::string body;
    for (const ConfigNode& entry : block.children) {
        const std::string& first = entry.keyword.text;
        if (entry.has_block)
            t.refuse(entry, "a virtual_server_group entry has no block");
        else if (first.find('/') != std::string::npos)
            t.refuse(entry, "ipvsd's groups take addresses, a.b.c.d-e ranges and fwmarks, not prefixes");
        else if (first.find('-') != std::string::npos && first.find(':') != std::string::npos)
            t.refuse(entry, "ipvsd's address ranges are IPv4 only");
        else
            body += node_text(entry, 1);
    }
    if (!t.ipvsd.empty()) t.ipvsd += "\n";
    t.ipvsd += "virtual_server_group " + quote(block.args[0]) + " {\n" + body + "}\n";
}

}  // namespace hakeep::hactl::import
