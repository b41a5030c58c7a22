"""`playground lab`: the list, an unknown lab, a bad window, and a stack that is not running."""

import pytest

from playground.cli.main import main
from playground.core.net import free_port


@pytest.fixture(autouse=True)
def _nothing_running(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("DEMO_APP_PORT", "PROMETHEUS_PORT", "ALERTMANAGER_PORT", "ALERT_RECEIVER_PORT"):
        monkeypatch.setenv(name, str(free_port()))
    monkeypatch.setenv("PLAYGROUND_RUN_DIR", str(tmp_path))


def test_without_an_action_it_lists_the_labs(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab"]) == 0
    out = capsys.readouterr().out
    assert "1  Explore the metrics" in out and "docs/labs/07-silences-and-inhibition.md" in out


def test_an_unknown_lab_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "verify", "9"]) == 1
    assert "No lab 9: labs run from 1 to 7" in capsys.readouterr().err


def test_a_window_that_is_not_a_duration_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "verify", "2", "--within", "two hours"]) == 1
    assert "not a duration" in capsys.readouterr().err


def test_without_a_stack_verify_says_how_to_start_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "verify", "2"]) == 1
    err = capsys.readouterr().err
    assert "not answering" in err and "playground up" in err
