"""`playground drill`: the list, an unknown name, and a stack that is not running."""

import pytest

from playground.cli.main import main
from playground.core.net import free_port


@pytest.fixture(autouse=True)
def _nothing_running(monkeypatch: pytest.MonkeyPatch) -> None:
    # A port nothing listens on: the command must say so instead of failing obscurely.
    monkeypatch.setenv("PROMETHEUS_PORT", str(free_port()))


def test_without_a_name_it_lists_every_drill(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["drill"]) == 0
    out = capsys.readouterr().out
    assert "rate-irate-increase" in out and "histogram-quantile-inf-cap" in out
    assert "playground drill NAME" in out


def test_an_unknown_drill_is_an_error_that_lists_the_drills(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["drill", "nope"]) == 1
    err = capsys.readouterr().err
    assert "No drill 'nope'" in err and "absence-of-data" in err


def test_without_a_stack_it_prints_the_answer_and_says_how_to_start_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["drill", "absence-of-data"]) == 1
    captured = capsys.readouterr()
    assert "Model answer" in captured.out and "absent(up{" in captured.out
    assert "Prometheus is not answering" in captured.err and "playground up" in captured.err
