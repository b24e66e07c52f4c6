#include "vrrpd/sockets.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "vrrpd/packet.h"

namespace hakeep::vrrpd {
namespace {

void set_option(int fd, int level, int name, int value, const char* what) {
    if (setsockopt(fd, level, name, &value, sizeof value) != 0)
        throw std::runtime_error(std::string("VRRP socket: ") + what + ": " + std::strerror(errno));
}

}  // namespace

VrrpSocket::VrrpSocket(Family family)
    : family_(family), buffer_(65536) {
    const int domain = family == Family::ipv4 ? AF_INET : AF_INET6;
    fd_.reset(socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, ip_proto_vrrp));
    if (!fd_) throw std::runtime_error(std::string("VRRP raw socket: ") + std::strerror(errno));
    const int fd = fd_.get();
    if (family == Family::ipv4) {
        set_option(fd, IPPROTO_IP, IP_TTL, vrrp_ttl, "IP_TTL");
        set_option(fd, IPPROTO_IP, IP_MULTICAST_TTL, vrrp_ttl, "IP_MULTICAST_TTL");
        set_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
        set_option(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
        set_option(fd, IPPROTO_IP, IP_TOS, 0xc0, "IP_TOS");  // internetwork control, as keepalived
    } else {
        set_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, vrrp_ttl, "IPV6_UNICAST_HOPS");
        set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, vrrp_ttl, "IPV6_MULTICAST_HOPS");
        set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP");
        set_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
        set_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
        set_option(fd, IPPROTO_IPV6, IPV6_TCLASS, 0xc0, "IPV6_TCLASS");
    }
    set_option(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20, "SO_RCVBUF");
}

int VrrpSocket::join(int ifindex) {
    int rc;
    if (family_ == Family::ipv4) {
        ip_mreqn request{};
        std::memcpy(&request.imr_multiaddr, vrrp_group(family_).bytes.data(), 4);
        request.imr_ifindex = ifindex;
        rc = setsockopt(fd_.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof request);
    } else {
        ipv6_mreq request{};
        std::memcpy(&request.ipv6mr_multiaddr, vrrp_group(family_).bytes.data(), 16);
        request.ipv6mr_interface = static_cast<unsigned>(ifindex);
        rc = setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &request, sizeof request);
    }
    return rc == 0 ? 0 : errno;
}

int VrrpSocket::send(int ifindex, const Address& source, const Address& destination,
                     std::span<const std::uint8_t> message) {
    iovec iov{const_cast<std::uint8_t*>(message.data()), message.size()};
    msghdr header{};
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))] = {};
    header.msg_control = control;
    sockaddr_in to4{};
    sockaddr_in6 to6{};
    if (family_ == Family::ipv4) {
        to4.sin_family = AF_INET;
        std::memcpy(&to4.sin_addr, destination.bytes.data(), 4);
        header.msg_name = &to4;
        header.msg_namelen = sizeof to4;
        header.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
        cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
        cmsg->cmsg_level = IPPROTO_IP;
        cmsg->cmsg_type = IP_PKTINFO;
        cmsg->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
        in_pktinfo info{};
        info.ipi_ifindex = ifindex;
        std::memcpy(&info.ipi_spec_dst, source.bytes.data(), 4);  // the source address
        std::memcpy(CMSG_DATA(cmsg), &info, sizeof info);
    } else {
        to6.sin6_family = AF_INET6;
        std::memcpy(&to6.sin6_addr, destination.bytes.data(), 16);
        to6.sin6_scope_id = static_cast<std::uint32_t>(ifindex);
        header.msg_name = &to6;
        header.msg_namelen = sizeof to6;
        header.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
        cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
        cmsg->cmsg_level = IPPROTO_IPV6;
        cmsg->cmsg_type = IPV6_PKTINFO;
        cmsg->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
        in6_pktinfo info{};
        info.ipi6_ifindex = static_cast<unsigned>(ifindex);
        std::memcpy(&info.ipi6_addr, source.bytes.data(), 16);
        std::memcpy(CMSG_DATA(cmsg), &info, sizeof info);
    }
    return sendmsg(fd_.get(), &header, 0) < 0 ? errno : 0;
}

std::optional<RawPacket> VrrpSocket::receive() {
    iovec iov{buffer_.data(), buffer_.size()};
    sockaddr_in6 from{};
    alignas(cmsghdr) std::uint8_t control[256];
    msghdr header{};
    header.msg_name = &from;
    header.msg_namelen = sizeof from;
    header.msg_iov = &iov;
    header.msg_iovlen = 1;
    header.msg_control = control;
    header.msg_controllen = sizeof control;
    const ssize_t length = recvmsg(fd_.get(), &header, MSG_DONTWAIT);
    if (length < 0) return std::nullopt;
    RawPacket packet;
    packet.bytes = std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(length));
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
        if (cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_PKTINFO) {
            in_pktinfo info;
            std::memcpy(&info, CMSG_DATA(cmsg), sizeof info);
            packet.ifindex = info.ipi_ifindex;
        } else if (cmsg->cmsg_level == IPPROTO_IPV6 && cmsg->cmsg_type == IPV6_PKTINFO) {
            in6_pktinfo info;
            std::memcpy(&info, CMSG_DATA(cmsg), sizeof info);
            packet.ifindex = static_cast<int>(info.ipi6_ifindex);
            packet.destination = Address::from_bytes(Family::ipv6, reinterpret_cast<const std::uint8_t*>(&info.ipi6_addr));
        } else if (cmsg->cmsg_level == IPPROTO_IPV6 && cmsg->cmsg_type == IPV6_HOPLIMIT) {
            int hops;
            std::memcpy(&hops, CMSG_DATA(cmsg), sizeof hops);
            packet.hop_limit = hops;
        }
    }
    if (family_ == Family::ipv6)
        packet.source = Address::from_bytes(Family::ipv6, reinterpret_cast<const std::uint8_t*>(&from.sin6_addr));
    return packet;
}

PacketSocket::PacketSocket() {
    // Protocol 0: the socket receives nothing, it only sends.
    fd_.reset(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    if (!fd_) throw std::runtime_error(std::string("AF_PACKET socket: ") + std::strerror(errno));
}

int PacketSocket::send(int ifindex, const std::array<std::uint8_t, 6>& destination,
                       std::span<const std::uint8_t> frame) {
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    std::memcpy(to.sll_addr, destination.data(), 6);
    return sendto(fd_.get(), frame.data(), frame.size(), MSG_DONTWAIT,
                  reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0
               ? errno
               : 0;
}

}  // namespace hakeep::vrrpd
