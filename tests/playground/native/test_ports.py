"""ports.py: a taken port gets a message naming it, its holder and the setting to change."""

import os
import socket
from collections.abc import Iterator

import pytest

from playground.core.errors import PortInUseError
from playground.core.net import free_port, free_ports
from playground.native.ports import check_ports, is_port_free


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A port this test process listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_taken_port_message_names_port_holder_and_setting(listening_port: int) -> None:
    with pytest.raises(PortInUseError) as caught:
        check_ports({"DEMO_APP_PORT": free_port(), "PROMETHEUS_PORT": listening_port})

    message = str(caught.value)
    assert f"Port {listening_port} on 127.0.0.1 (PROMETHEUS_PORT) is already in use" in message
    assert f"by pid {os.getpid()} (" in message
    assert "set PROMETHEUS_PORT in .env.override or the environment" in message


def test_suggested_port_is_free_and_not_another_parts(listening_port: int) -> None:
    other = listening_port + 1

    with pytest.raises(PortInUseError) as caught:
        check_ports({"PROMETHEUS_PORT": listening_port, "ALERTMANAGER_PORT": other})

    suggested = int(str(caught.value).split("PROMETHEUS_PORT=")[1].split()[0])
    assert suggested not in (listening_port, other)
    assert is_port_free(suggested)


def test_two_parts_on_one_port_is_an_error() -> None:
    port = free_port()

    with pytest.raises(PortInUseError, match="DEMO_APP_PORT and ALERTMANAGER_PORT are all set"):
        check_ports({"DEMO_APP_PORT": port, "ALERTMANAGER_PORT": port})


def test_free_ports_pass() -> None:
    demo_app, prometheus = free_ports(2)
    check_ports({"DEMO_APP_PORT": demo_app, "PROMETHEUS_PORT": prometheus})


def test_port_left_in_time_wait_counts_as_free() -> None:
    # A stack that just stopped leaves its connections in TIME_WAIT; a restart must work.
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server side closes first, so it holds the TIME_WAIT
        client.close()

    assert is_port_free(port)
