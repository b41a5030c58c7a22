"""HighErrorRate and SlowLLM go pending, firing, reach Alertmanager, notify and resolve.

Each test switches a fault preset on through demo_app's admin API while background traffic
flows, watches every stage the learner would watch (Prometheus /api/v1/alerts, Alertmanager
/api/v2/alerts, the receiver's notifications), then clears the fault and watches the alert
resolve and the `resolved` notification arrive. Each transition's time from its cause is
recorded and compared with the window the configuration allows (playground.scenarios.predictions,
read from the live rules and configs); on a deadline the test fails with a dump of what
Prometheus, Alertmanager and the receiver saw.
"""

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from playground.core.polling import wait_until
from playground.native.stack import NativeStack
from playground.scenarios.lifecycle import Kind
from playground.scenarios.predictions import Incident, alert_config, judge, predict

pytestmark = pytest.mark.e2e

# Where the measured timings go, for the record in prometheus/README.md.
TIMINGS_FILE = Path(__file__).resolve().parents[2] / "results" / "e2e-alert-timings.json"
POLL_SECONDS = 0.5
# The goal: every transition within +15% of the latest time the configuration
# allows. The slack covers this test's own polling (one poll interval, and a poll can take
# up to a second on a loaded 2-core machine).
TOLERANCE = 0.15
SLACK_SECONDS = POLL_SECONDS + 1.0
# Each transition, in order, as playground.scenarios.timeline names it.
TRANSITIONS = {
    "pending": Kind.PENDING,
    "firing": Kind.FIRING,
    "in_alertmanager": Kind.IN_ALERTMANAGER,
    "notified": Kind.NOTIFIED,
    "resolved": Kind.RESOLVED,
    "resolved_notified": Kind.RESOLVED_NOTIFIED,
}


@dataclass
class Observation:
    """One transition, seconds after its cause (the fault switch or the fault clear)."""

    alert: str
    transition: str
    seconds: float
    bound: float | None = None
    verdict: str = ""


class Watcher:
    """Polls the stack until a condition holds, failing with diagnostics on a deadline."""

    def __init__(self, stack: NativeStack, traffic: Any) -> None:
        self.stack = stack
        self.traffic = traffic

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float) -> Any:
        def alive_and_checked() -> Any:
            self.stack.check_alive()  # a part that died fails now, with its log
            return check()

        if result := wait_until(alive_and_checked, timeout, POLL_SECONDS):
            return result
        pytest.fail(
            f"Timed out after {timeout:.0f} s waiting for: {what}\n"
            f"traffic so far: {self.traffic.snapshot()}\n{self.stack.diagnostics()}"
        )

    def prometheus_state(self, alertname: str) -> str | None:
        """'pending', 'firing' or None (inactive) for this alert in Prometheus."""
        states = {
            alert["state"]
            for alert in self.stack.prometheus.alerts()
            if alert["labels"].get("alertname") == alertname
        }
        return "firing" if "firing" in states else ("pending" if states else None)

    def in_alertmanager(self, alertname: str) -> bool:
        return any(
            alert["status"]["state"] == "active"
            for alert in self.stack.alertmanager.alerts(filters=[f'alertname="{alertname}"'])
        )

    def notification(self, alertname: str, status: str, since: dt.datetime) -> dict | None:
        """The first notification with this status that names the alert, since a moment."""
        found = [
            note
            for note in self.stack.receiver.notifications(status=status, since=since)
            if any(a["labels"].get("alertname") == alertname for a in note["alerts"])
        ]
        return min(found, key=lambda note: note["received_at"]) if found else None


def run_lifecycle(
    quiet: Callable[[tuple[str, ...]], None],
    stack: NativeStack,
    traffic: Any,
    *,
    preset: str,
    alertname: str,
    fire_timeout: float,
    resolve_timeout: float,
) -> list[Observation]:
    """Switch the preset on, see the alert through to notified, clear it, see it resolve."""
    watcher = Watcher(stack, traffic)
    observations: list[Observation] = []

    def note(transition: str, since: float) -> None:
        observations.append(Observation(alertname, transition, round(time.time() - since, 1)))

    # Full rate windows of healthy traffic, and the alert quiet, before the fault.
    watcher.wait_for(
        "healthy traffic scraped for a full lab window",
        lambda: stack.prometheus.query(
            'sum(increase(http_requests_total{job="demo_app"}[30s])) > 20'
        ),
        timeout=90,
    )
    quiet(("HighErrorRate", "SlowLLM", alertname))

    switched_at = time.time()
    switched_at_utc = dt.datetime.fromtimestamp(switched_at, dt.UTC)
    faults = stack.demo_app.apply_preset(preset)["faults"]
    try:
        watcher.wait_for(
            f"{alertname} pending or firing in Prometheus",
            lambda: watcher.prometheus_state(alertname),
            timeout=fire_timeout,
        )
        note("pending", switched_at)
        watcher.wait_for(
            f"{alertname} firing in Prometheus",
            lambda: watcher.prometheus_state(alertname) == "firing",
            timeout=fire_timeout,
        )
        note("firing", switched_at)
        watcher.wait_for(
            f"{alertname} active in Alertmanager",
            lambda: watcher.in_alertmanager(alertname),
            timeout=30,
        )
        note("in_alertmanager", switched_at)
        watcher.wait_for(
            f"a firing notification for {alertname} at the receiver",
            lambda: watcher.notification(alertname, "firing", switched_at_utc),
            timeout=60,
        )
        note("notified", switched_at)
    finally:
        cleared_at = time.time()
        stack.demo_app.reset()
    cleared_at_utc = dt.datetime.fromtimestamp(cleared_at, dt.UTC)

    watcher.wait_for(
        f"{alertname} inactive in Prometheus after the fault was cleared",
        lambda: watcher.prometheus_state(alertname) is None,
        timeout=resolve_timeout,
    )
    note("resolved", cleared_at)
    watcher.wait_for(
        f"a resolved notification for {alertname} at the receiver",
        lambda: watcher.notification(alertname, "resolved", cleared_at_utc),
        timeout=90,
    )
    note("resolved_notified", cleared_at)

    incident = Incident(
        history=switched_at - traffic.started_at,
        duration=cleared_at - switched_at,
        http_error_share=float((faults.get("http_error_ratio") or {}).get("all", 0.0)),
        llm_extra_latency=float(faults.get("llm_extra_latency_seconds", 0.0)),
        preset=preset,
    )
    judge_against_predictions(stack, alertname, incident, observations)
    record_timings(observations)
    return observations


def judge_against_predictions(
    stack: NativeStack, alertname: str, incident: Incident, observations: list[Observation]
) -> None:
    """Give each observation its predicted latest time and a verdict, from the live config.

    The prediction reads what the live processes loaded: the rules (/api/v1/rules), the
    scrape interval (Prometheus's config) and group_wait/group_interval (Alertmanager's).
    """
    config = alert_config(
        stack.prometheus.rule_groups(),
        stack.prometheus.config_yaml(),
        stack.alertmanager.config_yaml(),
    )
    rule = config.rule(alertname)
    assert rule is not None, f"no single alerting rule named {alertname}"
    prediction = predict(rule, config.intervals(alertname), incident)
    assert prediction is not None, f"no prediction model for {alertname}"
    for observation in observations:
        window = prediction.windows[TRANSITIONS[observation.transition]]
        # Observations are timed from their cause, windows from the switch; window.since is
        # when the cause happened (0 for the fault switch, the clear for the resolution).
        since_switch = observation.seconds + window.since
        verdict = judge(window, since_switch, since_switch, TOLERANCE, SLACK_SECONDS)
        observation.bound = round(window.latest - window.since, 1)
        observation.verdict = verdict.status


def record_timings(observations: list[Observation]) -> None:
    """Keep the measured timings beside the test results, for the docs' timing table."""
    TIMINGS_FILE.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(TIMINGS_FILE.read_text()) if TIMINGS_FILE.exists() else {}
    for observation in observations:
        existing.setdefault(observation.alert, {})[observation.transition] = observation.seconds
    TIMINGS_FILE.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
    print(json.dumps([asdict(o) for o in observations], indent=2))


def assert_none_late(observations: list[Observation]) -> None:
    """No transition later than its bound + 15%. An early one is noise in a ratio, not a
    failure: the issue's bound is the latest the configuration allows."""
    late = [o for o in observations if o.verdict not in ("on time", "early")]
    assert not late, "later than the configuration allows (+15%):\n" + "\n".join(
        f"  {o.transition}: {o.seconds} s, bound {o.bound} s ({o.verdict})" for o in late
    )


def test_high_error_rate_fires_notifies_and_resolves_within_its_bounds(
    native_stack: NativeStack, traffic, wait_until_quiet
) -> None:
    observations = run_lifecycle(
        wait_until_quiet,
        native_stack,
        traffic,
        preset="error-storm",
        alertname="HighErrorRate",
        fire_timeout=120,
        resolve_timeout=120,
    )
    assert_none_late(observations)


def test_slow_llm_fires_notifies_and_resolves_within_its_bounds(
    native_stack: NativeStack, traffic, wait_until_quiet
) -> None:
    observations = run_lifecycle(
        wait_until_quiet,
        native_stack,
        traffic,
        preset="slow-llm",
        alertname="SlowLLM",
        fire_timeout=180,
        resolve_timeout=150,
    )
    assert_none_late(observations)
