#include "ipvsd/config.h"

#include "ipvsd/desired.h"

#include <linux/ip_vs.h>

#include <cctype>
#include <cstring>

#include <functional>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace hakeep::ipvsd {
namespace {

using config::BlockKind;
using config::ConfigError;
using config::ConfigNode;
using config::KeywordSpec;
using config::once_flag;
using config::once_with_args;
using config::once_with_value;
using config::Schema;
using config::unbounded;

// lvs_method TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]
KeywordSpec method() { return once_with_args(1, 6); }

// keepalived nests checkers in real_server; hakeep keeps them in checkd.conf.
// They are recognised only to say so (read_real_server refuses them).
const Schema& foreign_checker_schema() {
    static const Schema schema = [] {
        Schema built;
        built.allow_unknown = true;
        return built;
    }();
    return schema;
}

const char* const checker_keywords[] = {"TCP_CHECK",  "HTTP_GET",  "SSL_GET",   "SMTP_CHECK",
                                        "DNS_CHECK",  "MISC_CHECK", "UDP_CHECK", "PING_CHECK",
                                        "FILE_CHECK", "BFD_CHECK"};

const Schema& real_server_schema() {
    static const Schema schema = [] {
        Schema built{{
        {"weight", once_with_value()},
        {"track_check", once_with_value()},
        {"inhibit_on_failure", once_flag()},
        {"uthreshold", once_with_value()},
        {"lthreshold", once_with_value()},
        {"lvs_method", method()},
        {"lb_kind", method()},
        }};
        for (const char* checker : checker_keywords)
            built.keywords[checker] = KeywordSpec{0, 0, BlockKind::required, &foreign_checker_schema()};
        return built;
    }();
    return schema;
}

const Schema& virtual_server_schema() {
    static const Schema schema{{
        {"lb_algo", once_with_value()},
        {"lvs_sched", once_with_value()},
        {"lb_kind", method()},
        {"lvs_method", method()},
        {"protocol", once_with_value()},
        {"persistence_timeout", once_with_args(0, 1)},
        {"persistence_granularity", once_with_value()},
        {"quorum", once_with_value()},
        {"hysteresis", once_with_value()},
        {"alpha", once_flag()},
        {"ha_suspend", once_flag()},
        {"inhibit_on_failure", once_flag()},
        {"sorry_server", once_with_args(2, 2)},
        {"sh-port", once_flag()},
        {"sh-fallback", once_flag()},
        {"mh-port", once_flag()},
        {"mh-fallback", once_flag()},
        {"flag-1", once_flag()},
        {"flag-2", once_flag()},
        {"flag-3", once_flag()},
        {"ops", once_flag()},
        {"real_server", KeywordSpec{1, 2, BlockKind::optional, &real_server_schema()}},
        // Check timing lives in checkd.conf; accepted so a keepalived block pastes.
        {"delay_loop", once_with_value()},
    }};
    return schema;
}

const Schema& ipvsd_global_defs_schema() {
    static const Schema schema = [] {
        Schema built = global_defs_schema();
        // lvs_timeouts tcp N tcpfin N udp N (any subset, any order)
        built.keywords["lvs_timeouts"] = once_with_args(2, 6);
        // lvs_sync_daemon INTERFACE INSTANCE [id N]
        built.keywords["lvs_sync_daemon"] = once_with_args(2, 4);
        built.keywords["check_snapshot_wait"] = once_with_value();
        return built;
    }();
    return schema;
}

Address address_arg(const ConfigNode& node, std::size_t index) {
    const std::string text = node.string_arg(index);
    std::optional<Address> address = Address::parse(text);
    if (!address)
        throw ConfigError(node.arg(index).where, "'" + text + "' is not an IPv4 or IPv6 address");
    return *address;
}

std::uint16_t port_arg(const ConfigNode& node, std::size_t index) {
    return static_cast<std::uint16_t>(node.int_arg(index, 0, 65535));
}

const char* protocol_word(std::uint16_t protocol) {
    return protocol == IPPROTO_UDP ? "udp" : protocol == IPPROTO_SCTP ? "sctp" : "tcp";
}

const std::vector<std::string> schedulers = {"rr",  "wrr", "lc", "wlc", "lblc", "lblcr", "dh",
                                             "sh",  "sed", "nq", "fo",  "ovf",  "mh"};

ForwardingConfig read_forwarding(const ConfigNode& node) {
    ForwardingConfig forwarding;
    const std::string kind = node.choice_arg(0, {"NAT", "DR", "TUN"});
    forwarding.method = kind == "NAT" ? Forwarding::masquerade
                        : kind == "DR" ? Forwarding::route
                                       : Forwarding::tunnel;
    for (std::size_t index = 1; index < node.args.size(); ++index) {
        const std::string& word = node.args[index].text;
        if (kind != "TUN")
            throw ConfigError(node.args[index].where,
                              "'" + node.keyword.text + " " + kind + "' takes no options, got '" +
                                  word + "'");
        if (word == "type") {
            const std::string type = node.choice_arg(++index, {"ipip", "gue", "gre"});
            forwarding.tunnel_type = type == "ipip"  ? IP_VS_CONN_F_TUNNEL_TYPE_IPIP
                                     : type == "gue" ? IP_VS_CONN_F_TUNNEL_TYPE_GUE
                                                     : IP_VS_CONN_F_TUNNEL_TYPE_GRE;
        } else if (word == "port") {
            forwarding.tunnel_port = static_cast<std::uint16_t>(node.int_arg(++index, 1, 65535));
        } else if (word == "nocsum") {
            forwarding.tunnel_flags = IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM;
        } else if (word == "csum") {
            forwarding.tunnel_flags = IP_VS_TUNNEL_ENCAP_FLAG_CSUM;
        } else if (word == "remcsum") {
            forwarding.tunnel_flags = IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM;
        } else {
            throw ConfigError(node.args[index].where,
                              "unknown TUN option '" + word + "' (type, port, nocsum, csum, remcsum)");
        }
    }
    if (forwarding.tunnel_type == IP_VS_CONN_F_TUNNEL_TYPE_GUE && forwarding.tunnel_port == 0)
        throw ConfigError(node.where(), "'type gue' needs 'port N'");
    return forwarding;
}

RealServerConfig read_real_server(const ConfigNode& node) {
    RealServerConfig real;
    real.where = node.where();
    real.address = address_arg(node, 0);
    // Without a port: the virtual server's (set by the caller), as keepalived.
    if (node.args.size() > 1) real.port = port_arg(node, 1);
    for (const ConfigNode& option : node.children) {
        const std::string& key = option.keyword.text;
        if (key == "weight") real.weight = static_cast<int>(option.int_arg(0, 0, 65535));
        else if (key == "track_check") real.track_check = option.string_arg();
        else if (key == "inhibit_on_failure") real.inhibit_on_failure = true;
        else if (key == "uthreshold")
            real.upper_threshold = static_cast<std::uint32_t>(option.int_arg(0, 0, 65535));
        else if (key == "lthreshold")
            real.lower_threshold = static_cast<std::uint32_t>(option.int_arg(0, 0, 65535));
        else if (key == "lvs_method" || key == "lb_kind") real.forwarding = read_forwarding(option);
        else if (option.has_block)
            throw ConfigError(option.where(),
                              key + " belongs in checkd.conf: define 'check NAME { ... " + key +
                                  " { ... } }' there and write 'track_check NAME' here");
    }
    // The kernel refuses a lower threshold above the upper one (0: none).
    if (real.lower_threshold != 0 &&
        (real.upper_threshold == 0 || real.lower_threshold > real.upper_threshold))
        throw ConfigError(node.where(), "'lthreshold' " + std::to_string(real.lower_threshold) +
                                            " needs a 'uthreshold' at least as high");
    return real;
}

void read_scheduler_flag(VirtualServerConfig& server, const std::string& key) {
    // sh and mh read the first two scheduler flags as "fallback" and "port".
    if (key == "sh-fallback" || key == "mh-fallback" || key == "flag-1")
        server.scheduler_flags |= IP_VS_SVC_F_SCHED1;
    else if (key == "sh-port" || key == "mh-port" || key == "flag-2")
        server.scheduler_flags |= IP_VS_SVC_F_SCHED2;
    else if (key == "flag-3")
        server.scheduler_flags |= IP_VS_SVC_F_SCHED3;
}

VirtualServerConfig read_virtual_server(const ConfigNode& block) {
    VirtualServerConfig server;
    server.where = block.where();
    const ConfigNode* granularity = nullptr;
    bool granularity_is_mask = false;
    if (block.args[0].text == "fwmark") {
        server.fwmark = static_cast<std::uint32_t>(block.int_arg(1, 1, 0xffffffffLL));
        server.protocol = 0;
    } else if (block.args[0].text == "group") {
        server.group = block.string_arg(1);
    } else {
        server.address = address_arg(block, 0);
        server.family = server.address->family;
        // keepalived allows the port to be left out: port 0, every port
        // (meaningful with persistence).
        if (block.args.size() > 1) server.port = port_arg(block, 1);
    }
    for (const ConfigNode& node : block.children) {
        const std::string& key = node.keyword.text;
        if (key == "lb_algo" || key == "lvs_sched") server.scheduler = node.choice_arg(0, schedulers);
        else if (key == "lb_kind" || key == "lvs_method") server.forwarding = read_forwarding(node);
        else if (key == "protocol") {
            const std::string protocol = node.choice_arg(0, {"TCP", "UDP", "SCTP"});
            if (server.fwmark != 0)
                throw ConfigError(node.where(), "a fwmark virtual_server has no 'protocol'");
            server.protocol = protocol == "TCP"   ? IPPROTO_TCP
                              : protocol == "UDP" ? IPPROTO_UDP
                                                  : IPPROTO_SCTP;
        } else if (key == "persistence_timeout") {
            // Given without a value: keepalived's 360 s.
            server.persistence_timeout =
                node.args.empty() ? 360 : static_cast<std::uint32_t>(node.int_arg(0, 0, 2678400));
        } else if (key == "persistence_granularity") {
            granularity = &node;
            const std::string text = node.string_arg(0);
            std::optional<Address> mask = Address::parse(text);
            granularity_is_mask = mask && mask->family == AF_INET;
            if (granularity_is_mask) {
                std::memcpy(&server.persistence_granularity, mask->bytes.data(), 4);
            } else {
                server.persistence_granularity =
                    static_cast<std::uint32_t>(node.int_arg(0, 1, 128));  // IPv6 prefix length
            }
        } else if (key == "quorum") server.quorum = static_cast<int>(node.int_arg(0, 0, 1000000));
        else if (key == "hysteresis")
            server.hysteresis = static_cast<int>(node.int_arg(0, 0, 1000000));
        else if (key == "alpha") server.alpha = true;
        else if (key == "ha_suspend") server.ha_suspend = true;
        else if (key == "inhibit_on_failure") server.inhibit_on_failure = true;
        else if (key == "ops") server.one_packet = true;
        else if (key == "sorry_server") {
            RealServerConfig sorry;
            sorry.where = node.where();
            sorry.address = address_arg(node, 0);
            sorry.port = port_arg(node, 1);
            server.sorry_server = sorry;
        } else if (key == "real_server") {
            server.real_servers.push_back(read_real_server(node));
            if (node.args.size() < 2) server.real_servers.back().port = server.port;
        } else read_scheduler_flag(server, key);
    }
    // Kept for as long as the configuration: no room for a 33rd real server
    // because there are 17.
    server.real_servers.shrink_to_fit();
    if (server.fwmark != 0 && !server.real_servers.empty())
        server.family = server.real_servers.front().address.family;
    // An IPv4 service takes a mask (255.255.255.0), an IPv6 one a prefix length.
    if (granularity != nullptr && server.group.empty() &&
        granularity_is_mask != (server.family == AF_INET))
        throw ConfigError(granularity->arg(0).where,
                          server.family == AF_INET
                              ? "'persistence_granularity' of an IPv4 service is a mask such as 255.255.255.0"
                              : "'persistence_granularity' of an IPv6 service is a prefix length 1..128");
    if (server.one_packet && server.protocol != IPPROTO_UDP)
        throw ConfigError(block.where(), "'ops' (one-packet scheduling) is for UDP services only");
    return server;
}

std::vector<GroupMember> read_group(const ConfigNode& block) {
    std::vector<GroupMember> members;
    for (const ConfigNode& entry : block.children) {
        GroupMember member;
        member.where = entry.where();
        if (entry.keyword.text == "fwmark") {
            member.fwmark = static_cast<std::uint32_t>(entry.int_arg(0, 1, 0xffffffffLL));
            if (entry.args.size() > 1)
                member.family = entry.choice_arg(1, {"inet", "inet6"}) == "inet6" ? AF_INET6 : AF_INET;
            members.push_back(member);
            continue;
        }
        std::string text = entry.keyword.text;
        const std::size_t dash = text.rfind('-');
        if (dash != std::string::npos && text.find(':') == std::string::npos) {
            const std::string last = text.substr(dash + 1);
            text = text.substr(0, dash);
            int end = 0;
            for (char digit : last) end = std::isdigit(static_cast<unsigned char>(digit)) ? end * 10 + (digit - '0') : 1000;
            if (last.empty() || end > 255)
                throw ConfigError(entry.where(), "'" + entry.keyword.text + "' is not a range a.b.c.d-e");
            member.range_end = static_cast<std::uint8_t>(end);
        }
        std::optional<Address> address = Address::parse(text);
        if (!address)
            throw ConfigError(entry.where(), "'" + entry.keyword.text + "' is not an address, range or fwmark");
        member.first = *address;
        member.family = address->family;
        if (member.range_end != 0 && member.range_end < address->bytes[3])
            throw ConfigError(entry.where(), "range '" + entry.keyword.text + "' ends before it starts");
        if (!entry.args.empty()) member.port = port_arg(entry, 0);
        members.push_back(member);
    }
    return members;
}

void read_ipvs_globals(const std::vector<ConfigNode>& top, IpvsdConfig& result) {
    for (const ConfigNode& block : top) {
        if (block.keyword.text != "global_defs") continue;
        for (const ConfigNode& node : block.children) {
            if (node.keyword.text == "lvs_timeouts") {
                if (node.args.size() % 2 != 0)
                    throw ConfigError(node.where(), "'lvs_timeouts' takes pairs: tcp N tcpfin N udp N");
                for (std::size_t index = 0; index < node.args.size(); index += 2) {
                    const std::string which = node.choice_arg(index, {"tcp", "tcpfin", "udp"});
                    const auto seconds = static_cast<std::uint32_t>(node.int_arg(index + 1, 1, 31536000));
                    (which == "tcp" ? result.timeouts.tcp
                     : which == "tcpfin" ? result.timeouts.tcp_fin
                                         : result.timeouts.udp) = seconds;
                }
            } else if (node.keyword.text == "lvs_sync_daemon") {
                SyncDaemonConfig sync{node.string_arg(0), node.string_arg(1), 0};
                if (node.args.size() > 2) {
                    if (node.args[2].text != "id" || node.args.size() != 4)
                        throw ConfigError(node.args[2].where, "'lvs_sync_daemon' options: id N");
                    sync.sync_id = static_cast<std::uint8_t>(node.int_arg(3, 0, 255));
                }
                result.sync_daemon = sync;
            } else if (node.keyword.text == "check_snapshot_wait") {
                result.check_snapshot_wait = std::chrono::seconds(node.int_arg(0, 0, 3600));
            }
        }
    }
}

// One kernel service declared twice, through groups or a group and a plain
// virtual_server: the kernel has one set of real servers for it, so one of
// the two would silently lose. Refused, naming both places.
void refuse_overlaps(const IpvsdConfig& config) {
    struct Origin {
        const VirtualServerConfig* server;
        const config::SourceLocation* place;
    };
    std::map<ServiceKey, Origin> seen;
    auto describe = [](const VirtualServerConfig& server, const config::SourceLocation& place) {
        std::string text = "virtual_server " + server.label() + " at " + server.where.to_string();
        if (!server.group.empty())
            text += ", virtual_server_group " + server.group + " entry at " + place.to_string();
        return text;
    };
    for (const VirtualServerConfig& server : config.virtual_servers) {
        std::vector<const config::SourceLocation*> places;
        const std::vector<ServiceKey> keys = service_keys(server, config, &places);
        for (std::size_t index = 0; index < keys.size(); ++index) {
            auto [found, added] = seen.try_emplace(keys[index], Origin{&server, places[index]});
            if (added) continue;
            throw ConfigError(*places[index],
                              "service " + keys[index].to_string() + " declared twice: by " +
                                  describe(server, *places[index]) + ", and already by " +
                                  describe(*found->second.server, *found->second.place));
        }
    }
}

}  // namespace

std::string RealServerConfig::label() const {
    const std::string text = address.to_string();
    return (address.family == AF_INET6 ? "[" + text + "]" : text) + ":" + std::to_string(port);
}

std::string VirtualServerConfig::label_without_protocol() const {
    if (fwmark != 0) return "fwmark " + std::to_string(fwmark);
    if (!group.empty()) return "group " + group;
    const std::string text = address->to_string();
    return (address->family == AF_INET6 ? "[" + text + "]" : text) + ":" + std::to_string(port);
}

std::string VirtualServerConfig::label() const {
    if (fwmark != 0) return label_without_protocol();  // a fwmark service has no protocol
    return label_without_protocol() + "/" + protocol_word(protocol);
}

VirtualServerLookup find_virtual_server(const IpvsdConfig& config, const std::string& name) {
    // NAME/proto, proto:NAME, "PROTO NAME" (ipvsadm's order), or NAME alone.
    std::string base = name;
    std::string protocol;
    std::string lowered = name;
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const std::string word : {"tcp", "udp", "sctp"}) {
        if (lowered.size() > word.size() + 1 && lowered.ends_with("/" + word)) {
            base = name.substr(0, name.size() - word.size() - 1);
            protocol = word;
        } else if (lowered.starts_with(word + ":") || lowered.starts_with(word + " ")) {
            base = name.substr(word.size() + 1);
            protocol = word;
        }
    }
    VirtualServerLookup result;
    std::vector<std::string> candidates;
    for (std::size_t index = 0; index < config.virtual_servers.size(); ++index) {
        const VirtualServerConfig& server = config.virtual_servers[index];
        if (server.label_without_protocol() != base) continue;
        if (!protocol.empty() && server.fwmark == 0 && protocol_word(server.protocol) != protocol) continue;
        candidates.push_back(server.label());
        result.index = index;
    }
    if (candidates.size() > 1) {
        result.index.reset();
        result.problem = "virtual server " + name + " is ambiguous: ";
        for (std::size_t i = 0; i < candidates.size(); ++i)
            result.problem += (i ? " or " : "") + candidates[i];
        result.problem += " (name the protocol, as hactl ipvs does)";
    } else if (candidates.empty()) {
        result.problem = "no virtual server " + name + " (hactl ipvs lists them)";
    }
    return result;
}

const config::Schema& ipvsd_schema() {
    static const Schema schema{{
        {"global_defs", KeywordSpec{0, 0, BlockKind::required, &ipvsd_global_defs_schema()}},
        {"virtual_server", KeywordSpec{1, 2, BlockKind::required, &virtual_server_schema()}},
        // Entries "ADDR [PORT]", "a.b.c.d-e [PORT]" or "fwmark N [inet|inet6]", one per line.
        {"virtual_server_group", KeywordSpec{1, 1, BlockKind::required}},
    }};
    return schema;
}

namespace {

// Turns top-level statements into an IpvsdConfig one at a time, as the
// parser hands them over: a virtual_server is read as soon as its block
// ends, so a large file never exists as a whole tree. Groups may be named
// before they are defined; that is checked at the end.
//
// On a reload it takes over, from the previous configuration, each
// virtual_server whose block text is unchanged at the same place (file, line,
// column): the parser offers every block through reuse() before parsing it.
// A block's text is known by its length and hash; two different texts of the
// same length at the same place with the same 64-bit hash are what it would
// take to keep a stale block, which accident will not produce.
//
// The real servers of a block taken over are moved, not copied: at 37,000
// real servers a copy would double the configuration's memory during every
// reload. The previous configuration keeps everything else of the block (its
// keys and labels, which the caller still compares with the new ones), and
// gets its real servers back if the new file is refused (give_back()).
class ConfigReader final : public config::StatementReuse {
public:
    explicit ConfigReader(IpvsdConfig* previous = nullptr) : previous_(previous) {
        if (previous_ == nullptr) return;
        for (std::size_t index = 0; index < previous_->virtual_servers.size(); ++index) {
            const VirtualServerConfig& server = previous_->virtual_servers[index];
            if (server.source_length == 0) continue;
            by_hash_.emplace(server.source_hash, index);
            lengths_.emplace(Place{server.where.file.str(), server.where.line, server.where.column},
                             server.source_length);
        }
    }

    std::size_t known_length(const config::SourceLocation& where) override {
        const auto found = lengths_.find(Place{where.file.str(), where.line, where.column});
        return found == lengths_.end() ? 0 : found->second;
    }

    bool reuse(const config::SourceLocation& where, std::string_view text) override {
        offered_ = Offered{where, text.size(), std::hash<std::string_view>{}(text)};
        if (previous_ == nullptr) return false;
        const auto found = by_hash_.find(offered_.hash);
        if (found == by_hash_.end()) return false;
        VirtualServerConfig& known = previous_->virtual_servers[found->second];
        // A group's use is checked against its definition in finish(), which
        // needs the place of the group's name: such blocks are read again.
        if (known.source_length != offered_.length || !same_place(known.where, where) ||
            !known.group.empty())
            return false;
        // A duplicate is parsed again, to be refused where it stands.
        if (declared_.contains(identity(known))) return false;
        std::vector<RealServerConfig> real_servers = std::move(known.real_servers);
        known.real_servers.clear();  // moved from: empty for certain
        VirtualServerConfig server = known;
        server.real_servers = std::move(real_servers);
        taken_.emplace_back(found->second, result_.virtual_servers.size());
        by_hash_.erase(found);
        add(std::move(server));
        return true;
    }

    // The new file was refused: the previous configuration is whole again.
    void give_back() {
        for (const auto& [from, to] : taken_)
            if (to < result_.virtual_servers.size())
                previous_->virtual_servers[from].real_servers =
                    std::move(result_.virtual_servers[to].real_servers);
        taken_.clear();
    }

    void statement(ConfigNode&& node) {
        const std::string& keyword = node.keyword.text;
        if (keyword == "virtual_server") {
            VirtualServerConfig server = read_virtual_server(node);
            // The statement just offered, if any, is this one.
            if (same_place(offered_.where, node.where())) {
                server.source_length = offered_.length;
                server.source_hash = offered_.hash;
            }
            if (!server.group.empty()) group_uses_.emplace_back(server.group, node.arg(1).where);
            add(std::move(server));
        } else if (keyword == "virtual_server_group") {
            const std::string name = node.string_arg(0);
            if (result_.virtual_server_groups.contains(name))
                throw ConfigError(node.arg(0).where, "virtual_server_group '" + name + "' defined twice");
            result_.virtual_server_groups[name] = read_group(node);
        } else {
            global_defs_.push_back(std::move(node));
        }
    }

    IpvsdConfig finish() {
        result_.global = read_global_defs(global_defs_);
        read_ipvs_globals(global_defs_, result_);
        for (const auto& [group, where] : group_uses_)
            if (!result_.virtual_server_groups.contains(group))
                throw ConfigError(where, "virtual_server names unknown virtual_server_group '" + group + "'");
        refuse_overlaps(result_);
        return std::move(result_);
    }

private:
    struct Offered {
        config::SourceLocation where;
        std::size_t length = 0;
        std::size_t hash = 0;
    };

    static bool same_place(const config::SourceLocation& a, const config::SourceLocation& b) {
        return a.line == b.line && a.column == b.column && a.file == b.file;
    }

    // What its label says (address, port and protocol; fwmark; group and
    // protocol), without making the label: two virtual servers with the
    // same label are one defined twice.
    using Identity = std::tuple<std::optional<Address>, std::uint16_t, std::uint16_t, std::uint32_t,
                                std::string>;
    static Identity identity(const VirtualServerConfig& server) {
        return {server.address, server.port, server.protocol, server.fwmark, server.group};
    }

    void add(VirtualServerConfig&& server) {
        if (!declared_.insert(identity(server)).second)
            throw ConfigError(server.where, "virtual_server " + server.label() + " defined twice");
        result_.virtual_servers.push_back(std::move(server));
    }

    using Place = std::tuple<std::string, int, int>;  // file, line, column

    IpvsdConfig* previous_;
    std::unordered_map<std::size_t, std::size_t> by_hash_;  // source_hash -> index in previous_
    std::map<Place, std::size_t> lengths_;                  // source_length of each place
    // Blocks taken over: index in previous_, index in result_.
    std::vector<std::pair<std::size_t, std::size_t>> taken_;
    Offered offered_;
    IpvsdConfig result_;
    std::vector<ConfigNode> global_defs_;
    std::vector<std::pair<std::string, config::SourceLocation>> group_uses_;
    std::set<Identity> declared_;
};

IpvsdConfig load_with(const std::string& path, config::FileSource& files, ConfigReader& reader) {
    config::parse_file(path, ipvsd_schema(), files,
                       [&reader](ConfigNode&& node) { reader.statement(std::move(node)); }, &reader);
    return reader.finish();
}

}  // namespace

IpvsdConfig parse_ipvsd_config(const config::ParsedConfig& parsed) {
    ConfigReader reader;
    for (const ConfigNode& node : parsed.statements) reader.statement(ConfigNode(node));
    return reader.finish();
}

IpvsdConfig load_ipvsd_config(const std::string& path, config::FileSource& files) {
    ConfigReader reader;
    return load_with(path, files, reader);
}

IpvsdConfig reload_ipvsd_config(const std::string& path, config::FileSource& files,
                                IpvsdConfig& previous) {
    ConfigReader reader(&previous);
    try {
        return load_with(path, files, reader);
    } catch (...) {
        reader.give_back();
        throw;
    }
}

}  // namespace hakeep::ipvsd
