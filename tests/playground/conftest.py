"""Fixtures for the native runner: settings on free ports with a private run folder."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from playground.ports import free_port
from playground.settings import PlaygroundSettings


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., PlaygroundSettings]:
    """Builds settings that ignore .env, use free ports and a run folder under tmp_path.

    Keyword arguments override any setting.
    """

    def factory(**overrides: Any) -> PlaygroundSettings:
        values: dict[str, Any] = {
            "DEMO_APP_PORT": free_port(),
            "ALERT_RECEIVER_PORT": free_port(),
            "PROMETHEUS_PORT": free_port(),
            "ALERTMANAGER_PORT": free_port(),
            "PLAYGROUND_RUN_DIR": tmp_path / "run",
            "PLAYGROUND_STOP_TIMEOUT_SECONDS": 5.0,
            **overrides,
        }
        return PlaygroundSettings(_env_file=None, **values)

    return factory
