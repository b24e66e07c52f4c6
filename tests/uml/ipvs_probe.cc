// ipvs_probe: NetlinkKernel from the command line, for the kernel IPVS lab
// (tests/uml/t_netlink_kernel.sh). It writes and reads the kernel table
// through exactly the code ipvsd uses, so that ipvsadm can check it.
//
//   ipvs_probe apply FILE       apply FILE's operations ('-': stdin) in ONE apply()
//   ipvs_probe dump [--stats]   the table, sorted, one line per service / destination
//   ipvs_probe timeouts         "tcp T tcpfin F udp U"
//   ipvs_probe sync             one line per sync daemon: "master eth0 syncid 5"
//   ipvs_probe window           operations per datagram
//   ipvs_probe check FILE       dump() equals (operator==, counters aside) the
//                               table FILE's add-service/add-dest lines build
//
// FILE, one operation a line ('#' starts a comment):
//   SERVICE is  PROTO ADDRESS PORT  (PROTO: TCP UDP SCTP)  or  FWM MARK [IPv6]
//   add-service  SERVICE SCHEDULER [timeout N] [netmask MASK|PREFIX] [flags N] [pe NAME]
//                (netmask: default the whole address; timeout sets the persistent flag)
//   edit-service SERVICE SCHEDULER [...]
//   del-service  SERVICE
//   add-dest     SERVICE ADDRESS PORT NAT|DR|TUN WEIGHT [uthresh N] [lthresh N]
//                [tun-type ipip|gue|gre] [tun-port N] [tun-flags N]
//   edit-dest    SERVICE ADDRESS PORT NAT|DR|TUN WEIGHT [...]
//   del-dest     SERVICE ADDRESS PORT
//   timeouts     TCP TCPFIN UDP
//   sync-start   master|backup INTERFACE SYNCID
//   sync-stop    master|backup
//
// apply prints "applied N", then "failed: OPERATION: REASON" per failure, then
// "time MS ms". Exit status: 0 all applied, 1 some failed, 2 usage or FILE
// error, 3 the kernel (or its IPVS) is not usable.
#include <arpa/inet.h>
#include <linux/ip_vs.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "ipvsd/netlink_kernel.h"

using namespace hakeep::ipvsd;

namespace {

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class Words {
public:
    explicit Words(const std::string& line) {
        std::istringstream stream(line.substr(0, line.find('#')));
        for (std::string word; stream >> word;) words_.push_back(word);
    }
    bool empty() const { return words_.empty(); }
    bool done() const { return next_ >= words_.size(); }
    const std::string& peek() const {
        if (done()) throw UsageError("missing word at the end of the line");
        return words_[next_];
    }
    std::string take() {
        const std::string word = peek();
        ++next_;
        return word;
    }
    std::uint64_t number(std::uint64_t max) {
        const std::string word = take();
        std::size_t used = 0;
        unsigned long long value = 0;
        try {
            value = std::stoull(word, &used, 0);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != word.size() || word.empty() || word[0] == '-' || value > max)
            throw UsageError("'" + word + "' is not a number up to " + std::to_string(max));
        return value;
    }

private:
    std::vector<std::string> words_;
    std::size_t next_ = 0;
};

Address address_of(const std::string& text) {
    const auto address = Address::parse(text);
    if (!address) throw UsageError("'" + text + "' is not an IPv4 or IPv6 address");
    return *address;
}

std::uint16_t protocol_of(const std::string& word) {
    if (word == "TCP") return IPPROTO_TCP;
    if (word == "UDP") return IPPROTO_UDP;
    if (word == "SCTP") return IPPROTO_SCTP;
    throw UsageError("'" + word + "' is not TCP, UDP, SCTP or FWM");
}

ServiceKey read_service(Words& words) {
    ServiceKey key;
    const std::string first = words.take();
    if (first == "FWM") {
        key.protocol = 0;
        key.fwmark = static_cast<std::uint32_t>(words.number(0xffffffff));
        if (!words.done() && (words.peek() == "IPv6" || words.peek() == "IPv4"))
            key.family = words.take() == "IPv6" ? AF_INET6 : AF_INET;
        return key;
    }
    key.protocol = protocol_of(first);
    key.address = address_of(words.take());
    key.family = key.address.family;
    key.port = static_cast<std::uint16_t>(words.number(65535));
    return key;
}

ServiceSettings read_service_settings(Words& words, int family) {
    // As ipvsadm (and ipvsd's desired table) send them: the whole address
    // unless a netmask is given, and the persistent flag with a timeout.
    ServiceSettings settings;
    settings.scheduler = words.take();
    settings.netmask = family == AF_INET6 ? 128 : 0xffffffff;
    while (!words.done()) {
        const std::string option = words.take();
        if (option == "timeout") {
            settings.timeout = static_cast<std::uint32_t>(words.number(0xffffffff));
            settings.flags |= IP_VS_SVC_F_PERSISTENT;
        } else if (option == "netmask") {
            if (family == AF_INET6) {
                settings.netmask = static_cast<std::uint32_t>(words.number(128));
            } else {
                const Address mask = address_of(words.take());
                if (mask.family != AF_INET)
                    throw UsageError("an IPv4 service wants a dotted netmask");
                std::memcpy(&settings.netmask, mask.bytes.data(), sizeof settings.netmask);
            }
        } else if (option == "flags") {
            settings.flags |= static_cast<std::uint32_t>(words.number(0xffffffff));
        } else if (option == "pe") {
            settings.pe_name = words.take();
        } else {
            throw UsageError("unknown service option '" + option + "'");
        }
    }
    return settings;
}

DestinationKey read_destination(Words& words) {
    DestinationKey key;
    key.address = address_of(words.take());
    key.port = static_cast<std::uint16_t>(words.number(65535));
    return key;
}

DestinationSettings read_destination_settings(Words& words) {
    DestinationSettings settings;
    const std::string method = words.take();
    if (method == "NAT")
        settings.forwarding = Forwarding::masquerade;
    else if (method == "DR")
        settings.forwarding = Forwarding::route;
    else if (method == "TUN")
        settings.forwarding = Forwarding::tunnel;
    else
        throw UsageError("'" + method + "' is not NAT, DR or TUN");
    settings.weight = static_cast<std::int32_t>(words.number(0x7fffffff));
    while (!words.done()) {
        const std::string option = words.take();
        if (option == "uthresh") {
            settings.upper_threshold = static_cast<std::uint32_t>(words.number(0xffffffff));
        } else if (option == "lthresh") {
            settings.lower_threshold = static_cast<std::uint32_t>(words.number(0xffffffff));
        } else if (option == "tun-type") {
            const std::string type = words.take();
            if (type == "ipip")
                settings.tunnel_type = 0;
            else if (type == "gue")
                settings.tunnel_type = 1;
            else if (type == "gre")
                settings.tunnel_type = 2;
            else
                throw UsageError("'" + type + "' is not ipip, gue or gre");
        } else if (option == "tun-port") {
            settings.tunnel_port = static_cast<std::uint16_t>(words.number(65535));
        } else if (option == "tun-flags") {
            settings.tunnel_flags = static_cast<std::uint16_t>(words.number(65535));
        } else {
            throw UsageError("unknown destination option '" + option + "'");
        }
    }
    return settings;
}

SyncDaemon::Role role_of(const std::string& word) {
    if (word == "master") return SyncDaemon::Role::master;
    if (word == "backup") return SyncDaemon::Role::backup;
    throw UsageError("'" + word + "' is not master or backup");
}

Operation read_operation(Words& words) {
    Operation operation{};
    const std::string verb = words.take();
    using Kind = Operation::Kind;
    if (verb == "add-service" || verb == "edit-service") {
        operation.kind = verb == "add-service" ? Kind::add_service : Kind::edit_service;
        operation.service = read_service(words);
        operation.service_settings = read_service_settings(words, operation.service.family);
    } else if (verb == "del-service") {
        operation.kind = Kind::delete_service;
        operation.service = read_service(words);
    } else if (verb == "add-dest" || verb == "edit-dest") {
        operation.kind = verb == "add-dest" ? Kind::add_destination : Kind::edit_destination;
        operation.service = read_service(words);
        operation.destination = read_destination(words);
        operation.destination_settings = read_destination_settings(words);
    } else if (verb == "del-dest") {
        operation.kind = Kind::delete_destination;
        operation.service = read_service(words);
        operation.destination = read_destination(words);
    } else if (verb == "timeouts") {
        operation.kind = Kind::set_timeouts;
        operation.timeouts.tcp = static_cast<std::uint32_t>(words.number(0x7fffffff));
        operation.timeouts.tcp_fin = static_cast<std::uint32_t>(words.number(0x7fffffff));
        operation.timeouts.udp = static_cast<std::uint32_t>(words.number(0x7fffffff));
    } else if (verb == "sync-start") {
        operation.kind = Kind::start_sync_daemon;
        operation.sync_daemon.role = role_of(words.take());
        operation.sync_daemon.interface = words.take();
        operation.sync_daemon.sync_id = static_cast<std::uint8_t>(words.number(255));
    } else if (verb == "sync-stop") {
        operation.kind = Kind::stop_sync_daemon;
        operation.sync_daemon.role = role_of(words.take());
    } else {
        throw UsageError("unknown operation '" + verb + "'");
    }
    if (!words.done()) throw UsageError("unexpected '" + words.peek() + "'");
    return operation;
}

std::vector<Operation> read_operations(const std::string& path) {
    std::ifstream file;
    std::istream* input = &std::cin;
    if (path != "-") {
        file.open(path);
        if (!file) throw UsageError(path + ": cannot open");
        input = &file;
    }
    std::vector<Operation> operations;
    int number = 0;
    for (std::string line; std::getline(*input, line);) {
        ++number;
        Words words(line);
        if (words.empty()) continue;
        try {
            operations.push_back(read_operation(words));
        } catch (const UsageError& error) {
            throw UsageError(path + ":" + std::to_string(number) + ": " + error.what());
        }
    }
    return operations;
}

std::string endpoint(const Address& address, std::uint16_t port) {
    const std::string text = address.to_string();
    return (address.family == AF_INET6 ? "[" + text + "]" : text) + ":" + std::to_string(port);
}

std::string counters_text(const Counters& counters) {
    return " conns " + std::to_string(counters.connections) + " inpkts " +
           std::to_string(counters.packets_in) + " outpkts " +
           std::to_string(counters.packets_out) + " inbytes " + std::to_string(counters.bytes_in) +
           " outbytes " + std::to_string(counters.bytes_out);
}

// As apply's FILE writes it: dotted for IPv4, a prefix length for IPv6.
std::string netmask_text(int family, std::uint32_t netmask) {
    if (family == AF_INET6) return std::to_string(netmask);
    Address mask;
    std::memcpy(mask.bytes.data(), &netmask, sizeof netmask);
    return mask.to_string();
}

void print_table(const Table& table, bool with_counters) {
    for (const auto& [key, service] : table) {
        const ServiceSettings& s = service.settings;
        std::printf("%s scheduler %s timeout %u netmask %s flags 0x%x pe %s%s\n",
                    key.to_string().c_str(), s.scheduler.c_str(), s.timeout,
                    netmask_text(key.family, s.netmask).c_str(), s.flags,
                    s.pe_name.empty() ? "-" : s.pe_name.c_str(),
                    with_counters ? counters_text(service.counters).c_str() : "");
        for (const auto& [destination_key, destination] : service.destinations) {
            const DestinationSettings& d = destination.settings;
            std::printf(
                "  -> %s %s weight %d uthresh %u lthresh %u tun-type %u tun-port %u "
                "tun-flags %u%s\n",
                endpoint(destination_key.address, destination_key.port).c_str(),
                forwarding_name(d.forwarding), d.weight, d.upper_threshold, d.lower_threshold,
                d.tunnel_type, d.tunnel_port, d.tunnel_flags,
                with_counters
                    ? (counters_text(destination.counters) + " active " +
                       std::to_string(destination.counters.active_connections) + " inactive " +
                       std::to_string(destination.counters.inactive_connections))
                          .c_str()
                    : "");
        }
    }
}

// The table the add operations describe, as a reconciler's desired table.
Table table_of(const std::vector<Operation>& operations) {
    Table table;
    for (const Operation& operation : operations) {
        if (operation.kind == Operation::Kind::add_service)
            table[operation.service].settings = operation.service_settings;
        else if (operation.kind == Operation::Kind::add_destination)
            table[operation.service].destinations[operation.destination].settings =
                operation.destination_settings;
    }
    return table;
}

// Prints each difference; true if there is none.
bool same_settings(const Table& expected, const Table& actual) {
    bool same = true;
    auto differs = [&](const std::string& what) {
        std::printf("differs: %s\n", what.c_str());
        same = false;
    };
    for (const auto& [key, service] : expected) {
        const auto found = actual.find(key);
        if (found == actual.end()) {
            differs(key.to_string() + " missing");
            continue;
        }
        if (!(found->second.settings == service.settings)) differs(key.to_string() + " settings");
        for (const auto& [destination_key, destination] : service.destinations) {
            const auto other = found->second.destinations.find(destination_key);
            const std::string name =
                key.to_string() + " -> " + endpoint(destination_key.address, destination_key.port);
            if (other == found->second.destinations.end())
                differs(name + " missing");
            else if (!(other->second.settings == destination.settings))
                differs(name + " settings");
        }
        for (const auto& [destination_key, destination] : found->second.destinations)
            if (!service.destinations.contains(destination_key))
                differs(key.to_string() + " -> " +
                        endpoint(destination_key.address, destination_key.port) + " unexpected");
    }
    for (const auto& [key, service] : actual)
        if (!expected.contains(key)) differs(key.to_string() + " unexpected");
    return same;
}

int run(const std::vector<std::string>& args) {
    if (args.empty())
        throw UsageError(
            "usage: ipvs_probe apply FILE | check FILE | dump [--stats] | timeouts | sync | "
            "window");
    const std::string& command = args[0];
    if (command == "apply" && args.size() == 2) {
        const std::vector<Operation> operations = read_operations(args[1]);
        NetlinkKernel kernel;
        const auto start = std::chrono::steady_clock::now();
        const ApplyResult result = kernel.apply(operations);
        const std::chrono::duration<double, std::milli> took =
            std::chrono::steady_clock::now() - start;
        std::printf("applied %zu\n", result.applied);
        for (const std::string& failure : result.failures)
            std::printf("failed: %s\n", failure.c_str());
        std::printf("time %.1f ms for %zu operations\n", took.count(), operations.size());
        return result.failures.empty() ? 0 : 1;
    }
    if (command == "dump" && (args.size() == 1 || (args.size() == 2 && args[1] == "--stats"))) {
        NetlinkKernel kernel;
        const auto start = std::chrono::steady_clock::now();
        const Table table = kernel.dump();
        const std::chrono::duration<double, std::milli> took =
            std::chrono::steady_clock::now() - start;
        print_table(table, args.size() == 2);
        std::fprintf(stderr, "ipvs_probe: dump took %.1f ms\n", took.count());
        return 0;
    }
    if (command == "timeouts" && args.size() == 1) {
        const Timeouts timeouts = NetlinkKernel().dump_timeouts();
        std::printf("tcp %u tcpfin %u udp %u\n", timeouts.tcp, timeouts.tcp_fin, timeouts.udp);
        return 0;
    }
    if (command == "sync" && args.size() == 1) {
        for (const SyncDaemon& daemon : NetlinkKernel().dump_sync_daemons())
            std::printf("%s %s syncid %u\n",
                        daemon.role == SyncDaemon::Role::backup ? "backup" : "master",
                        daemon.interface.c_str(), daemon.sync_id);
        return 0;
    }
    if (command == "check" && args.size() == 2) {
        const Table expected = table_of(read_operations(args[1]));
        const bool same = same_settings(expected, NetlinkKernel().dump());
        if (same) std::printf("same %zu services\n", expected.size());
        return same ? 0 : 1;
    }
    if (command == "window" && args.size() == 1) {
        std::printf("%zu\n", NetlinkKernel().operations_per_datagram());
        return 0;
    }
    throw UsageError(
        "usage: ipvs_probe apply FILE | check FILE | dump [--stats] | timeouts | sync | window");
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const UsageError& error) {
        std::fprintf(stderr, "ipvs_probe: %s\n", error.what());
        return 2;
    } catch (const KernelError& error) {
        std::fprintf(stderr, "ipvs_probe: %s\n", error.what());
        return 3;
    }
}
