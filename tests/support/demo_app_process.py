"""A real demo_app (uvicorn, own process, free port) for tests that drive it over HTTP."""

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from playground.core.clients import DemoAppAdminClient
from playground.core.net import free_port
from playground.core.paths import REPO_ROOT
from playground.core.polling import wait_until
from playground.native.processes import ManagedProcess, stop_processes

STARTUP_SECONDS = 20.0


@dataclass(frozen=True)
class DemoApp:
    url: str
    token: str
    admin: DemoAppAdminClient


@contextmanager
def running_demo_app(folder: Path) -> Iterator[DemoApp]:
    """``python -m demo_app`` with its real LLM latencies on a free port, stopped on exit."""
    port, token = free_port(), secrets.token_urlsafe(24)
    process = ManagedProcess(
        "demo_app",
        [sys.executable, "-m", "demo_app"],
        env={
            "DEMO_APP_PORT": str(port),
            "DEMO_APP_ADMIN_TOKEN": token,
            "DEMO_APP_LOG_LEVEL": "warning",
        },
        cwd=REPO_ROOT,
        log_path=folder / "demo_app.log",
        record_dir=folder / "pids",
    )
    url = f"http://127.0.0.1:{port}"
    process.start()
    admin = DemoAppAdminClient(url, token)
    try:

        def ready() -> bool:
            if not process.is_running():
                pytest.fail(f"demo_app exited.\n{process.log_excerpt()}")
            try:
                return httpx.get(f"{url}/ready", timeout=1, trust_env=False).status_code == 200
            except httpx.TransportError:
                return False

        if not wait_until(ready, STARTUP_SECONDS):
            pytest.fail(
                f"demo_app was not ready within {STARTUP_SECONDS} s.\n{process.log_excerpt()}"
            )
        yield DemoApp(url, token, admin)
    finally:
        admin.close()
        stop_processes([process], timeout=10)


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoApp]:
    """demo_app with its real LLM latencies, shared by the tests of a folder."""
    with running_demo_app(tmp_path_factory.mktemp("demo-app")) as app:
        yield app


@pytest.fixture
def healthy_demo_app(demo_app: DemoApp) -> Iterator[DemoApp]:
    """The shared demo_app, healthy before and after the test."""
    demo_app.admin.reset()
    yield demo_app
    demo_app.admin.reset()
