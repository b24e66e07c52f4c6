// Kernel IPVS over generic netlink. Encodings follow the kernel's
// net/netfilter/ipvs/ip_vs_ctl.c (what ipvsadm's libipvs also sends):
// addresses are 16 bytes (union nf_inet_addr), ports big-endian u16,
// service flags a struct ip_vs_flags {flags, mask}, the persistence netmask a
// big-endian u32 for IPv4 and a plain prefix length for IPv6; NEW_SERVICE and
// SET_SERVICE need SCHED_NAME, FLAGS, TIMEOUT and NETMASK, NEW_DEST and
// SET_DEST need FWD_METHOD, WEIGHT, U_THRESH and L_THRESH.
#include "ipvsd/netlink_kernel.h"

#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace hakeep::ipvsd {
namespace {

constexpr char missing_ipvs_message[] =
    "IPVS is not available in this kernel: load the ip_vs module "
    "(modprobe ip_vs, or conf/modules-load.d/hakeep.conf)";

// One datagram of operations. The kernel copies a datagram into one skb, so
// this stays a modest allocation (64 KiB ~ 380 destination additions).
constexpr std::size_t max_datagram_bytes = 64 * 1024;
// Receive buffer asked for; SO_RCVBUFFORCE (CAP_NET_ADMIN, which ipvsd has)
// goes past net.core.rmem_max, SO_RCVBUF is capped by it.
constexpr int wanted_receive_buffer = 8 << 20;
constexpr int wanted_send_buffer = 1 << 20;
// What one error message costs in the receive buffer (skb truesize, with
// NETLINK_CAP_ACK a 36-byte message in a 512-byte slab plus the sk_buff):
// generous, because an error dropped on overrun would be an operation
// silently counted as applied.
constexpr std::size_t error_message_cost = 2048;
constexpr std::size_t min_window = 16;
constexpr std::size_t max_window = 4096;
// Replies to a command come at once (the kernel answers in our sendmsg); a
// dump of 37k destinations streams. Anything slower is a kernel bug, and
// ipvsd must not hang on it.
constexpr int reply_timeout_seconds = 10;

struct MessageDeleter {
    void operator()(nl_msg* message) const { nlmsg_free(message); }
};
using Message = std::unique_ptr<nl_msg, MessageDeleter>;

// An operation that cannot be encoded (bad input, not a kernel refusal).
class EncodingError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

void check_put(int result) {
    if (result < 0) throw EncodingError(std::string("cannot encode: ") + nl_geterror(result));
}

class Request {
public:
    Request(int family, std::uint8_t command) : message_(nlmsg_alloc()) {
        if (!message_) throw std::bad_alloc();
        if (!genlmsg_put(message_.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0, command,
                         IPVS_GENL_VERSION))
            throw EncodingError("cannot encode: no room for the header");
    }
    nl_msg* get() const { return message_.get(); }

    nlattr* begin_nest(int type) {
        nlattr* nest = nla_nest_start(get(), type);
        if (!nest) throw EncodingError("cannot encode: no room for an attribute");
        return nest;
    }
    void end_nest(nlattr* nest) { check_put(nla_nest_end(get(), nest)); }
    void u8(int type, std::uint8_t value) { check_put(nla_put_u8(get(), type, value)); }
    void u16(int type, std::uint16_t value) { check_put(nla_put_u16(get(), type, value)); }
    void u32(int type, std::uint32_t value) { check_put(nla_put_u32(get(), type, value)); }
    void be16(int type, std::uint16_t value) { u16(type, htons(value)); }
    void string(int type, const std::string& value) {
        check_put(nla_put_string(get(), type, value.c_str()));
    }
    void bytes(int type, const void* data, std::size_t size) {
        check_put(nla_put(get(), type, static_cast<int>(size), data));
    }

    // The finished message, flags and sequence number filled in by the sender.
    std::vector<std::uint8_t> wire() const {
        const nlmsghdr* header = nlmsg_hdr(get());
        const auto* begin = reinterpret_cast<const std::uint8_t*>(header);
        std::vector<std::uint8_t> bytes(begin, begin + header->nlmsg_len);
        bytes.resize(NLMSG_ALIGN(bytes.size()), 0);
        return bytes;
    }

private:
    Message message_;
};

// union nf_inet_addr: IPv4 in the first 4 bytes, zeros after.
std::array<std::uint8_t, 16> wire_address(const Address& address) {
    std::array<std::uint8_t, 16> bytes{};
    const std::size_t size = address.family == AF_INET ? 4 : 16;
    std::copy_n(address.bytes.begin(), size, bytes.begin());
    return bytes;
}

void check_family(int family) {
    if (family != AF_INET && family != AF_INET6)
        throw EncodingError("address family " + std::to_string(family) +
                            " is neither IPv4 nor IPv6");
}

std::uint32_t wire_service_flags(const ServiceSettings& settings) {
    std::uint32_t flags = settings.flags & ~IP_VS_SVC_F_HASHED;
    if (settings.timeout > 0) flags |= IP_VS_SVC_F_PERSISTENT;
    return flags;
}

void put_service(Request& request, const ServiceKey& key, const ServiceSettings* settings) {
    check_family(key.family);
    nlattr* nest = request.begin_nest(IPVS_CMD_ATTR_SERVICE);
    request.u16(IPVS_SVC_ATTR_AF, static_cast<std::uint16_t>(key.family));
    if (key.fwmark) {
        request.u32(IPVS_SVC_ATTR_FWMARK, key.fwmark);
    } else {
        const auto address = wire_address(key.address);
        request.u16(IPVS_SVC_ATTR_PROTOCOL, key.protocol);
        request.bytes(IPVS_SVC_ATTR_ADDR, address.data(), address.size());
        request.be16(IPVS_SVC_ATTR_PORT, key.port);
    }
    if (settings) {
        if (settings->scheduler.empty() || settings->scheduler.size() >= IP_VS_SCHEDNAME_MAXLEN)
            throw EncodingError("bad scheduler name '" + settings->scheduler + "'");
        if (settings->pe_name.size() >= IP_VS_PENAME_MAXLEN)
            throw EncodingError("bad persistence engine name '" + settings->pe_name + "'");
        // mask ~0: every flag is ours to set (as ipvsadm does); the kernel
        // adds HASHED itself.
        const ip_vs_flags flags{wire_service_flags(*settings), ~0U};
        request.string(IPVS_SVC_ATTR_SCHED_NAME, settings->scheduler);
        request.bytes(IPVS_SVC_ATTR_FLAGS, &flags, sizeof flags);
        request.u32(IPVS_SVC_ATTR_TIMEOUT, settings->timeout);
        // Already in the kernel's terms: __be32 for IPv4, a prefix length for IPv6.
        request.u32(IPVS_SVC_ATTR_NETMASK, settings->netmask);
        if (!settings->pe_name.empty()) request.string(IPVS_SVC_ATTR_PE_NAME, settings->pe_name);
    }
    request.end_nest(nest);
}

void put_destination(Request& request, const DestinationKey& key,
                     const DestinationSettings* settings) {
    check_family(key.address.family);
    const auto address = wire_address(key.address);
    nlattr* nest = request.begin_nest(IPVS_CMD_ATTR_DEST);
    request.bytes(IPVS_DEST_ATTR_ADDR, address.data(), address.size());
    request.be16(IPVS_DEST_ATTR_PORT, key.port);
    request.u16(IPVS_DEST_ATTR_ADDR_FAMILY, static_cast<std::uint16_t>(key.address.family));
    if (settings) {
        request.u32(IPVS_DEST_ATTR_FWD_METHOD, static_cast<std::uint32_t>(settings->forwarding));
        request.u32(IPVS_DEST_ATTR_WEIGHT, static_cast<std::uint32_t>(settings->weight));
        request.u32(IPVS_DEST_ATTR_U_THRESH, settings->upper_threshold);
        request.u32(IPVS_DEST_ATTR_L_THRESH, settings->lower_threshold);
        request.u8(IPVS_DEST_ATTR_TUN_TYPE, settings->tunnel_type);
        request.be16(IPVS_DEST_ATTR_TUN_PORT, settings->tunnel_port);
        request.u16(IPVS_DEST_ATTR_TUN_FLAGS, settings->tunnel_flags);
    }
    request.end_nest(nest);
}

std::vector<std::uint8_t> encode(int family, const Operation& operation) {
    using Kind = Operation::Kind;
    switch (operation.kind) {
        case Kind::add_service:
        case Kind::edit_service: {
            Request request(family, operation.kind == Kind::add_service ? IPVS_CMD_NEW_SERVICE
                                                                        : IPVS_CMD_SET_SERVICE);
            put_service(request, operation.service, &operation.service_settings);
            return request.wire();
        }
        case Kind::delete_service: {
            Request request(family, IPVS_CMD_DEL_SERVICE);
            put_service(request, operation.service, nullptr);
            return request.wire();
        }
        case Kind::add_destination:
        case Kind::edit_destination: {
            Request request(family, operation.kind == Kind::add_destination ? IPVS_CMD_NEW_DEST
                                                                            : IPVS_CMD_SET_DEST);
            put_service(request, operation.service, nullptr);
            put_destination(request, operation.destination, &operation.destination_settings);
            return request.wire();
        }
        case Kind::delete_destination: {
            Request request(family, IPVS_CMD_DEL_DEST);
            put_service(request, operation.service, nullptr);
            put_destination(request, operation.destination, nullptr);
            return request.wire();
        }
        case Kind::set_timeouts: {
            // An absent attribute (our 0) leaves that timeout as it is.
            Request request(family, IPVS_CMD_SET_CONFIG);
            if (operation.timeouts.tcp)
                request.u32(IPVS_CMD_ATTR_TIMEOUT_TCP, operation.timeouts.tcp);
            if (operation.timeouts.tcp_fin)
                request.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, operation.timeouts.tcp_fin);
            if (operation.timeouts.udp)
                request.u32(IPVS_CMD_ATTR_TIMEOUT_UDP, operation.timeouts.udp);
            return request.wire();
        }
        case Kind::start_sync_daemon:
        case Kind::stop_sync_daemon: {
            const bool start = operation.kind == Kind::start_sync_daemon;
            const SyncDaemon& daemon = operation.sync_daemon;
            if (start &&
                (daemon.interface.empty() || daemon.interface.size() >= IP_VS_IFNAME_MAXLEN))
                throw EncodingError("bad interface name '" + daemon.interface + "'");
            Request request(family, start ? IPVS_CMD_NEW_DAEMON : IPVS_CMD_DEL_DAEMON);
            nlattr* nest = request.begin_nest(IPVS_CMD_ATTR_DAEMON);
            request.u32(IPVS_DAEMON_ATTR_STATE, static_cast<std::uint32_t>(daemon.role));
            if (start) {
                request.string(IPVS_DAEMON_ATTR_MCAST_IFN, daemon.interface);
                request.u32(IPVS_DAEMON_ATTR_SYNC_ID, daemon.sync_id);
            }
            request.end_nest(nest);
            return request.wire();
        }
    }
    throw EncodingError("unknown operation");
}

// ------------------------------------------------------------------ replies

template <std::size_t Size>
using Policy = std::array<nla_policy, Size>;

nla_policy of_type(std::uint16_t type, std::uint16_t minimum_length = 0) {
    nla_policy policy{};
    policy.type = type;
    policy.minlen = minimum_length;
    return policy;
}

const nla_policy* command_policy() {
    static const Policy<IPVS_CMD_ATTR_MAX + 1> policy = [] {
        Policy<IPVS_CMD_ATTR_MAX + 1> p{};
        p[IPVS_CMD_ATTR_SERVICE] = of_type(NLA_NESTED);
        p[IPVS_CMD_ATTR_DEST] = of_type(NLA_NESTED);
        p[IPVS_CMD_ATTR_DAEMON] = of_type(NLA_NESTED);
        p[IPVS_CMD_ATTR_TIMEOUT_TCP] = of_type(NLA_U32);
        p[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN] = of_type(NLA_U32);
        p[IPVS_CMD_ATTR_TIMEOUT_UDP] = of_type(NLA_U32);
        return p;
    }();
    return policy.data();
}

const nla_policy* service_policy() {
    static const Policy<IPVS_SVC_ATTR_MAX + 1> policy = [] {
        Policy<IPVS_SVC_ATTR_MAX + 1> p{};
        p[IPVS_SVC_ATTR_AF] = of_type(NLA_U16);
        p[IPVS_SVC_ATTR_PROTOCOL] = of_type(NLA_U16);
        p[IPVS_SVC_ATTR_ADDR] = of_type(NLA_UNSPEC, 16);
        p[IPVS_SVC_ATTR_PORT] = of_type(NLA_U16);
        p[IPVS_SVC_ATTR_FWMARK] = of_type(NLA_U32);
        p[IPVS_SVC_ATTR_SCHED_NAME] = of_type(NLA_STRING);
        p[IPVS_SVC_ATTR_FLAGS] = of_type(NLA_UNSPEC, sizeof(ip_vs_flags));
        p[IPVS_SVC_ATTR_TIMEOUT] = of_type(NLA_U32);
        p[IPVS_SVC_ATTR_NETMASK] = of_type(NLA_U32);
        p[IPVS_SVC_ATTR_STATS] = of_type(NLA_NESTED);
        p[IPVS_SVC_ATTR_PE_NAME] = of_type(NLA_STRING);
        p[IPVS_SVC_ATTR_STATS64] = of_type(NLA_NESTED);
        return p;
    }();
    return policy.data();
}

const nla_policy* destination_policy() {
    static const Policy<IPVS_DEST_ATTR_MAX + 1> policy = [] {
        Policy<IPVS_DEST_ATTR_MAX + 1> p{};
        p[IPVS_DEST_ATTR_ADDR] = of_type(NLA_UNSPEC, 16);
        p[IPVS_DEST_ATTR_PORT] = of_type(NLA_U16);
        p[IPVS_DEST_ATTR_FWD_METHOD] = of_type(NLA_U32);
        p[IPVS_DEST_ATTR_WEIGHT] = of_type(NLA_U32);
        p[IPVS_DEST_ATTR_U_THRESH] = of_type(NLA_U32);
        p[IPVS_DEST_ATTR_L_THRESH] = of_type(NLA_U32);
        p[IPVS_DEST_ATTR_ACTIVE_CONNS] = of_type(NLA_U32);
        p[IPVS_DEST_ATTR_INACT_CONNS] = of_type(NLA_U32);
        p[IPVS_DEST_ATTR_PERSIST_CONNS] = of_type(NLA_U32);
        p[IPVS_DEST_ATTR_STATS] = of_type(NLA_NESTED);
        p[IPVS_DEST_ATTR_ADDR_FAMILY] = of_type(NLA_U16);
        p[IPVS_DEST_ATTR_STATS64] = of_type(NLA_NESTED);
        p[IPVS_DEST_ATTR_TUN_TYPE] = of_type(NLA_U8);
        p[IPVS_DEST_ATTR_TUN_PORT] = of_type(NLA_U16);
        p[IPVS_DEST_ATTR_TUN_FLAGS] = of_type(NLA_U16);
        return p;
    }();
    return policy.data();
}

const nla_policy* daemon_policy() {
    static const Policy<IPVS_DAEMON_ATTR_MAX + 1> policy = [] {
        Policy<IPVS_DAEMON_ATTR_MAX + 1> p{};
        p[IPVS_DAEMON_ATTR_STATE] = of_type(NLA_U32);
        p[IPVS_DAEMON_ATTR_MCAST_IFN] = of_type(NLA_STRING);
        p[IPVS_DAEMON_ATTR_SYNC_ID] = of_type(NLA_U32);
        return p;
    }();
    return policy.data();
}

KernelError malformed(const char* what) {
    return KernelError(std::string("IPVS netlink: malformed ") + what + " from the kernel", EPROTO);
}

using Attributes = std::vector<nlattr*>;

// The top-level attributes of a generic netlink reply.
Attributes parse_reply(const nlmsghdr& header, const char* what) {
    Attributes attributes(IPVS_CMD_ATTR_MAX + 1, nullptr);
    if (genlmsg_parse(const_cast<nlmsghdr*>(&header), 0, attributes.data(), IPVS_CMD_ATTR_MAX,
                      const_cast<nla_policy*>(command_policy())) < 0)
        throw malformed(what);
    return attributes;
}

Attributes parse_nested(nlattr* nest, int max_type, const nla_policy* policy, const char* what) {
    Attributes attributes(static_cast<std::size_t>(max_type) + 1, nullptr);
    if (!nest ||
        nla_parse_nested(attributes.data(), max_type, nest, const_cast<nla_policy*>(policy)) < 0)
        throw malformed(what);
    return attributes;
}

std::uint32_t u32_or(nlattr* attribute, std::uint32_t fallback) {
    return attribute ? nla_get_u32(attribute) : fallback;
}

// Counters are u64 in STATS64 and partly u32 in the older STATS.
std::uint64_t counter(nlattr* attribute) {
    if (!attribute) return 0;
    if (nla_len(attribute) >= 8) return nla_get_u64(attribute);
    if (nla_len(attribute) >= 4) return nla_get_u32(attribute);
    return 0;
}

void read_stats(nlattr* stats64, nlattr* stats, Counters& counters) {
    nlattr* nest = stats64 ? stats64 : stats;
    if (!nest) return;
    Attributes a(IPVS_STATS_ATTR_MAX + 1, nullptr);
    if (nla_parse_nested(a.data(), IPVS_STATS_ATTR_MAX, nest, nullptr) < 0)
        throw malformed("statistics");
    counters.connections = counter(a[IPVS_STATS_ATTR_CONNS]);
    counters.packets_in = counter(a[IPVS_STATS_ATTR_INPKTS]);
    counters.packets_out = counter(a[IPVS_STATS_ATTR_OUTPKTS]);
    counters.bytes_in = counter(a[IPVS_STATS_ATTR_INBYTES]);
    counters.bytes_out = counter(a[IPVS_STATS_ATTR_OUTBYTES]);
}

Address read_address(nlattr* attribute, int family) {
    Address address;
    address.family = family;
    const std::size_t size = family == AF_INET ? 4 : 16;
    std::memcpy(address.bytes.data(), nla_data(attribute), size);
    return address;
}

// A service as dump() reports it; see netlink_kernel.h for the normalisation.
std::pair<ServiceKey, Service> read_service(const nlmsghdr& header) {
    const Attributes top = parse_reply(header, "service");
    const Attributes a =
        parse_nested(top[IPVS_CMD_ATTR_SERVICE], IPVS_SVC_ATTR_MAX, service_policy(), "service");
    if (!a[IPVS_SVC_ATTR_AF] || !a[IPVS_SVC_ATTR_SCHED_NAME] || !a[IPVS_SVC_ATTR_FLAGS])
        throw malformed("service");
    ServiceKey key;
    key.family = nla_get_u16(a[IPVS_SVC_ATTR_AF]);
    if (key.family != AF_INET && key.family != AF_INET6) throw malformed("service family");
    if (a[IPVS_SVC_ATTR_FWMARK] && nla_get_u32(a[IPVS_SVC_ATTR_FWMARK])) {
        key.protocol = 0;
        key.fwmark = nla_get_u32(a[IPVS_SVC_ATTR_FWMARK]);
    } else {
        if (!a[IPVS_SVC_ATTR_PROTOCOL] || !a[IPVS_SVC_ATTR_ADDR] || !a[IPVS_SVC_ATTR_PORT])
            throw malformed("service key");
        key.protocol = nla_get_u16(a[IPVS_SVC_ATTR_PROTOCOL]);
        key.address = read_address(a[IPVS_SVC_ATTR_ADDR], key.family);
        key.port = ntohs(nla_get_u16(a[IPVS_SVC_ATTR_PORT]));
    }

    Service service;
    ServiceSettings& settings = service.settings;
    settings.scheduler = nla_get_string(a[IPVS_SVC_ATTR_SCHED_NAME]);
    if (a[IPVS_SVC_ATTR_PE_NAME]) settings.pe_name = nla_get_string(a[IPVS_SVC_ATTR_PE_NAME]);
    settings.timeout = u32_or(a[IPVS_SVC_ATTR_TIMEOUT], 0);
    ip_vs_flags flags{};
    nla_memcpy(&flags, a[IPVS_SVC_ATTR_FLAGS], sizeof flags);
    // HASHED is the kernel's bookkeeping, never ours to write or compare.
    settings.flags = flags.flags & ~IP_VS_SVC_F_HASHED;
    settings.netmask = u32_or(a[IPVS_SVC_ATTR_NETMASK], 0);
    read_stats(a[IPVS_SVC_ATTR_STATS64], a[IPVS_SVC_ATTR_STATS], service.counters);
    return {key, service};
}

std::pair<DestinationKey, Destination> read_destination(const nlmsghdr& header,
                                                        int service_family) {
    const Attributes top = parse_reply(header, "destination");
    const Attributes a = parse_nested(top[IPVS_CMD_ATTR_DEST], IPVS_DEST_ATTR_MAX,
                                      destination_policy(), "destination");
    if (!a[IPVS_DEST_ATTR_ADDR] || !a[IPVS_DEST_ATTR_PORT]) throw malformed("destination key");
    // Kernels before 4.x have no ADDR_FAMILY: the service's then.
    const int family =
        a[IPVS_DEST_ATTR_ADDR_FAMILY] ? nla_get_u16(a[IPVS_DEST_ATTR_ADDR_FAMILY]) : service_family;
    if (family != AF_INET && family != AF_INET6) throw malformed("destination family");
    DestinationKey key;
    key.address = read_address(a[IPVS_DEST_ATTR_ADDR], family);
    key.port = ntohs(nla_get_u16(a[IPVS_DEST_ATTR_PORT]));

    Destination destination;
    DestinationSettings& settings = destination.settings;
    settings.forwarding =
        static_cast<Forwarding>(u32_or(a[IPVS_DEST_ATTR_FWD_METHOD], 0) & IP_VS_CONN_F_FWD_MASK);
    settings.weight = static_cast<std::int32_t>(u32_or(a[IPVS_DEST_ATTR_WEIGHT], 0));
    settings.upper_threshold = u32_or(a[IPVS_DEST_ATTR_U_THRESH], 0);
    settings.lower_threshold = u32_or(a[IPVS_DEST_ATTR_L_THRESH], 0);
    if (a[IPVS_DEST_ATTR_TUN_TYPE]) settings.tunnel_type = nla_get_u8(a[IPVS_DEST_ATTR_TUN_TYPE]);
    if (a[IPVS_DEST_ATTR_TUN_PORT])
        settings.tunnel_port = ntohs(nla_get_u16(a[IPVS_DEST_ATTR_TUN_PORT]));
    if (a[IPVS_DEST_ATTR_TUN_FLAGS])
        settings.tunnel_flags = nla_get_u16(a[IPVS_DEST_ATTR_TUN_FLAGS]);
    destination.counters.active_connections = u32_or(a[IPVS_DEST_ATTR_ACTIVE_CONNS], 0);
    destination.counters.inactive_connections = u32_or(a[IPVS_DEST_ATTR_INACT_CONNS], 0);
    read_stats(a[IPVS_DEST_ATTR_STATS64], a[IPVS_DEST_ATTR_STATS], destination.counters);
    return {key, destination};
}

int error_of(const nlmsghdr& header) {
    if (header.nlmsg_len < NLMSG_LENGTH(sizeof(int))) throw malformed("error message");
    int error = 0;
    std::memcpy(&error, NLMSG_DATA(&header), sizeof error);
    return error;
}

// Walks the netlink messages of one datagram.
template <typename Visit>
void for_each_message(const std::uint8_t* data, std::size_t size, Visit visit) {
    int remaining = static_cast<int>(size);
    auto* header = reinterpret_cast<nlmsghdr*>(const_cast<std::uint8_t*>(data));
    for (; nlmsg_ok(header, remaining); header = nlmsg_next(header, &remaining)) visit(*header);
}

std::string kernel_reason(int error) {
    return std::strerror(error < 0 ? -error : error);
}

}  // namespace

void NetlinkKernel::SocketDeleter::operator()(nl_sock* socket) const {
    nl_socket_free(socket);
}

NetlinkKernel::NetlinkKernel() : socket_(nl_socket_alloc()), receive_buffer_(64 * 1024) {
    if (!socket_) throw KernelError("generic netlink: cannot allocate a socket", ENOMEM);
    if (const int result = genl_connect(socket_.get()); result < 0)
        throw KernelError(std::string("generic netlink: ") + nl_geterror(result), EIO);
    family_ = genl_ctrl_resolve(socket_.get(), IPVS_GENL_NAME);
    if (family_ < 0) {
        if (-family_ == NLE_OBJ_NOTFOUND) throw KernelError(missing_ipvs_message, ENOENT);
        throw KernelError(
            std::string("generic netlink: resolving family IPVS: ") + nl_geterror(family_), EIO);
    }
    // From here on every request, acknowledgement and reply is ours to match
    // (apply() pipelines; libnl's one-request-one-ack would not).
    nl_socket_disable_auto_ack(socket_.get());
    const int fd = nl_socket_get_fd(socket_.get());
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &wanted_receive_buffer,
                     sizeof wanted_receive_buffer) != 0 ||
        ::setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &wanted_send_buffer,
                     sizeof wanted_send_buffer) != 0)
        nl_socket_set_buffer_size(socket_.get(), wanted_receive_buffer, wanted_send_buffer);
    // Errors carry only the failed request's header, not the whole request:
    // four times as many fit in the receive buffer. Older kernels: ignored.
    const int on = 1;
    ::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    const timeval timeout{reply_timeout_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

    int receive_buffer = 0;
    socklen_t length = sizeof receive_buffer;
    if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, &length) != 0) receive_buffer = 0;
    window_ = std::clamp(static_cast<std::size_t>(std::max(receive_buffer, 0)) / error_message_cost,
                         min_window, max_window);
}

NetlinkKernel::~NetlinkKernel() = default;

void NetlinkKernel::send(const std::vector<std::uint8_t>& datagram) {
    for (;;) {
        const int sent =
            nl_sendto(socket_.get(), const_cast<std::uint8_t*>(datagram.data()), datagram.size());
        if (sent >= 0) return;
        if (-sent == NLE_INTR) continue;
        throw KernelError(std::string("IPVS netlink: send: ") + nl_geterror(sent), EIO);
    }
}

std::size_t NetlinkKernel::receive() {
    const int fd = nl_socket_get_fd(socket_.get());
    for (;;) {
        sockaddr_nl from{};
        socklen_t from_length = sizeof from;
        const ssize_t size =
            ::recvfrom(fd, receive_buffer_.data(), receive_buffer_.size(), MSG_TRUNC,
                       reinterpret_cast<sockaddr*>(&from), &from_length);
        if (size < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                throw KernelError("IPVS netlink: no answer from the kernel within " +
                                      std::to_string(reply_timeout_seconds) + " s",
                                  ETIMEDOUT);
            if (errno == ENOBUFS)
                throw KernelError("IPVS netlink: receive buffer overrun, kernel answers lost",
                                  ENOBUFS);
            throw KernelError(std::string("IPVS netlink: receive: ") + std::strerror(errno), errno);
        }
        // Only the kernel (port 0) speaks for IPVS.
        if (from.nl_pid != 0) continue;
        if (static_cast<std::size_t>(size) > receive_buffer_.size())
            throw KernelError("IPVS netlink: an answer larger than " +
                                  std::to_string(receive_buffer_.size()) + " bytes",
                              EMSGSIZE);
        return static_cast<std::size_t>(size);
    }
}

void NetlinkKernel::transact(std::vector<std::uint8_t> request, bool is_dump, const char* what,
                             const MessageHandler& on_reply) {
    auto* header = reinterpret_cast<nlmsghdr*>(request.data());
    const std::uint32_t sequence = next_sequence_++;
    header->nlmsg_seq = sequence;
    header->nlmsg_flags = NLM_F_REQUEST | (is_dump ? NLM_F_DUMP : NLM_F_ACK);
    send(request);
    for (bool finished = false; !finished;) {
        const std::size_t size = receive();
        for_each_message(receive_buffer_.data(), size, [&](const nlmsghdr& reply) {
            if (finished || reply.nlmsg_seq != sequence) return;
            switch (reply.nlmsg_type) {
                case NLMSG_NOOP:
                    return;
                case NLMSG_DONE:
                    if (reply.nlmsg_len >= NLMSG_LENGTH(sizeof(int)) && error_of(reply) < 0)
                        throw KernelError(std::string(what) + ": " + kernel_reason(error_of(reply)),
                                          -error_of(reply));
                    finished = true;
                    return;
                case NLMSG_ERROR:
                    if (const int error = error_of(reply); error < 0)
                        throw KernelError(std::string(what) + ": " + kernel_reason(error), -error);
                    finished = !is_dump;
                    return;
                default:
                    if (reply.nlmsg_type == family_) on_reply(reply);
            }
        });
    }
}

Table NetlinkKernel::dump() {
    Table table;
    transact(Request(family_, IPVS_CMD_GET_SERVICE).wire(), true, "IPVS dump services",
             [&](const nlmsghdr& reply) { table.insert(read_service(reply)); });
    for (auto& [key, service] : table) {
        Request request(family_, IPVS_CMD_GET_DEST);
        put_service(request, key, nullptr);
        // A service deleted since the first dump has no destinations: fine.
        transact(request.wire(), true, "IPVS dump destinations", [&](const nlmsghdr& reply) {
            service.destinations.insert(read_destination(reply, key.family));
        });
    }
    return table;
}

Timeouts NetlinkKernel::dump_timeouts() {
    Timeouts timeouts;
    transact(Request(family_, IPVS_CMD_GET_CONFIG).wire(), false, "IPVS get timeouts",
             [&](const nlmsghdr& reply) {
                 const Attributes a = parse_reply(reply, "timeouts");
                 timeouts.tcp = u32_or(a[IPVS_CMD_ATTR_TIMEOUT_TCP], 0);
                 timeouts.tcp_fin = u32_or(a[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN], 0);
                 timeouts.udp = u32_or(a[IPVS_CMD_ATTR_TIMEOUT_UDP], 0);
             });
    return timeouts;
}

std::vector<SyncDaemon> NetlinkKernel::dump_sync_daemons() {
    std::vector<SyncDaemon> daemons;
    transact(Request(family_, IPVS_CMD_GET_DAEMON).wire(), true, "IPVS dump sync daemons",
             [&](const nlmsghdr& reply) {
                 const Attributes top = parse_reply(reply, "sync daemon");
                 const Attributes a = parse_nested(top[IPVS_CMD_ATTR_DAEMON], IPVS_DAEMON_ATTR_MAX,
                                                   daemon_policy(), "sync daemon");
                 if (!a[IPVS_DAEMON_ATTR_STATE]) throw malformed("sync daemon");
                 SyncDaemon daemon;
                 daemon.role =
                     static_cast<SyncDaemon::Role>(nla_get_u32(a[IPVS_DAEMON_ATTR_STATE]));
                 if (a[IPVS_DAEMON_ATTR_MCAST_IFN])
                     daemon.interface = nla_get_string(a[IPVS_DAEMON_ATTR_MCAST_IFN]);
                 daemon.sync_id = static_cast<std::uint8_t>(u32_or(a[IPVS_DAEMON_ATTR_SYNC_ID], 0));
                 daemons.push_back(daemon);
             });
    return daemons;
}

ApplyResult NetlinkKernel::apply(const std::vector<Operation>& operations) {
    ApplyResult result;
    std::vector<std::uint8_t> datagram;
    datagram.reserve(max_datagram_bytes);
    std::vector<std::size_t> batch;  // operation index of each message, in sending order
    std::size_t next = 0;
    while (next < operations.size()) {
        // Fill one datagram: sequence numbers first_sequence + position.
        datagram.clear();
        batch.clear();
        const std::uint32_t first_sequence = next_sequence_;
        std::size_t last_offset = 0;
        while (next < operations.size() && batch.size() < window_) {
            std::vector<std::uint8_t> message;
            try {
                message = encode(family_, operations[next]);
            } catch (const EncodingError& error) {
                result.failures.push_back(operations[next].to_string() + ": " + error.what());
                ++next;
                continue;
            }
            if (!batch.empty() && datagram.size() + message.size() > max_datagram_bytes) break;
            auto* header = reinterpret_cast<nlmsghdr*>(message.data());
            header->nlmsg_seq = first_sequence + static_cast<std::uint32_t>(batch.size());
            header->nlmsg_flags = NLM_F_REQUEST;
            last_offset = datagram.size();
            datagram.insert(datagram.end(), message.begin(), message.end());
            batch.push_back(next++);
        }
        if (batch.empty()) continue;
        // The last request asks for an acknowledgement: when it arrives, the
        // kernel has answered everything before it (it works through a
        // datagram in order, and answers every failure unasked).
        reinterpret_cast<nlmsghdr*>(datagram.data() + last_offset)->nlmsg_flags |= NLM_F_ACK;
        next_sequence_ = first_sequence + static_cast<std::uint32_t>(batch.size());
        send(datagram);

        std::size_t failed = 0;
        for (bool finished = false; !finished;) {
            const std::size_t size = receive();
            for_each_message(receive_buffer_.data(), size, [&](const nlmsghdr& reply) {
                if (reply.nlmsg_type != NLMSG_ERROR) return;
                const std::uint32_t position = reply.nlmsg_seq - first_sequence;
                if (position >= batch.size()) return;  // a stale answer
                if (const int error = error_of(reply); error < 0) {
                    result.failures.push_back(operations[batch[position]].to_string() + ": " +
                                              kernel_reason(error));
                    ++failed;
                }
                if (position + 1 == batch.size()) finished = true;
            });
        }
        result.applied += batch.size() - failed;
    }
    return result;
}

}  // namespace hakeep::ipvsd
