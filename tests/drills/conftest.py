"""Fixtures for the drill tests: the catalogue, and promtool (skipped only when missing)."""

from pathlib import Path

import pytest

from playground.drills import Drill, load_drills
from playground.errors import MissingToolError
from playground.settings import PlaygroundSettings
from playground.tools import Tools


@pytest.fixture(scope="session")
def drills() -> dict[str, Drill]:
    return load_drills()


@pytest.fixture(scope="session")
def promtool() -> Path:
    try:
        return Tools(PlaygroundSettings(_env_file=None)).binary("promtool")
    except MissingToolError as exc:
        pytest.skip(f"{exc}")
