"""Fixtures: demo_app built in-process, and real ``python -m demo_app`` processes.

The helpers tests import (settings, metric readers, Server) are in tests/support/demo_app.py.
"""

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from demo_app.main import create_application
from playground.core.net import free_port
from playground.core.paths import REPO_ROOT
from tests.support.demo_app import FAST_LLM, Server, make_settings, wait_ready


@pytest.fixture(autouse=True)
def _no_demo_app_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings come from each test, not from the shell that runs pytest."""
    for name in list(os.environ):
        if name.startswith("DEMO_APP_"):
            monkeypatch.delenv(name)


@pytest.fixture
def app() -> FastAPI:
    return create_application(make_settings())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Starts ``python -m demo_app`` with the given DEMO_APP_* variables; stops it after."""
    servers: list[Server] = []

    def start(**variables: str) -> Server:
        port = free_port()
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("DEMO_APP_") and name != "PROMETHEUS_MULTIPROC_DIR"
        }
        env.update(
            {
                "DEMO_APP_PORT": str(port),
                "DEMO_APP_LLM_LATENCY_SCALE": str(FAST_LLM),
                "PYTHONUNBUFFERED": "1",
                **variables,
            }
        )
        log_path = tmp_path / f"demo_app-{port}.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "demo_app"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
                # Its own process group, so that a hung server and its workers can be killed.
                start_new_session=True,
            )
        server = Server(process, f"http://127.0.0.1:{port}", log_path, env)
        servers.append(server)
        wait_ready(server)
        return server

    yield start
    for server in servers:
        if server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
