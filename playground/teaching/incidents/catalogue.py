"""The incident catalogue: docs/incidents/incidents.yaml, read and checked against its schema.

Each incident is a hidden demo_app fault, how it announces itself (alerts that fire, or a
customer report when no alert can), the right diagnosis as structured data (the failing
dimension and the cause class), a ladder of hints, the PromQL that proves the diagnosis, and
a debrief. The `fault` is a demo_app fault state; its fields are demo_app's own
(demo_app/faults.py, FaultState), which validates it when the game sends it, and a test
checks every entry against it.

Queries are written with the realistic profile's windows; against the lab profile they run
with every duration divided by 10, as the drills do (playground.drills.scale_query).

One replica of several: the catalogue cannot know the replicas' names (in compose, container
ids), so such an entry writes CHOSEN_REPLICA where the name goes: as the only name in
`fault.replicas`, as the diagnosis's value (kind `replica`) and as the `instance` of an
evidence `top`. The game picks one of the replicas Prometheus scrapes when it starts
(incidents/replicas.py) and puts it in: its DEMO_APP_REPLICA name in the fault, its
`instance` label (what the learner sees) in the diagnosis and the evidence. Such an entry
runs on compose only, where there are several replicas.
"""

import random
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from playground.core.paths import REPO_ROOT
from playground.teaching.drills import Expectation

INCIDENTS_DIR = REPO_ROOT / "docs" / "incidents"
CATALOGUE_FILE = INCIDENTS_DIR / "incidents.yaml"

Difficulty = Literal["easy", "medium", "hard"]
DIFFICULTIES: tuple[Difficulty, ...] = get_args(Difficulty)
# What can be broken: one model, one handler, one status class, one replica, or nothing in
# particular (everything, or the monitoring itself).
DimensionKind = Literal["model", "handler", "status_class", "replica", "none"]
DIMENSION_KINDS: tuple[DimensionKind, ...] = get_args(DimensionKind)
Cause = Literal[
    "errors", "latency", "rate_limits", "saturation", "cost", "monitoring", "cardinality"
]
CAUSES: tuple[Cause, ...] = get_args(Cause)
# The Prometheus label that carries each kind of dimension on demo_app's series.
DIMENSION_LABELS: dict[DimensionKind, str] = {
    "model": "model",
    "handler": "handler",
    "status_class": "status",
    "replica": "instance",
}
Target = Literal["native", "compose"]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40)]
# Where an entry names the replica the game chooses when it starts (see the docstring).
CHOSEN_REPLICA = "$chosen_replica"


class ChosenReplica(BaseModel):
    """The replica a game broke: its name (DEMO_APP_REPLICA, what a fault state names) and
    its `instance` label (what Prometheus shows, so what the learner answers)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    replica: Text
    instance: Text

    def answers(self) -> tuple[str, ...]:
        """Every way a learner may name it: the instance, its host alone, or the name."""
        host = self.instance.rsplit(":", 1)[0] if ":" in self.instance else self.instance
        return tuple(dict.fromkeys((self.instance, host, self.replica)))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dimension(_Strict):
    """Where the failure is: a kind and, except for ``none``, the value (a model's name...)."""

    kind: DimensionKind
    value: str | None = None

    @model_validator(mode="after")
    def _value_matches_kind(self) -> "Dimension":
        if (self.kind == "none") != (self.value is None):
            raise ValueError("a value is required for every kind but 'none', and only then")
        return self

    def __str__(self) -> str:
        return "none" if self.value is None else f"{self.kind} {self.value}"


class Diagnosis(_Strict):
    dimension: Dimension
    cause: Cause


class Announcement(_Strict):
    """How the incident shows itself: the alerts that should fire, or a customer report.

    Args:
        alerts: Alert names; the page is the first notification of one of them.
        customer_report: For incidents no alert catches: what a customer (or a colleague)
            says, printed as the page ``report_after_seconds`` after the fault starts.
        quiet_alerts: Alerts that must NOT fire while it runs (they would point elsewhere).
    """

    alerts: tuple[Text, ...] = ()
    customer_report: Text | None = None
    report_after_seconds: float = Field(default=60.0, gt=0, le=600)
    quiet_alerts: tuple[Text, ...] = ()

    @model_validator(mode="after")
    def _one_way(self) -> "Announcement":
        if bool(self.alerts) == bool(self.customer_report):
            raise ValueError("give either alerts or a customer_report, not both or neither")
        if set(self.alerts) & set(self.quiet_alerts):
            raise ValueError("an alert cannot be both expected and quiet")
        return self


class Evidence(_Strict):
    """A query that proves the diagnosis on live data.

    Args:
        title: What it shows.
        expr: PromQL, with the realistic profile's windows.
        top: Labels the highest sample must carry (it points at the failing dimension).
        expect: Or the shape every sample takes (``> 0.5``...), as in the drills.
    """

    title: Text
    expr: Text
    top: dict[str, str] | None = None
    expect: str | None = None

    @model_validator(mode="after")
    def _one_check(self) -> "Evidence":
        if (self.top is None) == (self.expect is None):
            raise ValueError("give either `top` or `expect`")
        if self.expect is not None:
            Expectation(self.expect)  # raises on an unknown shape
        return self


class Lesson(_Strict):
    title: Text
    # A path from the repository root (docs/drills/..., docs/labs/...); a test checks it.
    link: Text


class Debrief(_Strict):
    strong_answer: Text
    lessons: tuple[Lesson, ...] = Field(min_length=1)


class Incident(_Strict):
    """One entry of the catalogue."""

    name: Name
    title: Text
    difficulty: Difficulty
    # A demo_app fault state (FaultState's fields); the game adds `hidden: true`.
    fault: dict[str, Any]
    announce: Announcement
    diagnosis: Diagnosis
    hints: tuple[Text, ...] = Field(min_length=2, max_length=3)
    evidence: tuple[Evidence, ...] = Field(min_length=1)
    debrief: Debrief
    targets: tuple[Target, ...] = ("native", "compose")

    @property
    def chooses_replica(self) -> bool:
        """Whether the game picks the replica to break when it starts (CHOSEN_REPLICA)."""
        return self.diagnosis.dimension.value == CHOSEN_REPLICA

    def resolved(self, chosen: ChosenReplica | None) -> "Incident":
        """This entry with CHOSEN_REPLICA replaced by the chosen replica (unchanged without).

        Raises:
            ValueError: The entry chooses a replica and none is given.
        """
        if not self.chooses_replica:
            return self
        if chosen is None:
            raise ValueError(f"{self.name} breaks a replica the game chooses; none was chosen")
        label = DIMENSION_LABELS["replica"]
        evidence = tuple(
            e
            if not e.top or e.top.get(label) != CHOSEN_REPLICA
            else e.model_copy(update={"top": {**e.top, label: chosen.instance}})
            for e in self.evidence
        )
        dimension = Dimension(kind="replica", value=chosen.instance)
        return self.model_copy(
            update={
                "fault": {**self.fault, "replicas": [chosen.replica]},
                "diagnosis": self.diagnosis.model_copy(update={"dimension": dimension}),
                "evidence": evidence,
            }
        )

    @model_validator(mode="after")
    def _a_chosen_replica_is_named_where_it_can_be(self) -> "Incident":
        replicas = self.fault.get("replicas") or []
        dimension = self.diagnosis.dimension
        if replicas and list(replicas) != [CHOSEN_REPLICA]:
            raise ValueError(
                f"fault.replicas: the catalogue cannot know replica names; write "
                f"[{CHOSEN_REPLICA!r}] and the game picks one when it starts"
            )
        if bool(replicas) != self.chooses_replica:
            raise ValueError(
                f"fault.replicas [{CHOSEN_REPLICA!r}] and the diagnosis "
                f"{{kind: replica, value: {CHOSEN_REPLICA!r}}} go together"
            )
        if self.chooses_replica and dimension.kind != "replica":
            raise ValueError(f"{CHOSEN_REPLICA!r} is a value of the `replica` dimension only")
        if self.chooses_replica and self.targets != ("compose",):
            raise ValueError(
                "a replica of several exists on compose only: give `targets: [compose]`"
            )
        if dimension.kind == "replica" and not self.chooses_replica:
            raise ValueError(f"a replica's name is not known in advance: write {CHOSEN_REPLICA!r}")
        return self

    @model_validator(mode="after")
    def _evidence_points_at_the_dimension(self) -> "Incident":
        if "hidden" in self.fault:
            raise ValueError("fault: leave `hidden` out; the game sets it")
        dimension = self.diagnosis.dimension
        if dimension.kind == "none":
            return self
        label = DIMENSION_LABELS[dimension.kind]
        if not any((e.top or {}).get(label) == dimension.value for e in self.evidence):
            raise ValueError(
                f"evidence: no query's `top` names {label}={dimension.value!r}, "
                "so nothing proves the failing dimension"
            )
        return self


class Catalogue(_Strict):
    incidents: tuple[Incident, ...] = Field(min_length=12)

    @model_validator(mode="after")
    def _names_are_unique(self) -> "Catalogue":
        names = [incident.name for incident in self.incidents]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"duplicate incident names: {duplicates}")
        return self

    def by_name(self) -> dict[str, Incident]:
        return {incident.name: incident for incident in self.incidents}


def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Read and validate the catalogue (pydantic's ValidationError says what is wrong)."""
    return Catalogue.model_validate(yaml.safe_load(path.read_text()))


def choose(
    catalogue: Catalogue,
    seed: int,
    name: str | None = None,
    difficulty: Difficulty | None = None,
    target: Target = "native",
) -> Incident:
    """The incident to play: the one named, or a seeded random pick among those that fit.

    Raises:
        KeyError: No incident has that name.
        LookupError: No incident fits the difficulty and the target.
    """
    if name is not None:
        return catalogue.by_name()[name]
    fitting = [
        incident
        for incident in catalogue.incidents
        if target in incident.targets and difficulty in (None, incident.difficulty)
    ]
    if not fitting:
        raise LookupError(f"no incident is {difficulty or 'any difficulty'} on {target}")
    return random.Random(seed).choice(fitting)
