"""settings.py: .env.override beats .env, the environment beats both; folders are repo-relative."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from playground.core.paths import REPO_ROOT
from playground.core.settings import PlaygroundSettings


def test_override_file_beats_env_file_and_environment_beats_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("DEMO_APP_PORT=8100\nPROMETHEUS_PORT=9100\nALERT_PROFILE=lab\n")
    (tmp_path / ".env.override").write_text("PROMETHEUS_PORT=9200\nALERT_PROFILE=realistic\n")
    monkeypatch.setenv("ALERT_PROFILE", "lab")
    for name in ("DEMO_APP_PORT", "PROMETHEUS_PORT"):
        monkeypatch.delenv(name, raising=False)

    settings = PlaygroundSettings(_env_file=(tmp_path / ".env", tmp_path / ".env.override"))

    assert settings.DEMO_APP_PORT == 8100
    assert settings.PROMETHEUS_PORT == 9200
    assert settings.ALERT_PROFILE == "lab"


def test_relative_folders_are_relative_to_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/")

    settings = PlaygroundSettings(_env_file=None, PLAYGROUND_RUN_DIR=".run-test")

    assert settings.PLAYGROUND_RUN_DIR == REPO_ROOT / ".run-test"


@pytest.mark.parametrize(
    "bad", [{"ALERT_PROFILE": "fast"}, {"PROMETHEUS_PORT": 0}, {"DEMO_APP_PORT": 70000}]
)
def test_out_of_range_settings_are_rejected(bad: dict) -> None:
    with pytest.raises(ValidationError):
        PlaygroundSettings(_env_file=None, **bad)
