"""Fixtures for the native runner: settings on free ports with a private run folder."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from playground.core.settings import PlaygroundSettings
from tests.support.settings import settings_on_free_ports


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., PlaygroundSettings]:
    """Builds settings that ignore .env, use free ports and a run folder under tmp_path.

    Keyword arguments override any setting.
    """

    def factory(**overrides: Any) -> PlaygroundSettings:
        return settings_on_free_ports(
            tmp_path / "run", **{"PLAYGROUND_STOP_TIMEOUT_SECONDS": 5.0, **overrides}
        )

    return factory
