"""Free loopback ports for the parts of one stack."""

import socket
from pathlib import Path

import pytest

from playground.core.net import free_ports
from playground.native.ports import is_port_free
from tests.support.settings import settings_on_free_ports

# One pick of 8 ports one after another (bind, read, close) repeated a port in about 1 of 500
# tries here, so this many picks catch a free_ports that lets a socket go too early.
PICKS = 3000


def test_the_ports_of_one_pick_are_all_different() -> None:
    repeated = [ports for ports in (free_ports(8) for _ in range(PICKS)) if len(set(ports)) < 8]
    assert repeated == []


def test_every_port_picked_can_be_bound_afterwards() -> None:
    for port in free_ports(8):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


def test_a_test_stacks_port_is_handed_to_no_other_bind_yet_its_server_can_listen_on_it(
    tmp_path: Path,
) -> None:
    settings = settings_on_free_ports(tmp_path)
    idle = settings.LOCUST_METRICS_PORT
    # What the kernel checks before bind(0) hands out a port: a plain bind is refused.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other, pytest.raises(OSError):
        other.bind(("127.0.0.1", idle))
    assert idle not in free_ports(500)
    # The servers set SO_REUSEADDR, as is_port_free checks, and can still listen there.
    assert is_port_free(idle)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", idle))
        server.listen()
