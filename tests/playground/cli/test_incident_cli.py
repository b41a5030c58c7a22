"""`playground incident` without a game or a stack: listing, refusals, and asking for answers."""

import io
from pathlib import Path

import pytest

from playground.cli import incident
from playground.cli.main import main
from playground.teaching.incidents.catalogue import load_catalogue


@pytest.fixture(autouse=True)
def _private_run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_RUN_DIR", str(tmp_path / "run"))


def test_list_shows_every_incident_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [i.name for i in load_catalogue().incidents]


def test_list_filters_by_difficulty(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "list", "--difficulty", "easy"]) == 0
    assert all(" easy " in line for line in capsys.readouterr().out.splitlines())


@pytest.mark.parametrize(
    "action", [["hint"], ["answer", "--dimension", "none", "--cause", "errors"]]
)
def test_hint_and_answer_need_a_running_game(
    action: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["incident", *action]) == 1
    assert "No incident game is running" in capsys.readouterr().err


def test_stop_without_a_game_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["incident", "stop"]) == 0
    assert "No incident game here." in capsys.readouterr().out


def test_an_unknown_cause_is_refused_by_the_parser() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["incident", "answer", "--cause", "gremlins"])
    assert exit_info.value.code == 2


def _args(**given: str | None) -> dict[str, str | None]:
    """The answer flags, those not given left out (None), as the command passes them."""
    return {"dimension": None, "value": None, "cause": None, "notes": None, **given}


def test_without_a_terminal_a_missing_flag_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(incident.PlaygroundError, match="--value"):
        incident._answer_from(**_args(dimension="model", cause="latency"))


def test_in_a_terminal_the_missing_parts_are_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    replies = iter(["2", "llama-3.1-8b-instant", "gremlins", "3", "looked at llm_errors_total"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda _prompt: next(replies))
    answer = incident._answer_from(**_args())
    # "2" is the second dimension kind; "gremlins" is refused and asked again; "3" a cause.
    assert answer.dimension.kind == incident.DIMENSION_KINDS[1]
    assert answer.dimension.value == "llama-3.1-8b-instant"
    assert answer.cause == incident.CAUSES[2]
    assert answer.notes == "looked at llm_errors_total"
