"""The native runner's settings for a test: free loopback ports, a private run folder, no .env."""

import socket
from pathlib import Path
from typing import Any

from playground.core.settings import LOOPBACK, PlaygroundSettings

# Every port handed out here stays reserved until the test process ends: a socket bound with
# SO_REUSEADDR and never listening. The stack's own servers still bind and listen on it
# (uvicorn, Go's net.Listen and gevent set SO_REUSEADDR too), but the kernel hands it to no
# bind(0) meanwhile, so another test's process, on this worker or another, cannot be given
# it. That matters most for a port nothing listens on for long stretches: the stack's
# Prometheus scrapes LOCUST_METRICS_PORT as job="locust", and the burn-rate rules read
# http_requests_total of every job, so another test's demo_app landing there would feed its
# errors into this stack's alerts.
_RESERVED: list[socket.socket] = []
PORT_SETTINGS = (
    "DEMO_APP_PORT",
    "ALERT_RECEIVER_PORT",
    "PROMETHEUS_PORT",
    "ALERTMANAGER_PORT",
    "ALERTMANAGER_2_PORT",
    "ALERTMANAGER_CLUSTER_PORT",
    "ALERTMANAGER_2_CLUSTER_PORT",
    "LOCUST_METRICS_PORT",
)


def reserved_ports(count: int) -> list[int]:
    """``count`` free loopback ports, each reserved until the test process ends (above)."""
    ports = []
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, 0))
        _RESERVED.append(sock)
        ports.append(sock.getsockname()[1])
    return ports


def reserved_port_settings() -> dict[str, int]:
    """Every port setting of a stack, each on its own reserved port."""
    return dict(zip(PORT_SETTINGS, reserved_ports(len(PORT_SETTINGS)), strict=True))


def settings_on_free_ports(run_dir: Path, **overrides: Any) -> PlaygroundSettings:
    """Settings that ignore .env and .env.override, so a developer's own ports and profile never
    leak in, with every part on a free, reserved port and ``run_dir`` for the run folder.

    Keyword arguments override any setting.
    """
    values: dict[str, Any] = {
        **reserved_port_settings(),
        "PLAYGROUND_RUN_DIR": run_dir,
        **overrides,
    }
    return PlaygroundSettings(_env_file=None, **values)
