"""Free loopback ports for the parts of one stack."""

import socket

from playground.core.net import free_ports

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
