"""One replica of several (compose only): the catalogue's CHOSEN_REPLICA, the game's pick of
a live replica, and the grading of a replica answer; no stack needed."""

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from playground.core.errors import PlaygroundError
from playground.teaching.incidents import game
from playground.teaching.incidents.catalogue import (
    CATALOGUE_FILE,
    CHOSEN_REPLICA,
    Catalogue,
    ChosenReplica,
    Dimension,
    load_catalogue,
)
from playground.teaching.incidents.grading import Answer
from playground.teaching.incidents.replicas import REPLICAS_QUERY, pick_replica, replicas_from

NAME = "one-replica-broken"
CHOSEN = ChosenReplica(replica="3f2a9c1b7d4e", instance="172.18.0.7:8000")


def _raw_catalogue() -> dict[str, Any]:
    return yaml.safe_load(CATALOGUE_FILE.read_text())


def _with(change) -> dict[str, Any]:
    raw = copy.deepcopy(_raw_catalogue())
    (entry,) = (i for i in raw["incidents"] if i["name"] == NAME)
    change(entry)
    return raw


def test_the_catalogue_has_a_compose_only_incident_that_breaks_a_chosen_replica() -> None:
    incident = load_catalogue().by_name()[NAME]
    assert incident.targets == ("compose",)
    assert incident.chooses_replica
    assert incident.fault["replicas"] == [CHOSEN_REPLICA]
    assert incident.diagnosis.dimension == Dimension(kind="replica", value=CHOSEN_REPLICA)
    assert any((e.top or {}).get("instance") == CHOSEN_REPLICA for e in incident.evidence)


def test_only_incidents_that_choose_a_replica_are_compose_only() -> None:
    # The native stack has one replica; every other incident runs on both.
    for incident in load_catalogue().incidents:
        expected = ("compose",) if incident.chooses_replica else ("native", "compose")
        assert incident.targets == expected, incident.name


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("a literal replica name", lambda i: i["fault"].update(replicas=["web-1"])),
        (
            "the chosen replica beside a literal one",
            lambda i: i["fault"].update(replicas=[CHOSEN_REPLICA, "web-1"]),
        ),
        ("a fault on every replica", lambda i: i["fault"].pop("replicas")),
        (
            "a literal replica as the answer",
            lambda i: i["diagnosis"].update(dimension={"kind": "replica", "value": "web-1"}),
        ),
        (
            "the chosen replica as another kind",
            lambda i: i["diagnosis"].update(dimension={"kind": "handler", "value": CHOSEN_REPLICA}),
        ),
        ("the native target", lambda i: i.update(targets=["native", "compose"])),
        (
            "no evidence naming the chosen instance",
            lambda i: i["evidence"][0].update(top={"instance": "172.18.0.7:8000"}),
        ),
    ],
)
def test_the_schema_refuses(what: str, change) -> None:
    with pytest.raises(ValidationError):
        Catalogue.model_validate(_with(change))


def test_resolving_puts_the_name_in_the_fault_and_the_instance_in_the_answer() -> None:
    incident = load_catalogue().by_name()[NAME]
    played = incident.resolved(CHOSEN)
    assert played.fault["replicas"] == [CHOSEN.replica]
    assert played.fault["http_error_ratio"] == incident.fault["http_error_ratio"]
    assert played.diagnosis.dimension == Dimension(kind="replica", value=CHOSEN.instance)
    tops = [e.top for e in played.evidence if e.top]
    assert tops and all(top["instance"] == CHOSEN.instance for top in tops)
    assert CHOSEN_REPLICA not in repr(played)
    # The catalogue's own entry is left as it was.
    assert incident.fault["replicas"] == [CHOSEN_REPLICA]
    with pytest.raises(ValueError, match="none was chosen"):
        incident.resolved(None)
    other = load_catalogue().by_name()["error-storm"]
    assert other.resolved(None) is other and other.resolved(CHOSEN) is other


def _sample(instance: str, replica: str) -> dict[str, str]:
    return {"instance": instance, "replica": replica}


def test_the_replicas_come_from_prometheus_sorted_by_instance() -> None:
    assert "demo_app_replica_info" in REPLICAS_QUERY and "up{" in REPLICAS_QUERY
    found = replicas_from(
        [_sample("172.18.0.9:8000", "c"), _sample("172.18.0.7:8000", "a"), {"instance": "x"}]
    )
    assert found == [
        ChosenReplica(replica="a", instance="172.18.0.7:8000"),
        ChosenReplica(replica="c", instance="172.18.0.9:8000"),
    ]
    with pytest.raises(PlaygroundError, match="two replica names"):
        replicas_from([_sample("172.18.0.7:8000", "a"), _sample("172.18.0.7:8000", "b")])


def test_a_seed_picks_the_same_replica_whatever_the_order_prometheus_gives() -> None:
    three = replicas_from([_sample(f"172.18.0.{n}:8000", f"r{n}") for n in (5, 6, 7)])
    picks = {pick_replica(three, 11) for _ in range(3)} | {pick_replica(three[::-1], 11)}
    assert len(picks) == 1
    assert {pick_replica(three, seed).replica for seed in range(30)} == {"r5", "r6", "r7"}


@pytest.mark.parametrize(
    "samples",
    [[], [_sample("172.18.0.5:8000", "r5")], [_sample("a:1", "same"), _sample("b:1", "same")]],
)
def test_one_of_several_needs_several_distinctly_named_replicas(samples) -> None:
    with pytest.raises(PlaygroundError, match="--scale demo_app=3"):
        pick_replica(replicas_from(samples), 1)


def test_a_replica_answers_to_its_instance_its_host_or_its_name() -> None:
    assert CHOSEN.answers() == ("172.18.0.7:8000", "172.18.0.7", "3f2a9c1b7d4e")


def _game_in(run_dir: Path) -> None:
    """A running game of the incident, as `start` leaves it once the page came."""
    folder = run_dir / "results"
    (run_dir / "incident").mkdir(parents=True)
    now = time.time()
    state = game.GameState(
        incident=NAME,
        seed=3,
        difficulty=None,
        replica=CHOSEN,
        target={"name": "compose", "demo_app": "http://127.0.0.1:9", "profile": "lab"},
        admin_token="x" * 32,
        folder=str(folder),
        started_at=now - 120,
        fault_on_at=now - 90,
        paged_at=now - 30,
        runner_pid=1,
        runner_start_ticks=None,
    )
    game._write(run_dir, state)


def test_the_game_grades_a_replica_by_the_name_it_chose(tmp_path: Path) -> None:
    _game_in(tmp_path)
    state, played = game.running_game(tmp_path)
    assert state.replica == CHOSEN
    assert played.diagnosis.dimension.value == CHOSEN.instance
    assert played.fault["replicas"] == [CHOSEN.replica]

    def answer(value: str, cause: str = "errors") -> dict[str, Any]:
        dimension = Dimension(kind="replica", value=value)
        return game.submit_answer(tmp_path, Answer(dimension, cause))[0].to_dict()  # type: ignore[arg-type]

    wrong = answer("172.18.0.8:8000")
    assert (wrong["dimension_points"], wrong["solved"]) == (15, False)
    assert answer(CHOSEN.instance, "latency")["solved"] is False
    for value in (CHOSEN.instance, " 172.18.0.7 ", CHOSEN.replica.upper()):
        graded = answer(value)
        assert graded["solved"], value
        assert graded["dimension_points"] == 40 and graded["cause_points"] == 40
    state = game.load_state(tmp_path)
    assert state is not None
    assert state.answers[-1].grade["wrong_answer_penalty"] == 2 * 5


def test_the_debrief_says_which_replica_it_was() -> None:
    debrief = {
        "title": "t",
        "incident": NAME,
        "outcome": "solved",
        "difficulty": "medium",
        "seed": 3,
        "diagnosis": {"dimension": {"kind": "replica", "value": CHOSEN.instance}},
        "replica": CHOSEN.model_dump(),
        "fault": {"replicas": [CHOSEN.replica]},
        "hints_used": 0,
        "grade": None,
        "answers": [],
        "timeline": [],
        "evidence": [],
        "strong_answer": "s",
        "lessons": [],
    }
    debrief["diagnosis"]["cause"] = "errors"
    text = game.format_debrief(debrief)
    assert f"replica `{CHOSEN.instance}` (DEMO_APP_REPLICA `{CHOSEN.replica}`)" in text
