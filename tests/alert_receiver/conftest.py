"""Fixtures: an in-process receiver app, real receiver processes, and webhook payloads
shaped like Alertmanager's."""

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from alert_receiver.main import create_application
from alert_receiver.settings import Settings
from playground.core.net import free_port
from playground.core.polling import wait_until
from playground.native.processes import ManagedProcess, stop_processes


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Small limits, so the limits themselves can be tested; a database of its own."""
    return Settings(
        ALERT_RECEIVER_DB_PATH=tmp_path / "receiver" / "notifications.sqlite3",
        ALERT_RECEIVER_MAX_NOTIFICATIONS=5,
        ALERT_RECEIVER_MAX_BODY_BYTES=4096,
        ALERT_RECEIVER_MAX_STORED_BYTES=1024 * 1024,
        ALERT_RECEIVER_PAGE_REFRESH_SECONDS=0,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_application(settings)) as test_client:
        yield test_client


START_TIMEOUT_SECONDS = 15


@dataclass
class Started:
    """A process started by ``start_process``, healthy, and the URL it serves."""

    url: str
    process: ManagedProcess


@pytest.fixture
def start_process(tmp_path: Path) -> Iterator[Callable[..., ManagedProcess]]:
    """Starts a real process, waits until ``health`` answers 200; stops all at the end."""
    started: list[ManagedProcess] = []

    def start(
        name: str, argv: list[str], env: dict[str, str], health: str, cwd: Path | None = None
    ) -> ManagedProcess:
        process = ManagedProcess(
            name,
            argv,
            env=env,
            cwd=cwd or tmp_path,
            log_path=tmp_path / f"{name}-{len(started)}.log",
            record_dir=tmp_path / "pids",
        )
        process.start()
        started.append(process)

        def healthy() -> bool:
            if process.returncode is not None:
                raise AssertionError(f"{name} exited: {process.log_excerpt()}")
            try:
                return httpx.get(health, timeout=1, trust_env=False).status_code == 200
            except httpx.TransportError:
                return False

        assert wait_until(healthy, START_TIMEOUT_SECONDS), process.log_excerpt()
        return process

    yield start
    stop_processes(started, timeout=5)


@pytest.fixture
def start_receiver(
    tmp_path: Path, start_process: Callable[..., ManagedProcess]
) -> Callable[..., Started]:
    """Starts ``python -m alert_receiver`` on a free port with a database under tmp_path;
    keyword arguments are extra ``ALERT_RECEIVER_*`` settings (without the prefix)."""

    def start(**settings: str) -> Started:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            "ALERT_RECEIVER_PORT": str(port),
            "ALERT_RECEIVER_DB_PATH": str(tmp_path / "receiver-data" / "notifications.sqlite3"),
            **{f"ALERT_RECEIVER_{name}": value for name, value in settings.items()},
        }
        process = start_process(
            "alert_receiver", [sys.executable, "-m", "alert_receiver"], env, f"{url}/health"
        )
        return Started(url, process)

    return start
