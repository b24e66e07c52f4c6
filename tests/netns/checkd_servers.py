#!/usr/bin/env python3
# Servers for checkd's netns tests (t_checkd_*.sh): real sockets inside a lab
# namespace, good ones and hostile ones. Each mode runs until killed.
#
#   checkd_servers.py http PORT STATEFILE   200 + "hello world\n" on /health;
#                                            /flip answers the status in STATEFILE
#                                            (a number, default 200); /503 answers 503;
#                                            /alternate answers 503, 200, 503, 200...
#   checkd_servers.py accept PORT            accepts and closes (TCP_CHECK target)
#   checkd_servers.py hostile MODE PORT      huge-header | many-headers | endless-body
#                                            | drip | silent | garbage
#   checkd_servers.py tls PORT CERT KEY SNIFILE   HTTPS: 200 + "hello world\n"; the
#                                            SNI name of each handshake goes to SNIFILE
#   checkd_servers.py dns PORT MODE          good | nxdomain | badlength | mute
#   checkd_servers.py smtp PORT GREETING HELO   e.g. 220 250, or 554 250
#   checkd_servers.py udp-echo PORT          echoes every datagram
import os
import socket
import ssl
import struct
import sys
import threading
import time

BODY = b"hello world\n"


def listener(port, family=socket.AF_INET6):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    s.listen(512)
    return s


def serve(sock, handler):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=guarded, args=(handler, conn), daemon=True).start()


def guarded(handler, conn):
    try:
        handler(conn)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) > 1 else "/"


def reply(conn, code, body=BODY):
    conn.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % (code, len(body)) + body)


def http(port, statefile):
    served = {"alternate": 0}
    lock = threading.Lock()

    def handle(conn):
        path = read_request(conn)
        if path == "/alternate":
            with lock:
                served["alternate"] += 1
                odd = served["alternate"] % 2 == 1
            reply(conn, 503 if odd else 200)
        elif path.split("?")[0] == "/flip":  # /flip?anything: one state, several urls
            try:
                code = int(open(statefile).read().strip() or "200")
            except (OSError, ValueError):
                code = 200
            reply(conn, code)
        elif path == "/body":  # the text of STATEFILE.body, for regex checks
            try:
                body = open(statefile + ".body", "rb").read()
            except OSError:
                body = b""
            reply(conn, 200, body)
        elif path == "/aaaa":  # a body on which ^(a|a)+$ backtracks forever
            reply(conn, 200, b"a" * 40 + b"!")
        elif path == "/503":
            reply(conn, 503)
        else:
            reply(conn, 200)
    serve(listener(port), handle)


def accept(port):
    serve(listener(port), lambda conn: None)


def hostile(mode, port):
    def handle(conn):
        if mode == "garbage":  # answers a TLS ClientHello with noise
            conn.recv(4096)
            conn.sendall(os.urandom(4096))
            time.sleep(5)
            return
        read_request(conn)
        if mode == "huge-header":  # one 10 MiB header line
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (10 << 20) + b"\r\n\r\n")
        elif mode == "many-headers":  # an endless stream of small headers
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while True:
                conn.sendall(b"X-H: v\r\n" * 1000)
        elif mode == "endless-body":
            conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
            block = b"z" * 65536
            while True:
                conn.sendall(block)
        elif mode == "drip":  # one byte a second, forever
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" * 100:
                conn.sendall(bytes([byte]))
                time.sleep(1)
        elif mode == "silent":
            time.sleep(3600)
    serve(listener(port), handle)


def tls(port, cert, key, sni_file, shutdown_file=None, client_ca=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if client_ca:  # a client certificate signed by it is required
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)

    def record_sni(sock, name, ctx):
        with open(sni_file, "a") as out:
            out.write("%s\n" % name)
    context.sni_callback = record_sni

    def handle(conn):
        with context.wrap_socket(conn, server_side=True) as secure:
            read_request(secure)
            reply(secure, 200)
            # "clean": send close_notify (and wait for the client's) before
            # closing; otherwise close the TCP connection only, as many servers do.
            try:
                clean = open(shutdown_file).read().strip() == "clean" if shutdown_file else False
            except OSError:
                clean = False
            if clean:
                secure.unwrap()
    serve(listener(port), handle)


def dns(port, mode):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        query, peer = s.recvfrom(4096)
        if len(query) < 12 or mode == "mute":
            continue
        qid = query[:2]
        question = query[12:]
        if mode == "nxdomain":
            s.sendto(qid + struct.pack(">HHHHH", 0x8183, 1, 0, 0, 0) + question, peer)
            continue
        answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
        if mode == "badlength":  # the record claims 4000 bytes of data
            answer = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4000) + bytes([192, 0, 2, 1])
        s.sendto(qid + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + answer, peer)


def smtp(port, greeting, helo):
    def handle(conn):
        conn.sendall(b"%s-mx.test ESMTP\r\n%s mx.test ready\r\n" % (greeting.encode(), greeting.encode()))
        data = b""
        while b"\r\n" not in data:
            chunk = conn.recv(1024)
            if not chunk:
                return
            data += chunk
        if data.upper().startswith(b"HELO "):
            conn.sendall(b"%s mx.test\r\n" % helo.encode())
        time.sleep(0.5)
    serve(listener(port), handle)


def udp_echo(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        data, peer = s.recvfrom(65536)
        s.sendto(data, peer)


def main(argv):
    mode = argv[1]
    if mode == "http":
        http(int(argv[2]), argv[3])
    elif mode == "accept":
        accept(int(argv[2]))
    elif mode == "hostile":
        hostile(argv[2], int(argv[3]))
    elif mode == "tls":
        tls(int(argv[2]), argv[3], argv[4], argv[5], argv[6] if len(argv) > 6 and argv[6] != "-" else None,
            argv[7] if len(argv) > 7 else None)
    elif mode == "dns":
        dns(int(argv[2]), argv[3])
    elif mode == "smtp":
        smtp(int(argv[2]), argv[3], argv[4])
    elif mode == "udp-echo":
        udp_echo(int(argv[2]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main(sys.argv)
