"""TimelineTracker: transitions found in sequences of polled snapshots (no HTTP, no clock)."""

import pytest

from playground.scenarios.timeline import (
    Kind,
    Notification,
    NotifiedAlert,
    Snapshot,
    TimelineTracker,
    Transition,
    alert_key,
    episode_keys,
    episode_transitions,
    parse_time,
    state_intervals,
)

HIGH = alert_key({"alertname": "HighErrorRate", "job": "demo_app", "severity": "critical"})
FAULT = alert_key({"alertname": "DemoAppFaultActive", "preset": "error-storm"})
OLD_FAULT = alert_key({"alertname": "DemoAppFaultActive", "preset": "slow-llm"})
T0 = 1_800_000_000.0


def notification(number: int, at: float, *alerts: tuple[frozenset, str]) -> Notification:
    status = "firing" if any(s == "firing" for _, s in alerts) else "resolved"
    return Notification(number, at, status, tuple(NotifiedAlert(k, s) for k, s in alerts))


def kinds(transitions: list[Transition]) -> list[tuple[str, Kind, float]]:
    return [(t.alertname, t.kind, t.at) for t in transitions]


def test_pending_is_dated_with_prometheus_active_at_not_the_poll() -> None:
    tracker = TimelineTracker(Snapshot(T0))
    found = tracker.update(
        Snapshot(T0 + 10, prometheus={HIGH: "pending"}, active_since={HIGH: T0 + 7.5})
    )
    assert kinds(found) == [("HighErrorRate", Kind.PENDING, T0 + 7.5)]
    assert found[0].source == "Prometheus (activeAt)"


def test_firing_is_dated_with_the_evaluation_between_two_polls() -> None:
    tracker = TimelineTracker(Snapshot(T0))
    tracker.update(Snapshot(T0 + 1, prometheus={HIGH: "pending"}, active_since={HIGH: T0}))
    found = tracker.update(
        Snapshot(
            T0 + 32,
            prometheus={HIGH: "firing"},
            active_since={HIGH: T0},
            evaluated_at={"HighErrorRate": T0 + 30.2},
        )
    )
    assert kinds(found) == [("HighErrorRate", Kind.FIRING, T0 + 30.2)]


def test_an_evaluation_from_before_the_previous_poll_does_not_date_a_change() -> None:
    tracker = TimelineTracker(Snapshot(T0))
    tracker.update(Snapshot(T0 + 1, prometheus={HIGH: "pending"}, active_since={HIGH: T0}))
    found = tracker.update(
        Snapshot(
            T0 + 2,
            prometheus={HIGH: "firing"},
            active_since={HIGH: T0},
            evaluated_at={"HighErrorRate": T0 + 0.5},
        )
    )
    assert kinds(found) == [("HighErrorRate", Kind.FIRING, T0 + 2)]
    assert found[0].source == "Prometheus (poll)"


def test_pending_and_firing_between_two_polls_are_both_reported() -> None:
    tracker = TimelineTracker(Snapshot(T0))
    found = tracker.update(
        Snapshot(
            T0 + 40,
            prometheus={HIGH: "firing"},
            active_since={HIGH: T0 + 5},
            evaluated_at={"HighErrorRate": T0 + 35},
        )
    )
    assert kinds(found) == [
        ("HighErrorRate", Kind.PENDING, T0 + 5),
        ("HighErrorRate", Kind.FIRING, T0 + 35),
    ]


def test_an_alert_without_for_fires_with_no_pending() -> None:
    # activeAt is the aligned evaluation time, lastEvaluation the wall clock: ms apart.
    tracker = TimelineTracker(Snapshot(T0))
    found = tracker.update(
        Snapshot(
            T0 + 3,
            prometheus={FAULT: "firing"},
            active_since={FAULT: T0 + 1.0},
            evaluated_at={"DemoAppFaultActive": T0 + 1.004},
        )
    )
    assert kinds(found) == [("DemoAppFaultActive", Kind.FIRING, T0 + 1.004)]


def test_an_alert_leaving_prometheus_is_resolved() -> None:
    tracker = TimelineTracker(Snapshot(T0, prometheus={HIGH: "firing"}))
    found = tracker.update(Snapshot(T0 + 5, evaluated_at={"HighErrorRate": T0 + 4}))
    assert kinds(found) == [("HighErrorRate", Kind.RESOLVED, T0 + 4)]


def test_a_pending_alert_that_goes_away_is_reported_as_never_fired() -> None:
    tracker = TimelineTracker(Snapshot(T0))
    tracker.update(Snapshot(T0 + 1, prometheus={HIGH: "pending"}, active_since={HIGH: T0}))
    found = tracker.update(Snapshot(T0 + 2))
    assert kinds(found) == [("HighErrorRate", Kind.RESOLVED, T0 + 2)]
    assert "never fired" in found[0].source


def test_alertmanager_and_receiver_transitions_follow_prometheus() -> None:
    tracker = TimelineTracker(Snapshot(T0))
    tracker.update(Snapshot(T0 + 1, prometheus={HIGH: "firing"}, active_since={HIGH: T0}))
    found = tracker.update(
        Snapshot(
            T0 + 2,
            prometheus={HIGH: "firing"},
            alertmanager={HIGH: "active"},
            notifications=(notification(1, T0 + 1.8, (HIGH, "firing")),),
        )
    )
    assert kinds(found) == [
        ("HighErrorRate", Kind.NOTIFIED, T0 + 1.8),
        ("HighErrorRate", Kind.IN_ALERTMANAGER, T0 + 2),
    ]
    assert found[0].source == "receiver (notification #1)"


def test_a_resolved_notification_is_read_per_alert_not_per_notification() -> None:
    # A group notification is `firing` while any alert in it fires; each alert has its own.
    tracker = TimelineTracker(Snapshot(T0))
    both = notification(4, T0 + 3, (FAULT, "firing"), (OLD_FAULT, "resolved"))
    found = tracker.update(Snapshot(T0 + 4, notifications=(both,)))
    assert {(t.key, t.kind) for t in found} == {
        (FAULT, Kind.NOTIFIED),
        (OLD_FAULT, Kind.RESOLVED_NOTIFIED),
    }


def test_notifications_kept_before_the_run_are_ignored() -> None:
    old = notification(7, T0 - 60, (HIGH, "resolved"))
    tracker = TimelineTracker(Snapshot(T0, notifications=(old,)))
    assert tracker.update(Snapshot(T0 + 1, notifications=(old,))) == []


def test_each_transition_is_reported_once_per_episode() -> None:
    tracker = TimelineTracker(Snapshot(T0))
    first = notification(1, T0 + 1, (HIGH, "firing"))
    repeat = notification(2, T0 + 2, (HIGH, "firing"))
    tracker.update(Snapshot(T0 + 1.5, notifications=(first,)))
    assert tracker.update(Snapshot(T0 + 2.5, notifications=(first, repeat))) == []


def test_an_alert_that_comes_back_starts_a_new_episode() -> None:
    tracker = TimelineTracker(Snapshot(T0))
    tracker.update(Snapshot(T0 + 1, prometheus={HIGH: "pending"}, active_since={HIGH: T0}))
    tracker.update(Snapshot(T0 + 2))
    found = tracker.update(
        Snapshot(T0 + 3, prometheus={HIGH: "pending"}, active_since={HIGH: T0 + 2.5})
    )
    assert kinds(found) == [("HighErrorRate", Kind.PENDING, T0 + 2.5)]


def test_alerts_active_before_the_run_are_remembered_as_preexisting() -> None:
    tracker = TimelineTracker(
        Snapshot(T0, prometheus={HIGH: "firing"}, alertmanager={OLD_FAULT: "active"})
    )
    assert tracker.preexisting == {HIGH: "firing", OLD_FAULT: "Alertmanager"}
    assert tracker.transitions == []


def test_episode_keys_leave_out_instances_from_before_the_run() -> None:
    transitions = [
        Transition(OLD_FAULT, Kind.RESOLVED_NOTIFIED, T0 + 1, "receiver"),
        Transition(FAULT, Kind.FIRING, T0 + 2, "Prometheus"),
    ]
    assert episode_keys(transitions, [OLD_FAULT], "DemoAppFaultActive", False) == {FAULT}
    assert episode_keys(transitions, [OLD_FAULT], "DemoAppFaultActive", True) == {OLD_FAULT}


def test_a_resolution_left_over_from_an_earlier_fault_is_not_this_runs() -> None:
    # DemoAppFaultActive on a replica has the same labels in every run: still active from the
    # previous test's fault, it resolves in the warmup, then fires again for this run.
    transitions = [
        Transition(FAULT, Kind.RESOLVED, T0 - 30, "Prometheus"),
        Transition(FAULT, Kind.FIRING, T0 + 4, "Prometheus"),
        Transition(FAULT, Kind.RESOLVED, T0 + 75, "Prometheus"),
    ]
    episode = episode_transitions(transitions, [FAULT], "DemoAppFaultActive", False)
    assert [(t.kind, t.at) for t in episode] == [
        (Kind.FIRING, T0 + 4),
        (Kind.RESOLVED, T0 + 75),
    ]
    # A recovery run is about the instances active when it began, from the start.
    assert episode_transitions(transitions, [FAULT], "DemoAppFaultActive", True) == transitions


def test_state_intervals_shade_pending_then_firing_and_close_at_the_end() -> None:
    transitions = [
        Transition(HIGH, Kind.PENDING, T0 + 5, "p"),
        Transition(HIGH, Kind.FIRING, T0 + 35, "p"),
        Transition(HIGH, Kind.RESOLVED, T0 + 90, "p"),
        Transition(FAULT, Kind.FIRING, T0 + 1, "p"),
    ]
    stretches = state_intervals(transitions, end=T0 + 100)
    assert stretches["HighErrorRate"] == [
        (T0 + 5, T0 + 35, "pending"),
        (T0 + 35, T0 + 90, "firing"),
    ]
    assert stretches["DemoAppFaultActive"] == [(T0 + 1, T0 + 100, "firing")]


def test_snapshot_reads_the_apis_json() -> None:
    labels = {"alertname": "HighErrorRate", "job": "demo_app", "severity": "critical"}
    snapshot = Snapshot.from_api(
        at=T0,
        prometheus_alerts=[
            {"labels": labels, "state": "pending", "activeAt": "2027-01-15T08:00:05.123456789Z"}
        ],
        rule_groups=[
            {
                "rules": [
                    {
                        "type": "alerting",
                        "name": "HighErrorRate",
                        "lastEvaluation": "2027-01-15T08:00:10.5Z",
                    },
                    # A rule that has not been evaluated yet has the zero time.
                    {
                        "type": "alerting",
                        "name": "SlowLLM",
                        "lastEvaluation": "0001-01-01T00:00:00Z",
                    },
                ]
            }
        ],
        alertmanager_alerts=[{"labels": labels, "status": {"state": "active"}}],
        notifications=[
            {
                "id": 3,
                "received_at": "2027-01-15T08:00:20.000001+00:00",
                "status": "firing",
                "alerts": [{"status": "firing", "labels": labels}],
            }
        ],
    )
    key = alert_key(labels)
    assert snapshot.prometheus == {key: "pending"}
    assert snapshot.active_since[key] == parse_time("2027-01-15T08:00:05.123456Z")
    assert snapshot.evaluated_at == {"HighErrorRate": parse_time("2027-01-15T08:00:10.5Z")}
    assert snapshot.alertmanager == {key: "active"}
    assert snapshot.notifications[0].alerts == (NotifiedAlert(key, "firing"),)
    # Nanoseconds are cut to microseconds; both spellings of UTC read the same.
    assert parse_time("2027-01-15T08:00:05.123456789Z") == pytest.approx(T0 + 5.123456)
    assert parse_time("2027-01-15T08:00:20.000001+00:00") == pytest.approx(T0 + 20.000001)
