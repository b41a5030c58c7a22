"""Fixtures for the static compose checks: the parsed .env, the loaded compose.yaml, and the
processes the image-command tests start.

There is no Docker engine where these tests run, so compose.yaml is read the way Compose v2
reads it (tests/support/compose.py). The shell environment is deliberately ignored, so the
result is what a fresh clone gets, whatever the developer has exported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from playground.core.net import free_port
from playground.core.paths import REPO_ROOT
from tests.support.compose import COMPOSE_FILE, ENV_FILE, load_compose, parse_env_file


@pytest.fixture(scope="session")
def dotenv() -> dict[str, str]:
    """The committed .env, parsed."""
    return parse_env_file(ENV_FILE.read_text())


@pytest.fixture(scope="session")
def compose_text() -> str:
    """compose.yaml as written."""
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="session")
def compose(compose_text: str, dotenv: dict[str, str]) -> dict[str, Any]:
    """compose.yaml, loaded and interpolated against .env only."""
    return load_compose(compose_text, dotenv)


@pytest.fixture(scope="session")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services of the interpolated compose.yaml."""
    return compose["services"]


@pytest.fixture
def unused_port() -> int:
    """A free loopback port for one server in this test."""
    return free_port()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts; each is stopped (SIGTERM, then SIGKILL) at teardown."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def launch_app(
    processes: list[subprocess.Popen[bytes]],
) -> Callable[[str, Mapping[str, str]], dict[str, str]]:
    """Start `python -m <package>` the way its image does, on a free loopback port.

    The callable returns the environment the app got (its ``<PACKAGE>_PORT`` says where it
    listens) without waiting for it to serve; every app is stopped at teardown.
    """

    def launch(package: str, extra_env: Mapping[str, str]) -> dict[str, str]:
        if not (REPO_ROOT / package / "__main__.py").exists():
            pytest.skip(f"{package}/__main__.py does not exist yet (its helper is writing it)")
        prefix = package.upper()
        env = {
            **os.environ,
            **extra_env,
            f"{prefix}_HOST": "127.0.0.1",
            f"{prefix}_PORT": str(free_port()),
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", package],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        return env

    return launch
