"""The pure parts of `playground lab verify`: matchers, notifications, worker processes,
scrape totals and the printout. Fakes stand in for /proc and the APIs' JSON."""

import multiprocessing
import os

import pytest

from playground.teaching.labs import (
    Check,
    _total_requests,
    format_checks,
    matcher_matches,
    notified_alerts,
    silence_matches,
    spawned_children,
    worker_pids,
)


def _matcher(name: str, value: str, regex: bool = False, equal: bool = True) -> dict:
    return {"name": name, "value": value, "isRegex": regex, "isEqual": equal}


@pytest.mark.parametrize(
    ("matcher", "labels", "expected"),
    [
        (_matcher("alertname", "HighErrorRate"), {"alertname": "HighErrorRate"}, True),
        (_matcher("alertname", "HighErrorRate"), {"alertname": "HighErrorRateX"}, False),
        # Alertmanager anchors regular expressions at both ends.
        (_matcher("alertname", "High.*", regex=True), {"alertname": "HighErrorRate"}, True),
        (_matcher("alertname", "Error", regex=True), {"alertname": "HighErrorRate"}, False),
        (_matcher("job", "demo_app", equal=False), {"job": "other"}, True),
        (_matcher("job", "demo_app", equal=False), {"job": "demo_app"}, False),
        # A missing label is the empty string.
        (_matcher("instance", "", regex=False), {"alertname": "X"}, True),
        (_matcher("instance", ".+", regex=True, equal=False), {"alertname": "X"}, True),
    ],
)
def test_a_matcher_matches_as_alertmanager_does(
    matcher: dict, labels: dict, expected: bool
) -> None:
    assert matcher_matches(matcher, labels) is expected


def test_a_silence_needs_every_matcher_to_match() -> None:
    silence = {"matchers": [_matcher("alertname", "HighErrorRate"), _matcher("job", "lab7")]}
    assert silence_matches(silence, {"alertname": "HighErrorRate", "job": "lab7", "x": "y"})
    assert not silence_matches(silence, {"alertname": "HighErrorRate", "job": "demo_app"})


def test_notified_alerts_picks_the_alerts_of_each_status() -> None:
    notes = [
        {
            "received_at": "2026-01-01T10:00:00+00:00",
            "alerts": [
                {"status": "firing", "labels": {"alertname": "A"}},
                {"status": "resolved", "labels": {"alertname": "B"}},
            ],
        }
    ]
    firing = notified_alerts(notes)
    assert [(at.hour, labels) for at, labels in firing] == [(10, {"alertname": "A"})]
    assert [labels for _, labels in notified_alerts(notes, "resolved")] == [{"alertname": "B"}]


def test_spawned_children_are_read_from_ps_output() -> None:
    spawn = "python -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5)"
    listing = "\n".join(
        [
            "  100     1 python -m demo_app",
            f"  101   100 {spawn}",
            f"  102   100 {spawn}",
            "  103   100 python -c from multiprocessing.resource_tracker import main",
            f"  200     1 {spawn}",
            " 1100   100",  # no command line shown (a kernel thread): skipped
        ]
    )
    assert spawned_children(100, listing) == [101, 102]
    assert spawned_children(200, listing) == []


def test_worker_pids_finds_a_real_spawned_child_without_proc() -> None:
    # The same `ps` call on Linux and macOS: a real child started by multiprocessing's spawn.
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    child = context.Process(target=stop.wait, args=(30,))
    child.start()
    try:
        assert child.pid in worker_pids(os.getpid())
    finally:
        stop.set()
        child.join(10)


def test_the_scrape_total_adds_every_request_series() -> None:
    text = "\n".join(
        [
            "# TYPE http_requests_total counter",
            'http_requests_total{handler="/a",method="GET",status="200"} 40.0',
            'http_requests_total{handler="/a",method="GET",status="404"} 2.0',
            'http_request_duration_seconds_count{handler="/a",method="GET"} 42.0',
        ]
    )
    assert _total_requests(text) == 42.0


def test_the_printout_says_pass_or_what_is_missing() -> None:
    text = format_checks(
        [Check("it fired", True, "at 10:00"), Check("it resolved", False, "reset the faults")]
    )
    assert text.splitlines() == [
        "PASS  it fired",
        "         at 10:00",
        "MISSING  it resolved",
        "         reset the faults",
    ]
