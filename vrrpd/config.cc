#include "vrrpd/config.h"

#include <linux/rtnetlink.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "common/log.h"

namespace hakeep::vrrpd {
namespace {

using config::BlockKind;
using config::ConfigError;
using config::ConfigNode;
using config::KeywordSpec;
using config::once_flag;
using config::once_with_args;
using config::once_with_value;
using config::unbounded;
using config::Word;

const config::Schema& authentication_schema() {
    static const config::Schema schema{{
        {"auth_type", KeywordSpec{1, 1}},
        {"auth_pass", KeywordSpec{1, 1}},
    }};
    return schema;
}

KeywordSpec list_block() { return KeywordSpec{0, 0, BlockKind::required}; }
KeywordSpec script() { return once_with_args(1, unbounded); }

const config::Schema& instance_schema() {
    static const config::Schema schema{{
        {"state", once_with_value()},
        {"interface", once_with_value()},
        {"virtual_router_id", once_with_value()},
        {"priority", once_with_value()},
        {"advert_int", once_with_value()},
        {"version", once_with_value()},
        {"nopreempt", once_flag()},
        {"preempt", once_flag()},
        {"preempt_delay", once_with_value()},
        {"virtual_ipaddress", list_block()},
        {"virtual_ipaddress_excluded", list_block()},
        {"virtual_routes", list_block()},
        {"virtual_rules", list_block()},
        {"track_script", list_block()},
        {"track_interface", list_block()},
        {"track_file", list_block()},
        {"unicast_src_ip", once_with_value()},
        {"unicast_peer", list_block()},
        {"authentication", KeywordSpec{0, 0, BlockKind::required, &authentication_schema(), false}},
        {"use_vmac", once_with_args(0, 2)},
        {"vmac_xmit_base", once_flag()},
        {"v3_checksum_as_v2", once_flag()},
        {"skip_check_adv_addr", once_flag()},
        {"garp_master_delay", once_with_value()},
        {"garp_master_repeat", once_with_value()},
        {"garp_master_refresh", once_with_value()},
        {"garp_master_refresh_repeat", once_with_value()},
        {"garp_interval", once_with_value()},
        {"gna_interval", once_with_value()},
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

const config::Schema& track_file_schema() {
    static const config::Schema schema{{
        {"file", once_with_value()},
        {"weight", once_with_args(1, 2)},
        {"init_file", once_with_args(0, 2)},
    }};
    return schema;
}

// Words of a list entry: its first word and the rest.
std::vector<Word> words_of(const ConfigNode& entry) {
    std::vector<Word> words{entry.keyword};
    words.insert(words.end(), entry.args.begin(), entry.args.end());
    return words;
}

int parse_int(const Word& word, int min, int max, const std::string& what) {
    try {
        std::size_t used = 0;
        const long value = std::stol(word.text, &used);
        if (used == word.text.size() && value >= min && value <= max) return static_cast<int>(value);
    } catch (const std::exception&) {
    }
    throw ConfigError(word.where, "'" + what + "' must be an integer in " + std::to_string(min) +
                                      ".." + std::to_string(max) + ", got '" + word.text + "'");
}

Address parse_address(const Word& word) {
    auto address = Address::parse(word.text);
    if (!address) throw ConfigError(word.where, "'" + word.text + "' is not an IPv4 or IPv6 address");
    return *address;
}

// xx:xx:xx:xx:xx:xx, hexadecimal; neither multicast nor all zeros (the VMAC
// sends and answers ARP with it).
std::array<std::uint8_t, 6> parse_unicast_mac(const Word& word) {
    const std::string& text = word.text;
    auto hex = [](char digit) { return std::isdigit(static_cast<unsigned char>(digit)) ? digit - '0'
                                                                                      : std::tolower(digit) - 'a' + 10; };
    // Six groups of one or two hexadecimal digits, ':' between them.
    std::array<std::uint8_t, 6> mac{};
    std::size_t at = 0, byte = 0;
    for (; byte < mac.size(); ++byte) {
        if (byte > 0 && (at >= text.size() || text[at++] != ':')) break;
        const std::size_t first = at;
        while (at < text.size() && at - first < 2 && std::isxdigit(static_cast<unsigned char>(text[at])))
            mac[byte] = static_cast<std::uint8_t>(mac[byte] * 16 + hex(text[at++]));
        if (at == first) break;
    }
    if (byte != mac.size() || at != text.size())
        throw ConfigError(word.where, "'" + text + "' is not a MAC address (xx:xx:xx:xx:xx:xx)");
    if ((mac[0] & 0x01) != 0 || mac == std::array<std::uint8_t, 6>{})
        throw ConfigError(word.where, "'" + text + "' is not a unicast MAC address");
    return mac;
}

int parse_scope(const Word& scope) {
    static const std::map<std::string, int> scopes = {
        {"global", RT_SCOPE_UNIVERSE}, {"universe", RT_SCOPE_UNIVERSE},
        {"site", RT_SCOPE_SITE},       {"link", RT_SCOPE_LINK},
        {"host", RT_SCOPE_HOST},       {"nowhere", RT_SCOPE_NOWHERE}};
    auto found = scopes.find(scope.text);
    if (found == scopes.end())
        throw ConfigError(scope.where, "'scope' must be one of global, site, link, host, "
                                       "nowhere, got '" + scope.text + "'");
    return found->second;
}

Prefix parse_prefix(const Word& word) {
    auto prefix = Prefix::parse(word.text);
    if (!prefix) throw ConfigError(word.where, "'" + word.text + "' is not an ADDRESS[/PREFIX]");
    return *prefix;
}

int parse_table(const Word& word) {
    if (word.text == "main") return RT_TABLE_MAIN;
    if (word.text == "local") return RT_TABLE_LOCAL;
    if (word.text == "default") return RT_TABLE_DEFAULT;
    return parse_int(word, 1, 2147483647, "table");
}

std::uint32_t parse_u32(const Word& word, const std::string& what) {
    try {
        std::size_t used = 0;
        const unsigned long long value = std::stoull(word.text, &used);
        if (used == word.text.size() && value <= 0xffffffffULL && word.text[0] != '-')
            return static_cast<std::uint32_t>(value);
    } catch (const std::exception&) {
    }
    throw ConfigError(word.where, "'" + what + "' must be an integer in 0..4294967295, got '" + word.text + "'");
}

// use_vmac [NAME] [MAC], either order as keepalived's: a word with ':' is the
// MAC (an interface name cannot hold one).
void read_use_vmac(const ConfigNode& node, VrrpInstanceConfig& instance) {
    instance.use_vmac = true;
    for (std::size_t index = 0; index < node.args.size(); ++index) {
        const Word& word = node.arg(index);
        if (word.text.find(':') != std::string::npos) {
            if (instance.vmac_mac) throw ConfigError(word.where, "'use_vmac' takes one MAC address");
            instance.vmac_mac = parse_unicast_mac(word);
            continue;
        }
        if (!instance.vmac_name.empty()) throw ConfigError(word.where, "'use_vmac' takes one interface name");
        // The kernel's dev_valid_name(), as keepalived checks it.
        if (word.text.empty() || word.text.size() > 15 || word.text == "." || word.text == ".." ||
            word.text.find_first_of("/ ") != std::string::npos)
            throw ConfigError(word.where, "'" + word.text +
                                              "' is not an interface name (1..15 characters, not . or .., no '/', "
                                              "':' or space)");
        instance.vmac_name = word.text;
    }
}

// [blackhole] DEST/LEN [via GW] [dev IF] [onlink] [table N] [metric N] [src A] [scope S]
//     [nexthop [via GW] [dev IF] [weight N] [onlink]]... [blackhole] [no_track]
// After `nexthop`, via, dev, weight and onlink describe that path; any other
// option is the route's.
VirtualRoute parse_route(const ConfigNode& entry) {
    const std::vector<Word> words = words_of(entry);
    VirtualRoute route;
    std::size_t index = 0;
    if (words[0].text == "blackhole") {
        route.blackhole = true;
        index = 1;
        if (words.size() < 2) throw ConfigError(words[0].where, "'blackhole' needs a DEST/LEN");
    }
    route.destination = parse_prefix(words[index]);
    const Family family = route.destination.address.family;
    for (++index; index < words.size(); ++index) {
        const std::string& option = words[index].text;
        auto value = [&]() -> const Word& {
            if (index + 1 >= words.size())
                throw ConfigError(words[index].where, "'" + option + "' needs a value");
            return words[++index];
        };
        auto same_family = [&](const Word& word) {
            Address address = parse_address(word);
            if (address.family != family)
                throw ConfigError(word.where, "'" + word.text + "' is not of the family of " +
                                                  route.destination.to_string());
            return address;
        };
        NextHop* hop = route.nexthops.empty() ? nullptr : &route.nexthops.back();
        if (option == "nexthop") route.nexthops.emplace_back();
        else if (option == "via" || option == "gw") (hop ? hop->via : route.via) = same_family(value());
        else if (option == "dev") (hop ? hop->device : route.device) = value().text;
        else if (option == "onlink") (hop ? hop->onlink : route.onlink) = true;
        else if (option == "weight") {
            if (!hop) throw ConfigError(words[index].where, "'weight' belongs to a 'nexthop'");
            hop->weight = parse_int(value(), 1, 256, "weight");
        }
        else if (option == "table") route.table = parse_table(value());
        else if (option == "metric" || option == "preference" || option == "priority")
            route.metric = parse_u32(value(), option);
        else if (option == "src") route.source = same_family(value());
        else if (option == "scope") route.scope = parse_scope(value());
        else if (option == "blackhole") route.blackhole = true;
        else if (option == "no_track") {
            // keepalived: a route that vanishes does not fault the instance; vrrpd never does.
        } else {
            throw ConfigError(words[index].where,
                              "unknown virtual_routes option '" + option +
                                  "' (via, dev, onlink, table, metric, src, scope, nexthop, weight, blackhole)");
        }
    }
    if (route.blackhole && (route.via || !route.device.empty() || !route.nexthops.empty()))
        throw ConfigError(entry.where(), "a blackhole route takes no 'via', 'dev' or 'nexthop'");
    if (!route.nexthops.empty() && (route.via || !route.device.empty() || route.onlink))
        throw ConfigError(entry.where(), "a route with 'nexthop' paths takes its 'via', 'dev' and 'onlink' "
                                         "in each path, not before them");
    for (const NextHop& hop : route.nexthops)
        if (!hop.via && hop.device.empty())
            throw ConfigError(entry.where(), "each 'nexthop' needs 'via GW' or 'dev IF'");
    if ((route.onlink && !route.via) || std::ranges::any_of(route.nexthops, [](const NextHop& hop) {
            return hop.onlink && !hop.via;
        }))
        throw ConfigError(entry.where(), "'onlink' needs a gateway ('via GW')");
    return route;
}

// from PREFIX | to PREFIX [table N] [priority N]
VirtualRule parse_rule(const ConfigNode& entry) {
    const std::vector<Word> words = words_of(entry);
    VirtualRule rule;
    std::optional<Family> family;
    for (std::size_t index = 0; index < words.size(); ++index) {
        const std::string& option = words[index].text;
        auto value = [&]() -> const Word& {
            if (index + 1 >= words.size())
                throw ConfigError(words[index].where, "'" + option + "' needs a value");
            return words[++index];
        };
        if (option == "from" || option == "to") {
            const Word& word = value();
            Prefix prefix = parse_prefix(word);
            if (family && *family != prefix.address.family)
                throw ConfigError(word.where, "'from' and 'to' must be of one family");
            family = prefix.address.family;
            (option == "from" ? rule.from : rule.to) = prefix;
        } else if (option == "table" || option == "lookup") {
            rule.table = parse_table(value());
        } else if (option == "priority" || option == "preference" || option == "pref") {
            rule.priority = parse_u32(value(), option);
        } else if (option == "no_track") {
        } else {
            throw ConfigError(words[index].where, "unknown virtual_rules option '" + option +
                                                      "' (from, to, table, priority)");
        }
    }
    if (!family) throw ConfigError(entry.where(), "a virtual_rules entry needs 'from PREFIX' or 'to PREFIX'");
    rule.family = *family;
    return rule;
}

// ADDRESS [min_ttl N] [max_ttl N]
UnicastPeer parse_unicast_peer(const ConfigNode& entry) {
    const std::vector<Word> words = words_of(entry);
    UnicastPeer peer{parse_address(words[0]), std::nullopt, std::nullopt};
    for (std::size_t index = 1; index < words.size(); ++index) {
        const std::string& option = words[index].text;
        if ((option == "min_ttl" || option == "max_ttl") && index + 1 < words.size()) {
            const int ttl = parse_int(words[++index], 0, 255, option);
            (option == "min_ttl" ? peer.min_ttl : peer.max_ttl) = ttl;
        } else {
            throw ConfigError(words[index].where, "unexpected '" + option +
                                                      "' (expected: min_ttl N, max_ttl N)");
        }
    }
    if (peer.min_ttl && peer.max_ttl && *peer.min_ttl > *peer.max_ttl)
        throw ConfigError(entry.where(), "unicast_peer " + peer.address.to_string() + ": min_ttl > max_ttl");
    return peer;
}

VirtualAddress parse_vip(const ConfigNode& entry) {
    const std::vector<Word> words = words_of(entry);
    VirtualAddress vip;
    auto prefix = Prefix::parse(words[0].text);
    if (!prefix)
        throw ConfigError(words[0].where, "'" + words[0].text + "' is not an ADDRESS[/PREFIX]");
    vip.prefix = *prefix;
    for (std::size_t index = 1; index < words.size(); ++index) {
        const std::string& option = words[index].text;
        auto value = [&]() -> const Word& {
            if (index + 1 >= words.size())
                throw ConfigError(words[index].where, "'" + option + "' needs a value");
            return words[++index];
        };
        if (option == "dev") vip.device = value().text;
        else if (option == "label") vip.label = value().text;
        else if (option == "brd" || option == "broadcast") value();  // the kernel derives it
        else if (option == "scope") vip.scope = parse_scope(value());
        else if (option == "no_track") {
            // keepalived: a VIP that vanishes does not fault the instance. vrrpd
            // never faults on a vanished VIP, so it is the only behaviour.
        } else {
            throw ConfigError(words[index].where,
                              "unknown virtual address option '" + option +
                                  "' (dev, label, scope, brd, no_track)");
        }
    }
    return vip;
}

// NAME [weight N] [reverse], as track_script, track_interface and track_file take.
template <typename Tracked>
Tracked parse_tracked(const ConfigNode& entry) {
    const std::vector<Word> words = words_of(entry);
    Tracked tracked;
    tracked.name = words[0].text;
    for (std::size_t index = 1; index < words.size(); ++index) {
        if (words[index].text == "weight") {
            if (index + 1 >= words.size()) throw ConfigError(words[index].where, "'weight' needs a value");
            tracked.weight = parse_int(words[++index], -253, 253, "weight");
        } else if (words[index].text == "reverse") {
            tracked.reverse = true;
        } else {
            throw ConfigError(words[index].where, "unexpected '" + words[index].text +
                                                      "' (expected: weight N, reverse)");
        }
    }
    return tracked;
}

std::chrono::milliseconds seconds_arg(const ConfigNode& node, std::int64_t max_seconds) {
    return std::chrono::milliseconds(node.fixed_arg(0, 3, 0, max_seconds * 1000));
}

// keepalived's vrrp_garp_* (global) and garp_* (instance) keywords.
bool read_garp(const ConfigNode& node, const std::string& key, GarpSettings& garp) {
    if (key == "garp_master_delay") garp.master_delay = seconds_arg(node, 3600);
    else if (key == "garp_master_repeat") garp.master_repeat = static_cast<int>(node.int_arg(0, 1, 1000));
    else if (key == "garp_master_refresh") garp.master_refresh = seconds_arg(node, 86400);
    else if (key == "garp_master_refresh_repeat")
        garp.master_refresh_repeat = static_cast<int>(node.int_arg(0, 1, 1000));
    else if (key == "garp_interval")
        garp.garp_interval = std::chrono::microseconds(node.fixed_arg(0, 6, 0, 1'000'000'000));
    else if (key == "gna_interval")
        garp.gna_interval = std::chrono::microseconds(node.fixed_arg(0, 6, 0, 1'000'000'000));
    else return false;
    return true;
}

VrrpInstanceConfig read_instance(const ConfigNode& block, int default_version, const GarpSettings& garp,
                                 const std::map<std::string, TrackedFile>& track_files) {
    VrrpInstanceConfig instance;
    instance.name = block.string_arg(0);
    instance.where = block.where();
    instance.version = default_version;
    instance.garp = garp;
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
        else if (key == "preempt") instance.preempt = true;
        else if (key == "preempt_delay") instance.preempt_delay = seconds_arg(node, 1000);
        else if (key == "advert_int") advert = &node;
        else if (key == "virtual_ipaddress")
            for (const ConfigNode& entry : node.children)
                instance.virtual_ipaddress.push_back(parse_vip(entry));
        else if (key == "virtual_ipaddress_excluded")
            for (const ConfigNode& entry : node.children)
                instance.virtual_ipaddress_excluded.push_back(parse_vip(entry));
        else if (key == "track_script")
            for (const ConfigNode& entry : node.children)
                instance.track_script.push_back(parse_tracked<TrackedScript>(entry));
        else if (key == "track_interface")
            for (const ConfigNode& entry : node.children)
                instance.track_interface.push_back(parse_tracked<TrackedInterface>(entry));
        else if (key == "track_file")
            for (const ConfigNode& entry : node.children) {
                TrackedFile tracked = parse_tracked<TrackedFile>(entry);
                const bool weighted = entry.args.size() >= 2;
                if (auto found = track_files.find(tracked.name); found != track_files.end()) {
                    const int weight = tracked.weight;
                    const bool reverse = tracked.reverse;
                    tracked = found->second;
                    if (weighted) {
                        tracked.weight = weight;
                        tracked.reverse = reverse;
                    }
                } else if (tracked.name.starts_with("/")) {
                    tracked.path = tracked.name;
                    if (!weighted) tracked.weight = 1;
                } else {
                    throw ConfigError(entry.where(), "track_file '" + tracked.name +
                                                         "' names no vrrp_track_file (or give a path)");
                }
                instance.track_file.push_back(tracked);
            }
        else if (key == "unicast_src_ip") instance.unicast_src_ip = parse_address(node.arg(0));
        else if (key == "unicast_peer")
            for (const ConfigNode& entry : node.children) {
                instance.unicast_peer_ttl.push_back(parse_unicast_peer(entry));
                instance.unicast_peer.push_back(instance.unicast_peer_ttl.back().address);
            }
        else if (key == "authentication") {
            if (const ConfigNode* type = node.find("auth_type"))
                instance.auth_type =
                    type->choice_arg(0, {"PASS", "AH"}) == "PASS" ? AuthType::pass : AuthType::ah;
            if (instance.auth_type == AuthType::ah)
                throw ConfigError(node.find("auth_type")->arg(0).where,
                                  "auth_type AH is not supported (IPsec AH was removed from VRRP "
                                  "in RFC 3768); use PASS, or none");
            if (const ConfigNode* pass = node.find("auth_pass")) instance.auth_pass = pass->string_arg();
            if (instance.auth_type == AuthType::pass && instance.auth_pass.empty())
                throw ConfigError(node.where(), "auth_type PASS needs 'auth_pass'");
            if (instance.auth_pass.size() > 8)
                HK_LOG_WARNING("%s: auth_pass is longer than 8 characters: only the first 8 are used",
                               node.where().to_string().c_str());
        } else if (key == "v3_checksum_as_v2") instance.v3_checksum_as_v2 = true;
        else if (key == "skip_check_adv_addr") instance.skip_check_adv_addr = true;
        else if (key == "use_vmac") read_use_vmac(node, instance);
        else if (key == "vmac_xmit_base") instance.vmac_xmit_base = true;
        else if (key == "virtual_routes")
            for (const ConfigNode& entry : node.children) instance.virtual_routes.push_back(parse_route(entry));
        else if (key == "virtual_rules")
            for (const ConfigNode& entry : node.children) instance.virtual_rules.push_back(parse_rule(entry));
        else read_garp(node, key, instance.garp);
    }
    if (instance.interface.empty())
        throw ConfigError(block.where(), "vrrp_instance '" + instance.name + "' needs 'interface'");
    if (instance.virtual_router_id == 0)
        throw ConfigError(block.where(),
                          "vrrp_instance '" + instance.name + "' needs 'virtual_router_id'");
    // The family of the VIPs is the instance's (keepalived); all must share it.
    if (!instance.virtual_ipaddress.empty())
        instance.family = instance.virtual_ipaddress[0].prefix.address.family;
    else if (instance.unicast_src_ip)
        instance.family = instance.unicast_src_ip->family;
    if (const ConfigNode* vips = block.find("virtual_ipaddress"))
        for (std::size_t index = 0; index < instance.virtual_ipaddress.size(); ++index)
            if (instance.virtual_ipaddress[index].prefix.address.family != instance.family)
                throw ConfigError(vips->children[index].where(),
                                  "virtual_ipaddress of vrrp_instance '" + instance.name +
                                      "' mixes IPv4 and IPv6 (use virtual_ipaddress_excluded, "
                                      "or another instance)");
    if (instance.family == Family::ipv6 && instance.version == 2) {
        // keepalived does the same: VRRPv2 is IPv4 only (RFC 3768).
        instance.version = 3;
    }
    if (advert != nullptr) {
        // RFC 3768: whole seconds, 1..255. RFC 5798: centiseconds, 1..4095.
        instance.advert_int_centis = instance.version == 2
                                         ? static_cast<int>(advert->int_arg(0, 1, 255)) * 100
                                         : static_cast<int>(advert->fixed_arg(0, 2, 1, 4095));
    }
    if (instance.version == 3 && instance.auth_type != AuthType::none) {
        HK_LOG_WARNING("%s: authentication is VRRPv2 only: ignored for version 3",
                       block.where().to_string().c_str());
        instance.auth_type = AuthType::none;
    }
    if (instance.virtual_ipaddress.size() > 255)
        throw ConfigError(block.where(), "vrrp_instance '" + instance.name +
                                             "' has more than 255 virtual_ipaddress entries");
    for (const Address& peer : instance.unicast_peer)
        if (peer.family != instance.family)
            throw ConfigError(block.find("unicast_peer")->where(),
                              "unicast_peer " + peer.to_string() + " is not of the instance's family");
    if (instance.use_vmac && instance.vmac_name.empty())
        instance.vmac_name = (instance.family == Family::ipv4 ? "vrrp." : "vrrp6.") +
                             std::to_string(instance.virtual_router_id);
    if (instance.vmac_xmit_base && !instance.use_vmac)
        HK_LOG_WARNING("%s: vmac_xmit_base without use_vmac has no effect", block.where().to_string().c_str());
    if (instance.use_vmac && instance.vmac_name == instance.interface)
        throw ConfigError(block.find("use_vmac")->where(), "the VMAC cannot be named as its interface");
    if (instance.unicast_src_ip && instance.unicast_src_ip->family != instance.family)
        throw ConfigError(block.find("unicast_src_ip")->where(),
                          "unicast_src_ip is not of the family of virtual_ipaddress");
    return instance;
}

const config::Schema& vrrpd_global_defs_schema() {
    static const config::Schema schema = [] {
        config::Schema built = global_defs_schema();
        for (const char* key : {"vrrp_version", "vrrp_garp_master_delay", "vrrp_garp_master_repeat",
                                "vrrp_garp_master_refresh", "vrrp_garp_master_refresh_repeat",
                                "vrrp_garp_interval", "vrrp_gna_interval"})
            built.keywords[key] = once_with_args(1, 1);
        return built;
    }();
    return schema;
}

}  // namespace

std::string VirtualRoute::to_string() const {
    std::string text = (blackhole ? "blackhole " : "") + destination.to_string();
    if (via) text += " via " + via->to_string();
    if (!device.empty()) text += " dev " + device;
    if (onlink) text += " onlink";
    for (const NextHop& hop : nexthops) {
        text += " nexthop";
        if (hop.via) text += " via " + hop.via->to_string();
        if (!hop.device.empty()) text += " dev " + hop.device;
        if (hop.weight != 1) text += " weight " + std::to_string(hop.weight);
        if (hop.onlink) text += " onlink";
    }
    if (table != RT_TABLE_MAIN) text += " table " + std::to_string(table);
    if (metric) text += " metric " + std::to_string(*metric);
    if (source) text += " src " + source->to_string();
    return text;
}

std::string VirtualRule::to_string() const {
    std::string text;
    if (from) text += "from " + from->to_string();
    if (to) text += std::string(text.empty() ? "" : " ") + "to " + to->to_string();
    text += " table " + std::to_string(table);
    if (priority) text += " priority " + std::to_string(*priority);
    return text;
}

std::string VirtualAddress::to_string() const {
    std::string text = prefix.to_string();
    if (!device.empty()) text += " dev " + device;
    if (!label.empty()) text += " label " + label;
    return text;
}

const config::Schema& vrrpd_schema() {
    static const config::Schema schema{{
        {"global_defs", KeywordSpec{0, 0, BlockKind::required, &vrrpd_global_defs_schema()}},
        {"vrrp_instance", KeywordSpec{1, 1, BlockKind::required, &instance_schema()}},
        {"vrrp_sync_group", KeywordSpec{1, 1, BlockKind::required, &sync_group_schema()}},
        {"vrrp_track_file", KeywordSpec{1, 1, BlockKind::required, &track_file_schema()}},
    }};
    return schema;
}

VrrpdConfig parse_vrrpd_config(const config::ParsedConfig& parsed) {
    VrrpdConfig result;
    result.global = read_global_defs(parsed.statements);
    // keepalived's default: VRRPv2 unless global_defs says vrrp_version 3.
    int default_version = 2;
    for (const ConfigNode& block : parsed.statements) {
        if (block.keyword.text != "global_defs") continue;
        for (const ConfigNode& node : block.children) {
            const std::string& key = node.keyword.text;
            if (key == "vrrp_version") default_version = static_cast<int>(node.int_arg(0, 2, 3));
            else if (key.starts_with("vrrp_")) read_garp(node, key.substr(5), result.garp);
        }
    }
    std::map<std::string, TrackedFile> track_files;
    for (const ConfigNode& node : parsed.statements) {
        if (node.keyword.text != "vrrp_track_file") continue;
        TrackedFile file;
        file.name = node.string_arg(0);
        const ConfigNode* path = node.find("file");
        if (path == nullptr) throw ConfigError(node.where(), "vrrp_track_file '" + file.name + "' needs 'file'");
        file.path = path->string_arg();
        if (const ConfigNode* weight = node.find("weight")) {
            file.weight = static_cast<int>(weight->int_arg(0, -254, 254));
            if (weight->args.size() > 1) file.reverse = weight->choice_arg(1, {"reverse"}) == "reverse";
        }
        if (node.find("init_file"))
            HK_LOG_WARNING("%s: init_file is not supported (vrrpd writes no files): ignored",
                           node.where().to_string().c_str());
        track_files[file.name] = file;
    }
    std::set<std::string> names;
    for (const ConfigNode& node : parsed.statements) {
        if (node.keyword.text == "vrrp_instance") {
            VrrpInstanceConfig instance = read_instance(node, default_version, result.garp, track_files);
            if (!names.insert(instance.name).second)
                throw ConfigError(node.arg(0).where,
                                  "vrrp_instance '" + instance.name + "' defined twice");
            for (const VrrpInstanceConfig& other : result.instances)
                if (other.same_identity(instance))
                    throw ConfigError(node.arg(0).where,
                                      "vrrp_instance '" + instance.name + "' has the same VRID " +
                                          std::to_string(instance.virtual_router_id) +
                                          ", family and interface as '" + other.name + "'");
            // Two instances on one macvlan would fight over it (the second
            // one's is taken): each needs its own, also two default names
            // (same VRID and family on two interfaces).
            for (const VrrpInstanceConfig& other : result.instances)
                if (instance.use_vmac && other.use_vmac && other.vmac_name == instance.vmac_name)
                    throw ConfigError(node.find("use_vmac")->where(),
                                      "VMAC '" + instance.vmac_name + "' is vrrp_instance '" + other.name +
                                          "''s already: give each instance its own with use_vmac NAME");
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
            for (const ConfigNode& entry : members->children) {
                if (!names.contains(entry.keyword.text))
                    throw ConfigError(entry.where(), "vrrp_sync_group '" + node.string_arg(0) +
                                                         "' names unknown vrrp_instance '" +
                                                         entry.keyword.text + "'");
                for (VrrpInstanceConfig& instance : result.instances)
                    if (instance.name == entry.keyword.text) {
                        if (!instance.sync_group.empty())
                            throw ConfigError(entry.where(), "vrrp_instance '" + instance.name +
                                                                 "' is in two sync groups");
                        instance.sync_group = node.string_arg(0);
                    }
            }
    }
    return result;
}

VrrpdConfig load_vrrpd_config(const std::string& path, config::FileSource& files) {
    return parse_vrrpd_config(config::parse_file(path, vrrpd_schema(), files));
}

}  // namespace hakeep::vrrpd
