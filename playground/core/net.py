"""Loopback networking helpers shared by the native stack and the tests."""

import contextlib
import socket

from playground.core.settings import LOOPBACK


def free_port() -> int:
    """A port that is free on 127.0.0.1 right now (the kernel picks it)."""
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` different ports that are free on 127.0.0.1 right now.

    Each socket stays bound until all are picked: the kernel may hand a port it has released
    to a later bind(0), so successive free_port() calls can return the same port twice (seen:
    Prometheus and Alertmanager of one test stack were both given 60473).
    """
    with contextlib.ExitStack() as sockets:
        ports = []
        for _ in range(count):
            sock = sockets.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((LOOPBACK, 0))
            ports.append(sock.getsockname()[1])
        return ports
