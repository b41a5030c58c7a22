"""Fixtures for the drill tests: the catalogue, and promtool (skipped only when missing)."""

from pathlib import Path

import pytest

from playground.core.errors import MissingToolError
from playground.core.settings import PlaygroundSettings
from playground.native.tools import Tools
from playground.teaching.drills import Drill, load_drills


@pytest.fixture(scope="session")
def drills() -> dict[str, Drill]:
    return load_drills()


@pytest.fixture(scope="session")
def promtool() -> Path:
    try:
        return Tools(PlaygroundSettings(_env_file=None)).binary("promtool")
    except MissingToolError as exc:
        pytest.skip(f"{exc}")
