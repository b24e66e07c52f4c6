#!/usr/bin/python3
"""The demo's client: HTTP requests to the virtual IP, one after the other.

    client.py VIP PORT LOG STOPFILE [--interval S] [--timeout S] [--max-seconds S]
              [--mac NAME=MAC]...

Each request is a new TCP connection (HTTP/1.0, GET /), at most --timeout
seconds for all of it. Before each one the client reads its own ARP table
(/proc/net/arp of its network namespace) to learn which director the virtual
IP resolves to: that is where the request goes, so each line says which
director carried it (--mac maps MAC addresses to names). One line a request
is appended to LOG:

    START_MS END_MS ok BACKEND DIRECTOR CLIENT_PORT
    START_MS END_MS fail REASON DIRECTOR CLIENT_PORT

(milliseconds of the Unix epoch). It stops when STOPFILE exists or after
--max-seconds, whichever comes first, so it can never run away.
"""
import os
import socket
import sys
import time


def arp_mac(address):
    try:
        with open("/proc/net/arp") as table:
            for line in table.readlines()[1:]:
                fields = line.split()
                # flags 0x2: complete entry
                if len(fields) >= 4 and fields[0] == address and fields[2] == "0x2":
                    return fields[3]
    except OSError:
        pass
    return None


def request(s, vip, port, timeout):
    deadline = time.monotonic() + timeout
    s.settimeout(timeout)
    s.connect((vip, port))
    s.sendall(b"GET / HTTP/1.0\r\nHost: demo\r\n\r\n")
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        s.settimeout(left)
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if not status.startswith(b"HTTP/1.") or status.split()[1:2] != [b"200"]:
        raise ValueError("status " + status.decode(errors="replace").replace(" ", "_"))
    return body.decode(errors="replace").strip() or "empty"


def main():
    args = sys.argv[1:]
    if len(args) < 4:
        sys.exit(__doc__)
    vip, port, log, stopfile = args[0], int(args[1]), args[2], args[3]
    interval, timeout, max_seconds, names = 0.02, 1.0, 60.0, {}
    rest = args[4:]
    while rest:
        if rest[0] == "--interval":
            interval = float(rest[1])
        elif rest[0] == "--timeout":
            timeout = float(rest[1])
        elif rest[0] == "--max-seconds":
            max_seconds = float(rest[1])
        elif rest[0] == "--mac":
            name, mac = rest[1].split("=", 1)
            names[mac.lower()] = name
        else:
            sys.exit("client.py: unknown argument " + rest[0])
        rest = rest[2:]
    end = time.monotonic() + max_seconds
    with open(log, "a", buffering=1) as out:
        while time.monotonic() < end and not os.path.exists(stopfile):
            mac = arp_mac(vip)
            director = names.get(mac, mac) if mac else "unresolved"
            start = time.time()
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            local_port = 0
            try:
                result = "ok " + request(s, vip, port, timeout)
            except Exception as error:  # every failure is a result to record
                reason = str(error) or type(error).__name__
                result = "fail " + reason.replace(" ", "_")
            finally:
                # connect() chose the port (no bind: the kernel then takes
                # them in turn for one destination, not at random)
                try:
                    local_port = s.getsockname()[1]
                except OSError:
                    pass
                s.close()
            finished = time.time()
            out.write("%d %d %s %s %d\n" % (start * 1000, finished * 1000, result, director, local_port))
            time.sleep(interval)


if __name__ == "__main__":
    main()
