#!/usr/bin/python3
"""A backend of the demo: a small HTTP server.

    web.py NAME PORT HEALTH_FILE

GET / answers NAME; GET /health answers "ok" while HEALTH_FILE exists, else
404 (that is how the demo fails a backend's health check); anything else
404. HTTP/1.0, one connection a request, a thread each. It imports only
socket and threading: in the UML guest Python's http.server takes seconds to
import on a busy host, and busybox httpd forks for every request.
"""
import os
import socket
import sys
import threading


def answer(conn, name, health_file):
    with conn:
        try:
            conn.settimeout(2)
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 8192:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            words = request.split(b" ", 2)
            path = words[1] if len(words) == 3 else b""
            if path == b"/":
                status, body = "200 OK", name + "\n"
            elif path == b"/health" and os.path.exists(health_file):
                status, body = "200 OK", "ok\n"
            else:
                status, body = "404 Not Found", "not found\n"
            conn.sendall(("HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                          "Connection: close\r\n\r\n%s" % (status, len(body), body)).encode())
        except OSError:
            pass  # the client went away: nothing to answer


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    name, port, health_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", port))  # its own address and the VIP on lo
    listener.listen(128)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn, name, health_file), daemon=True).start()


if __name__ == "__main__":
    main()
