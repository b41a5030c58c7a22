"""docs/incidents/incidents.yaml against its schema, demo_app's fault model and the rules."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from demo_app.faults import FaultState
from playground.core.paths import REPO_ROOT
from playground.teaching.incidents.catalogue import (
    CATALOGUE_FILE,
    CAUSES,
    Catalogue,
    choose,
    load_catalogue,
)

RULES_DIR = REPO_ROOT / "prometheus" / "rules" / "realistic"
CATALOGUE = load_catalogue()


def _raw() -> dict[str, Any]:
    return yaml.safe_load(CATALOGUE_FILE.read_text())


def _alert_names() -> set[str]:
    names = set()
    for path in RULES_DIR.glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["alert"] for rule in group["rules"] if "alert" in rule}
    return names


def test_the_catalogue_has_at_least_twelve_incidents_covering_every_cause() -> None:
    assert len(CATALOGUE.incidents) >= 12
    assert {incident.diagnosis.cause for incident in CATALOGUE.incidents} == set(CAUSES)
    difficulties = {incident.difficulty for incident in CATALOGUE.incidents}
    assert difficulties == {"easy", "medium", "hard"}


@pytest.mark.parametrize("incident", CATALOGUE.incidents, ids=lambda i: i.name)
def test_each_fault_is_a_valid_demo_app_fault_state(incident) -> None:
    state = FaultState.model_validate(incident.fault)
    assert state != FaultState(), "the fault changes nothing"


@pytest.mark.parametrize("incident", CATALOGUE.incidents, ids=lambda i: i.name)
def test_each_announcement_names_alerts_the_rules_define(incident) -> None:
    named = set(incident.announce.alerts) | set(incident.announce.quiet_alerts)
    assert named <= _alert_names()


@pytest.mark.parametrize("incident", CATALOGUE.incidents, ids=lambda i: i.name)
def test_each_lesson_link_is_a_page_of_this_repository(incident) -> None:
    for lesson in incident.debrief.lessons:
        assert (REPO_ROOT / lesson.link).is_file(), lesson.link


def _broken(change) -> dict[str, Any]:
    raw = copy.deepcopy(_raw())
    change(raw["incidents"][1])
    return raw


@pytest.mark.parametrize(
    ("what", "change"),
    [
        ("an unknown cause", lambda i: i["diagnosis"].update(cause="gremlins")),
        ("a dimension kind", lambda i: i["diagnosis"]["dimension"].update(kind="region")),
        (
            "a value for none",
            lambda i: i["diagnosis"].update(dimension={"kind": "none", "value": "x"}),
        ),
        ("no value for a model", lambda i: i["diagnosis"].update(dimension={"kind": "model"})),
        ("alerts and a report", lambda i: i["announce"].update(customer_report="hello")),
        ("neither", lambda i: i["announce"].update(alerts=[])),
        ("one hint", lambda i: i.update(hints=["only one"])),
        ("four hints", lambda i: i.update(hints=["a", "b", "c", "d"])),
        ("no evidence", lambda i: i.update(evidence=[])),
        ("hidden in the fault", lambda i: i["fault"].update(hidden=True)),
        ("an unknown field", lambda i: i.update(surprise=1)),
        ("a bad name", lambda i: i.update(name="Messages 500s")),
        ("no lesson", lambda i: i["debrief"].update(lessons=[])),
        ("an unknown expectation", lambda i: i["evidence"][0].update(top=None, expect="about 3")),
        (
            "evidence that does not point at the dimension",
            lambda i: i["evidence"][0].update(top={"handler": "/api/v1/other"}),
        ),
    ],
)
def test_the_schema_refuses(what: str, change) -> None:
    with pytest.raises(ValidationError):
        Catalogue.model_validate(_broken(change))


def test_the_schema_refuses_duplicate_names_and_short_catalogues() -> None:
    raw = _raw()
    twice = {"incidents": [*raw["incidents"], raw["incidents"][0]]}
    with pytest.raises(ValidationError, match="duplicate"):
        Catalogue.model_validate(twice)
    with pytest.raises(ValidationError):
        Catalogue.model_validate({"incidents": raw["incidents"][:11]})


def test_a_seed_picks_the_same_incident_every_time() -> None:
    picks = {choose(CATALOGUE, seed=7).name for _ in range(5)}
    assert len(picks) == 1
    assert len({choose(CATALOGUE, seed=seed).name for seed in range(40)}) > 3


def test_the_pick_honours_the_difficulty_the_name_and_the_target() -> None:
    for seed in range(20):
        assert choose(CATALOGUE, seed, difficulty="hard").difficulty == "hard"
    assert choose(CATALOGUE, 1, name="quiet-burn").name == "quiet-burn"
    with pytest.raises(KeyError):
        choose(CATALOGUE, 1, name="no-such-incident")
    only_native = CATALOGUE.model_copy(
        update={
            "incidents": tuple(
                i.model_copy(update={"targets": ("native",)}) for i in CATALOGUE.incidents
            )
        }
    )
    with pytest.raises(LookupError):
        choose(only_native, 1, target="compose")


def test_the_catalogue_file_is_where_the_docs_say(tmp_path: Path) -> None:
    readme = (CATALOGUE_FILE.parent / "README.md").read_text()
    assert "incidents.yaml" in readme
