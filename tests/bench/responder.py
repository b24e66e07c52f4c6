#!/usr/bin/env python3
# The benchmarks' TCP responder: responder.py FIRST COUNT listens on every
# local address at ports FIRST .. FIRST+COUNT-1 and accepts and closes each
# connection at once (a TCP_CHECK's whole exchange). One process, epoll.
import select, socket, sys
first, count = int(sys.argv[1]), int(sys.argv[2])
listeners = {}
poll = select.epoll()
for port in range(first, first + count):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    s.setblocking(False)
    listeners[s.fileno()] = s
    poll.register(s.fileno(), select.EPOLLIN)
while True:
    for fd, _ in poll.poll():
        s = listeners[fd]
        for _ in range(256):
            try:
                c, _ = s.accept()
            except (BlockingIOError, ConnectionAbortedError):
                break
            c.close()
