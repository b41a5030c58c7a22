"""Fixtures: demo_app and alert_receiver as real uvicorn processes, each on a free port."""

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from playground.core.net import free_port
from playground.core.paths import REPO_ROOT
from playground.core.polling import wait_until
from playground.native.processes import ManagedProcess, stop_processes

START_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Part:
    """How to run one part, and what its 431 body looks like."""

    module: str
    port_variable: str
    health: str
    error_field: str  # the field of the JSON error body that holds the message


PARTS = {
    "demo_app": Part("demo_app", "DEMO_APP_PORT", "/health", "message"),
    "alert_receiver": Part("alert_receiver", "ALERT_RECEIVER_PORT", "/health", "detail"),
}


@dataclass(frozen=True)
class Server:
    part: Part
    url: str
    port: int
    process: ManagedProcess


@pytest.fixture(params=sorted(PARTS))
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """One part, started as ``python -m <part>`` with its bounded HTTP protocol."""
    part = PARTS[request.param]
    port = free_port()
    env = {
        part.port_variable: str(port),
        "ALERT_RECEIVER_DB_PATH": str(tmp_path / "notifications.sqlite3"),
        "DEMO_APP_ACCESS_LOG": "false",
        "DEMO_APP_LOG_LEVEL": "warning",
        "ALERT_RECEIVER_LOG_LEVEL": "warning",
    }
    process = ManagedProcess(
        part.module,
        [sys.executable, "-m", part.module],
        env=env,
        cwd=REPO_ROOT,
        log_path=tmp_path / f"{part.module}.log",
        record_dir=tmp_path / "pids",
    )
    process.start()
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.returncode is not None:
            raise AssertionError(f"{part.module} exited: {process.log_excerpt()}")
        try:
            return httpx.get(url + part.health, timeout=1, trust_env=False).status_code == 200
        except httpx.TransportError:
            return False

    try:
        assert wait_until(healthy, START_TIMEOUT_SECONDS), process.log_excerpt()
        yield Server(part, url, port, process)
    finally:
        stop_processes([process], timeout=10)
