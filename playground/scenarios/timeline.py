"""An alert's lifecycle, as seen by polling: snapshots in, transitions out.

Each poll of Prometheus (/api/v1/alerts and /api/v1/rules), Alertmanager (/api/v2/alerts)
and the alert receiver (/api/notifications) becomes a Snapshot. TimelineTracker compares it
with the previous one and emits a Transition for each change:

    pending            the alert's expression holds; `for` is running      (Prometheus)
    firing             it has held for `for`                                (Prometheus)
    in Alertmanager    Prometheus sent it; Alertmanager holds it            (Alertmanager)
    notified           the receiver got a `firing` notification with it      (receiver)
    resolved           the expression stopped holding                       (Prometheus)
    resolved notified  the receiver got a `resolved` notification with it    (receiver)

Times: a Prometheus state changes only at a rule evaluation, so a change is dated with the
evaluation that caused it (the rule's ``lastEvaluation``) when that falls between two polls;
otherwise with the poll that saw it. Notifications carry the receiver's own arrival time.
Alertmanager's `in Alertmanager` is dated with the poll (one poll interval of uncertainty).

This module is pure: no HTTP, no clock. runner.py builds the snapshots.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from playground.scenarios.lifecycle import LIFECYCLE, Kind

# An alert's identity: its full label set (alertname included), as Prometheus, Alertmanager
# and the webhook payload all spell it.
AlertKey = frozenset[tuple[str, str]]


# activeAt is the evaluation's aligned timestamp, lastEvaluation the wall clock when it ran:
# they differ by milliseconds. Closer than this, they are the same evaluation.
_SAME_EVALUATION = 1.0


def alert_key(labels: Mapping[str, str]) -> AlertKey:
    """The identity of an alert from its labels."""
    return frozenset(labels.items())


def alert_name(key: AlertKey) -> str:
    return dict(key).get("alertname", "?")


def describe(key: AlertKey) -> str:
    """`HighErrorRate{job="demo_app"}`: the name and the labels that tell instances apart."""
    labels = dict(key)
    name = labels.pop("alertname", "?")
    # severity is the same for every instance of a rule; leave it out to keep lines short.
    labels.pop("severity", None)
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}" if inner else name


def parse_time(text: str) -> float:
    """Epoch seconds of an RFC 3339 time as the APIs write it (nanoseconds are cut)."""
    text = text.replace("Z", "+00:00")
    head, sep, tail = text.partition(".")
    if sep:
        digits = "".join(c for c in tail if c.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6]}{zone}"
    return datetime.fromisoformat(text).timestamp()


@dataclass(frozen=True)
class NotifiedAlert:
    key: AlertKey
    status: str


@dataclass(frozen=True)
class Notification:
    """One webhook notification as the receiver kept it."""

    id: int
    received_at: float
    status: str
    alerts: tuple[NotifiedAlert, ...]

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> "Notification":
        return cls(
            id=int(item["id"]),
            received_at=parse_time(item["received_at"]),
            status=item.get("status", "?"),
            alerts=tuple(
                NotifiedAlert(alert_key(a.get("labels", {})), a.get("status", "?"))
                for a in item.get("alerts", [])
            ),
        )


@dataclass(frozen=True)
class Snapshot:
    """What one poll saw.

    Args:
        at: Epoch seconds of the poll.
        prometheus: State (`pending` or `firing`) of each active alert in Prometheus.
        active_since: Prometheus's ``activeAt`` of each active alert (epoch seconds).
        evaluated_at: The latest ``lastEvaluation`` of the rules of each alert name.
        alertmanager: The alerts Alertmanager holds, with their state (active, suppressed).
        notifications: Notifications received so far (any order; old ones are skipped).
    """

    at: float
    prometheus: Mapping[AlertKey, str] = field(default_factory=dict)
    active_since: Mapping[AlertKey, float] = field(default_factory=dict)
    evaluated_at: Mapping[str, float] = field(default_factory=dict)
    alertmanager: Mapping[AlertKey, str] = field(default_factory=dict)
    notifications: tuple[Notification, ...] = ()

    @classmethod
    def from_api(
        cls,
        at: float,
        prometheus_alerts: Iterable[Mapping[str, Any]],
        rule_groups: Iterable[Mapping[str, Any]],
        alertmanager_alerts: Iterable[Mapping[str, Any]],
        notifications: Iterable[Mapping[str, Any]],
    ) -> "Snapshot":
        """A snapshot from the APIs' JSON, as the clients in playground.core.clients return it."""
        states: dict[AlertKey, str] = {}
        since: dict[AlertKey, float] = {}
        for alert in prometheus_alerts:
            key = alert_key(alert["labels"])
            states[key] = alert["state"]
            if alert.get("activeAt"):
                since[key] = parse_time(alert["activeAt"])
        evaluated: dict[str, float] = {}
        for group in rule_groups:
            for rule in group.get("rules", []):
                stamp = rule.get("lastEvaluation")
                if rule.get("type") == "alerting" and stamp and not stamp.startswith("0001"):
                    name = rule["name"]
                    evaluated[name] = max(evaluated.get(name, 0.0), parse_time(stamp))
        held = {
            alert_key(alert["labels"]): alert.get("status", {}).get("state", "active")
            for alert in alertmanager_alerts
        }
        kept = tuple(Notification.from_api(item) for item in notifications)
        return cls(at, states, since, evaluated, held, kept)


@dataclass(frozen=True)
class Transition:
    """One change in one alert's lifecycle."""

    key: AlertKey
    kind: Kind
    at: float
    source: str

    @property
    def alertname(self) -> str:
        return alert_name(self.key)


def state_intervals(
    transitions: Iterable[Transition], end: float
) -> dict[str, list[tuple[float, float, str]]]:
    """Per alert name, the stretches it was pending and firing: (start, stop, state).

    A stretch still open at ``end`` stops there. Instances of one alert name are merged
    in order of time, so overlapping instances give overlapping stretches.
    """
    stretches: dict[str, list[tuple[float, float, str]]] = {}
    open_since: dict[tuple[AlertKey, str], float] = {}

    def close(key: AlertKey, state: str, at: float) -> None:
        if (started := open_since.pop((key, state), None)) is not None:
            stretches.setdefault(alert_name(key), []).append((started, max(at, started), state))

    for transition in sorted(transitions, key=lambda t: t.at):
        key, at = transition.key, transition.at
        if transition.kind is Kind.PENDING:
            open_since.setdefault((key, "pending"), at)
        elif transition.kind is Kind.FIRING:
            close(key, "pending", at)
            open_since.setdefault((key, "firing"), at)
        elif transition.kind is Kind.RESOLVED:
            close(key, "pending", at)
            close(key, "firing", at)
    for key, state in list(open_since):
        close(key, state, end)
    return stretches


def episode_keys(
    transitions: Iterable[Transition],
    preexisting: Iterable[AlertKey],
    name: str,
    recovering: bool,
) -> set[AlertKey]:
    """The instances of one alert whose lifecycle a run is about.

    For a run that starts an incident, the instances that went pending or firing during it
    (a late notification about an older instance is not this run's). For a run that only
    recovers, the instances active when it began.
    """
    if recovering:
        return {key for key in preexisting if alert_name(key) == name}
    return {
        t.key for t in transitions if t.alertname == name and t.kind in (Kind.PENDING, Kind.FIRING)
    }


def episode_transitions(
    transitions: Iterable[Transition],
    preexisting: Iterable[AlertKey],
    name: str,
    recovering: bool,
) -> list[Transition]:
    """This run's transitions of one alert, oldest first (see episode_keys for which
    instances).

    For a run that starts an incident, each instance's transitions from its first pending
    or firing on: an instance still active from an earlier fault (the same labels, as
    DemoAppFaultActive{instance} has on a replica) may resolve during the warmup and then
    fire again for this run, and that first resolution is not this run's.
    """
    ordered = sorted(transitions, key=lambda t: t.at)
    keys = episode_keys(ordered, preexisting, name, recovering)
    if recovering:
        return [t for t in ordered if t.key in keys]
    starts: dict[AlertKey, float] = {}
    for t in ordered:
        if t.key in keys and t.kind in (Kind.PENDING, Kind.FIRING):
            starts.setdefault(t.key, t.at)
    return [t for t in ordered if t.key in starts and t.at >= starts[t.key]]


class TimelineTracker:
    """Turns successive snapshots into transitions.

    Alerts already active in the first snapshot are remembered as such (``preexisting``):
    their later transitions are still reported, but a timeline that began before the run
    says nothing about this run's fault. Notifications already in the first snapshot are
    ignored.

    Args:
        first: The snapshot taken before the scenario changed anything.
    """

    def __init__(self, first: Snapshot) -> None:
        self._previous = first
        self._seen_notifications = {n.id for n in first.notifications}
        self.preexisting: dict[AlertKey, str] = {
            **{key: "Alertmanager" for key in first.alertmanager},
            **{key: state for key, state in first.prometheus.items()},
        }
        self.transitions: list[Transition] = []
        # Kinds already emitted in each alert's current episode (cleared when it starts over).
        self._emitted: dict[AlertKey, set[Kind]] = {}

    def update(self, snapshot: Snapshot) -> list[Transition]:
        """The transitions between the previous snapshot and this one, oldest first."""
        found: list[Transition] = []
        found += self._prometheus_changes(snapshot)
        found += self._alertmanager_changes(snapshot)
        found += self._notification_changes(snapshot)
        found.sort(key=lambda t: (t.at, LIFECYCLE.index(t.kind)))
        self.transitions += found
        self._previous = snapshot
        return found

    def first(self, key_or_name: AlertKey | str, kind: Kind) -> Transition | None:
        """The first transition of this kind, for one alert or any alert of one name."""
        for transition in self.transitions:
            wanted = (
                transition.alertname == key_or_name
                if isinstance(key_or_name, str)
                else transition.key == key_or_name
            )
            if wanted and transition.kind is kind:
                return transition
        return None

    def _emit(self, key: AlertKey, kind: Kind, at: float, source: str) -> list[Transition]:
        emitted = self._emitted.setdefault(key, set())
        if kind in (Kind.PENDING, Kind.FIRING) and Kind.RESOLVED in emitted:
            # It comes back: a new episode.
            emitted.clear()
        if kind in emitted:
            return []
        emitted.add(kind)
        return [Transition(key, kind, at, source)]

    def _evaluation_time(self, key: AlertKey, snapshot: Snapshot) -> tuple[float, str]:
        # The evaluation that changed the state, if it happened since the previous poll.
        evaluated = snapshot.evaluated_at.get(alert_name(key))
        if evaluated is not None and self._previous.at < evaluated <= snapshot.at:
            return evaluated, "rule evaluation"
        return snapshot.at, "poll"

    def _prometheus_changes(self, snapshot: Snapshot) -> list[Transition]:
        found = []
        before = self._previous.prometheus
        for key, state in snapshot.prometheus.items():
            was = before.get(key)
            if state == was:
                continue
            since = snapshot.active_since.get(key)
            if state == "pending":
                # activeAt is the evaluation at which the expression first held: exact.
                if since is not None:
                    found += self._emit(key, Kind.PENDING, since, "Prometheus (activeAt)")
                else:
                    at, how = self._evaluation_time(key, snapshot)
                    found += self._emit(key, Kind.PENDING, at, f"Prometheus ({how})")
            elif state == "firing":
                at, how = self._evaluation_time(key, snapshot)
                if was is None and since is not None and since < at - _SAME_EVALUATION:
                    # Pending and firing both happened between two polls. With `for: 0`
                    # activeAt is the firing evaluation itself and there was no pending.
                    found += self._emit(key, Kind.PENDING, since, "Prometheus (activeAt)")
                found += self._emit(key, Kind.FIRING, at, f"Prometheus ({how})")
        for key, was in before.items():
            if key not in snapshot.prometheus:
                at, how = self._evaluation_time(key, snapshot)
                note = "" if was == "firing" else ", was pending, never fired"
                found += self._emit(key, Kind.RESOLVED, at, f"Prometheus ({how}{note})")
        return found

    def _alertmanager_changes(self, snapshot: Snapshot) -> list[Transition]:
        found = []
        for key, state in snapshot.alertmanager.items():
            if key not in self._previous.alertmanager:
                found += self._emit(
                    key, Kind.IN_ALERTMANAGER, snapshot.at, f"Alertmanager ({state}, poll)"
                )
        return found

    def _notification_changes(self, snapshot: Snapshot) -> list[Transition]:
        found = []
        for notification in sorted(snapshot.notifications, key=lambda n: n.id):
            if notification.id in self._seen_notifications:
                continue
            self._seen_notifications.add(notification.id)
            for alert in notification.alerts:
                kind = Kind.NOTIFIED if alert.status == "firing" else Kind.RESOLVED_NOTIFIED
                source = f"receiver (notification #{notification.id})"
                found += self._emit(alert.key, kind, notification.received_at, source)
        return found
