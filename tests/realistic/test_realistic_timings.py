"""The realistic profile's alert timings, measured live: `make test-realistic` (opt-in, ~35 min).

The lab profile's timings are measured by tests/e2e on every `make test`. The realistic
profile's windows (5m, `for: 5m`, `for: 10m`) make the same check take most of an hour, so it
runs only on demand: one fresh native stack with ALERT_PROFILE=realistic on free loopback
ports, then `playground scenario error-storm` and `playground scenario slow-llm` through the
same runner a learner uses (real Locust, real Prometheus and Alertmanager, the receiver).

Every transition the runner observes (pending, firing, notified, resolved, resolved
notified, for every expected alert) must fall in the window the runner predicts from the
live rules (tolerance +15%, as for the lab). Each run's report, with the observed seconds,
is kept in results/realistic-<date>/ and summarised on stdout; docs/audit.md records the
figures of the last run.
"""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtest.scenarios import SCENARIOS
from playground.core.paths import REPO_ROOT
from playground.native.stack import NativeStack
from playground.scenarios.plan import RunOptions
from playground.scenarios.runner import ScenarioRunner
from tests.support.scenarios import target_of
from tests.support.settings import settings_on_free_ports

pytestmark = pytest.mark.realistic

ORDER = ("pending", "firing", "notified", "resolved", "resolved notified")
# Each scenario's run is bounded by the runner's own plan (predicted windows + 15%); this is
# only the backstop for a hang: error-storm needs ~15 min, slow-llm ~25 min.
RUN_TIMEOUT_SECONDS = 45 * 60
# The runner's polling uncertainty (RunOptions.poll_interval + 0.5 s, scenarios/plan.py).
SLACK_SECONDS = 1.5


@pytest.fixture(scope="module")
def results_root() -> Path:
    folder = REPO_ROOT / "results" / f"realistic-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def realistic_stack(results_root: Path) -> Iterator[NativeStack]:
    settings = settings_on_free_ports(results_root / "run", ALERT_PROFILE="realistic")
    with NativeStack(settings, fresh=True) as stack:
        yield stack


def _run(stack: NativeStack, name: str, results_root: Path) -> dict:
    target = target_of(stack)
    lines: list[str] = []
    runner = ScenarioRunner(
        SCENARIOS[name], target, RunOptions(results_root=results_root), say=lines.append
    )
    result = runner.run()
    report = json.loads((result.folder / "report.json").read_text())
    report["_context"] = "\n".join(lines) + "\n" + stack.diagnostics()
    summary = [
        f"{c['alert']:<22} {c['kind']:<18} observed {c['observed_s']} s, "
        f"predicted {c['earliest_s']}-{c['latest_s']} s: {c['status']}"
        for c in report["checks"]
    ]
    timeline = [
        f"{item['at_s']:>8} s  {item['alert']} {item['kind']} ({item['source']})"
        for item in report["timeline"]
        if item["at_s"] is not None
    ]
    print(
        f"\n{name} ({datetime.now(UTC):%Y-%m-%d}, realistic profile), report in {result.folder}:\n"
        + "\n".join(summary)
        + "\ntimeline (seconds from the fault switch):\n"
        + "\n".join(timeline)
    )
    return report


def _early_allowance(report: dict, check: dict) -> float:
    """Seconds a transition may come before its earliest bound and still count as on time.

    The runner's earliest bound assumes the fault's exact share (30% of requests fail), but
    a few requests a second fail 30% only on average: in the first seconds of a storm the
    window's share wanders, and the onset moves both ways. Late is allowed the runner's
    tolerance (15% of the predicted delay); early is allowed the same share of the onset's
    own earliest delay (pending, or resolved for the recovery side), which every later
    stage inherits.
    """
    side = "resolved" if check["kind"].startswith("resolved") else "pending"
    since = report["recovery_at_s"] if side == "resolved" else 0.0
    same_alert = [c for c in report["checks"] if c["alert"] == check["alert"]]
    onset = next((c for c in same_alert if c["kind"] == side), None) or next(
        c for c in same_alert if c["kind"] == "firing"
    )
    return report["tolerance"] * max(0.0, onset["earliest_s"] - since) + SLACK_SECONDS


def _assert_on_time(report: dict, scenario: str) -> None:
    context = report["_context"]
    assert report["outcome"] == "completed", context
    expected = SCENARIOS[scenario].expected_alerts
    checks = report["checks"]
    # The scenario's subject (HighErrorRate, SlowLLM) has the whole lifecycle; the fault
    # marker has no `for`, so no pending.
    subject = expected[0]
    kinds = [c["kind"] for c in checks if c["alert"] == subject]
    assert [kind for kind in kinds if kind in ORDER] == list(ORDER), (kinds, context)
    for check in checks:
        if check["latest_s"] is None:  # observed, but the runner predicts nothing for it
            continue
        assert check["observed_s"] is not None, f"{check}\n{context}"
        if check["status"] == "early":
            allowed = check["earliest_s"] - _early_allowance(report, check)
            assert check["observed_s"] >= allowed, f"{check} (allowed from {allowed})\n{context}"
            continue
        assert check["status"] == "on time", f"{check}\n{context}"


@pytest.mark.timeout(RUN_TIMEOUT_SECONDS)
def test_realistic_error_storm_transitions_fall_in_their_predicted_windows(
    realistic_stack: NativeStack, results_root: Path
) -> None:
    _assert_on_time(_run(realistic_stack, "error-storm", results_root), "error-storm")


@pytest.mark.timeout(RUN_TIMEOUT_SECONDS)
def test_realistic_slow_llm_transitions_fall_in_their_predicted_windows(
    realistic_stack: NativeStack, results_root: Path
) -> None:
    _assert_on_time(_run(realistic_stack, "slow-llm", results_root), "slow-llm")
