// The real kernel behind ipvsd's Kernel interface: the generic netlink family
// "IPVS" (<linux/ip_vs.h>), spoken through libnl-genl. Tested against the
// kernel IPVS of the User-Mode Linux lab (tests/uml/t_netlink_kernel.sh).
//
// What dump() reports is what was written, so that a reconciler comparing
// dump() with its desired table sees no difference that is not real:
//   - ServiceSettings::flags never holds IP_VS_SVC_F_HASHED: the kernel sets
//     it on every service it has hashed; it is masked out on reading and
//     never written (the flags go with mask ~0, as ipvsadm sends them).
//   - IP_VS_SVC_F_PERSISTENT is added on writing when timeout > 0, so that a
//     service with a timeout is persistent even if the caller forgot the
//     flag; it reads back as it is in the kernel, so callers set it whenever
//     timeout > 0 (ipvsd's desired table does) to compare equal.
//   - ServiceSettings::netmask is the wire value both ways: an IPv4 mask in
//     network byte order, an IPv6 prefix length (the kernel refuses 0 there).
//   - Fwmark services have protocol 0, port 0 and a default Address.
//   - IPv4 addresses have zeros after their 4 bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "ipvsd/kernel.h"

struct nl_sock;
struct nlmsghdr;

namespace hakeep::ipvsd {

class NetlinkKernel final : public Kernel {
public:
    // Opens the generic netlink socket and resolves the IPVS family. Throws
    // KernelError; without the ip_vs module its message says to load it and
    // its error number is ENOENT. Call before the sandbox: it needs the
    // socket(AF_NETLINK) that ipvsd's seccomp list forbids afterwards.
    NetlinkKernel();
    ~NetlinkKernel() override;
    NetlinkKernel(const NetlinkKernel&) = delete;
    NetlinkKernel& operator=(const NetlinkKernel&) = delete;

    Table dump() override;
    Timeouts dump_timeouts() override;
    std::vector<SyncDaemon> dump_sync_daemons() override;
    // Operations go out many to a datagram, each with its own sequence
    // number; the kernel answers a failed one with its error whether or not
    // an acknowledgement was asked for, and the last of each datagram asks
    // for one, so a datagram costs one send and (without failures) one read.
    ApplyResult apply(const std::vector<Operation>& operations) override;

    // At most this many operations are unanswered at once: every one might
    // fail, and the receive buffer must hold all their error messages.
    std::size_t operations_per_datagram() const { return window_; }

private:
    struct SocketDeleter {
        void operator()(nl_sock* socket) const;
    };
    using MessageHandler = std::function<void(const nlmsghdr&)>;

    // One request (a dump, or a command with an answer) and its replies.
    void transact(std::vector<std::uint8_t> request, bool is_dump, const char* what,
                  const MessageHandler& on_reply);
    void send(const std::vector<std::uint8_t>& datagram);
    // One datagram from the kernel; the bytes stay valid until the next call.
    std::size_t receive();

    std::unique_ptr<nl_sock, SocketDeleter> socket_;
    int family_ = 0;
    std::uint32_t next_sequence_ = 1;
    std::size_t window_ = 0;
    std::vector<std::uint8_t> receive_buffer_;
};

}  // namespace hakeep::ipvsd
