"""A header flood as a process of its own: `python -m tests.support.floods PORT SECONDS`.

Opens connections to 127.0.0.1:PORT and streams one endless header into each until the
time is up, then prints the bytes sent on each connection, one per line. A fresh
interpreter, not a fork: forking pytest (which runs threads) can leave the child holding a
lock nobody will release, and the test then hangs on join.
"""

import socket
import sys
import time

FLOOD_BYTES = 100 * 1024 * 1024
CHUNK = 64 * 1024


def flood(port: int, seconds: float) -> list[int]:
    chunk = b"a" * CHUNK
    until = time.monotonic() + seconds
    sent_per_connection = []
    while time.monotonic() < until:
        sent = 0
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Flood: ")
                while sent < FLOOD_BYTES and time.monotonic() < until:
                    sock.sendall(chunk)
                    sent += len(chunk)
        except OSError:
            pass  # the server cut the connection: what should happen
        sent_per_connection.append(sent)
    return sent_per_connection


if __name__ == "__main__":
    for sent in flood(int(sys.argv[1]), float(sys.argv[2])):
        print(sent)
