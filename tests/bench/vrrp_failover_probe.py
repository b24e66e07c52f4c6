#!/usr/bin/python3
# Kill a process and time how long until an address appears, seen through
# rtnetlink in the current network namespace (tests/bench/vrrp_failover.sh):
#   vrrp_failover_probe.py ADDRESS PID SIGNAL TIMEOUT_S
# Subscribes to RTMGRP_IPV4_IFADDR first, then sends SIGNAL to PID, then prints
# the milliseconds from the kill to the RTM_NEWADDR of ADDRESS (or "timeout").
import os, select, signal, socket, struct, sys, time

RTMGRP_IPV4_IFADDR = 0x10
RTM_NEWADDR = 20
IFA_ADDRESS, IFA_LOCAL = 1, 2

address = socket.inet_aton(sys.argv[1])
pid, sig, timeout = int(sys.argv[2]), getattr(signal, "SIG" + sys.argv[3]), float(sys.argv[4])
sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
sock.bind((0, RTMGRP_IPV4_IFADDR))

def has_address(data):
    offset = 0
    while offset + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, offset)
        if length < 16:
            return False
        if kind == RTM_NEWADDR:
            attr = offset + 16 + 8  # nlmsghdr, ifaddrmsg
            while attr + 4 <= offset + length:
                alen, atype = struct.unpack_from("=HH", data, attr)
                if alen < 4:
                    break
                if atype in (IFA_ADDRESS, IFA_LOCAL) and data[attr + 4:attr + alen] == address:
                    return True
                attr += (alen + 3) & ~3
        offset += (length + 3) & ~3
    return False

start = time.monotonic_ns()
os.kill(pid, sig)
deadline = start + int(timeout * 1e9)
while True:
    left = (deadline - time.monotonic_ns()) / 1e9
    if left <= 0 or not select.select([sock], [], [], left)[0]:
        print("timeout")
        sys.exit(1)
    data = sock.recv(65536)
    now = time.monotonic_ns()
    if has_address(data):
        print("%.3f" % ((now - start) / 1e6))
        sys.exit(0)
