"""One whole incident game on the live native stack, through the CLI, as a learner plays it.

Start with a seed (it picks error-storm), wait for the page, check that nothing gives the
hidden fault away (admin API, the fault gauges in Prometheus, DemoAppFaultActive), answer
wrong, take a hint, answer right from a second "terminal" (another process), read the grades
and the debrief, stop, and find demo_app's faults reset and visible again.
"""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from playground.core.paths import REPO_ROOT
from playground.core.polling import wait_until
from playground.native.stack import NativeStack, read_admin_token
from playground.scenarios.predictions import offline_alert_config
from playground.teaching.incidents.catalogue import choose, load_catalogue
from tests.support.quiet import quiet_timeout

pytestmark = pytest.mark.e2e

PLAYGROUND = (sys.executable, "-m", "playground")
INCIDENT = "error-storm"
# 10 s of healthy load before the fault: the shared stack's windows are already full.
START_OPTIONS = ("--warmup", "10", "--max-minutes", "10", "--results")
PAGE_TIMEOUT_SECONDS = 240.0
# Alerts an earlier test on the shared stack may have left firing; the game waits them out.
QUIET = ("HighErrorRate", "DemoAppErrorBudgetBurn")
# The whole test: that wait (quiet_timeout of the lab rules), the page, then two minutes
# for the answers, the debrief and the stop.
TEST_TIMEOUT_SECONDS = (
    quiet_timeout(offline_alert_config("lab"), QUIET) + PAGE_TIMEOUT_SECONDS + 120
)


def _seed_for(name: str) -> int:
    catalogue = load_catalogue()
    return next(seed for seed in range(10_000) if choose(catalogue, seed).name == name)


def _env(stack: NativeStack) -> dict[str, str]:
    settings = stack.settings
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ALERT_PROFILE": settings.ALERT_PROFILE,
        "DEMO_APP_PORT": str(settings.DEMO_APP_PORT),
        "ALERT_RECEIVER_PORT": str(settings.ALERT_RECEIVER_PORT),
        "PROMETHEUS_PORT": str(settings.PROMETHEUS_PORT),
        "ALERTMANAGER_PORT": str(settings.ALERTMANAGER_PORT),
        # The stack's own: the default (9646) is shared by every test that leaves it out, and
        # a second Locust master on it exits at once.
        "LOCUST_METRICS_PORT": str(settings.LOCUST_METRICS_PORT),
        "PLAYGROUND_RUN_DIR": str(settings.PLAYGROUND_RUN_DIR),
    }


def _incident(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _playground(env, "incident", *args)


def _playground(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PLAYGROUND, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def _fault_view(stack: NativeStack) -> httpx.Response:
    token = read_admin_token(stack.settings)
    return httpx.get(
        f"{stack.urls.demo_app}/admin/faults",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


@pytest.mark.timeout(TEST_TIMEOUT_SECONDS)
def test_a_whole_game_from_the_seed_to_the_debrief_and_the_reset(
    native_stack: NativeStack,
    wait_until_quiet: Callable[[tuple[str, ...]], None],
    tmp_path: Path,
) -> None:
    wait_until_quiet(QUIET)
    env = _env(native_stack)
    seed = _seed_for(INCIDENT)
    results = tmp_path / "results"
    log_path = tmp_path / "start.log"
    with log_path.open("w") as log:
        start = subprocess.Popen(
            [*PLAYGROUND, "incident", "start", "--seed", str(seed), *START_OPTIONS, str(results)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:

        def output() -> str:
            return log_path.read_text()

        paged = wait_until(lambda: "PAGE" in output(), PAGE_TIMEOUT_SECONDS, 1.0)
        assert paged, f"no page:\n{output()}\n{native_stack.diagnostics()}"
        incident = load_catalogue().by_name()[INCIDENT]
        alerts = incident.announce.alerts
        assert any(f"FIRING  {name}" in output() for name in alerts), output()
        assert INCIDENT not in output(), "the page names the incident"

        # Hidden means hidden, while the fault acts.
        view = _fault_view(native_stack)
        assert view.status_code == 403, view.text
        prometheus = native_stack.prometheus
        assert prometheus.query('demo_app_fault_http_error_ratio{job="demo_app"} > 0') == []
        assert prometheus.query('demo_app_fault_preset_active{preset!="healthy"} == 1') == []
        assert prometheus.query('ALERTS{alertname="DemoAppFaultActive"}') == []
        shown = _playground(env, "faults")
        assert shown.returncode == 1
        assert "hidden while an incident game runs" in shown.stderr

        wrong = _incident(
            env, "answer", "--dimension", "handler", "--value", "/api/v1/messages",
            "--cause", "latency", "--notes", "first guess",
        )  # fmt: skip
        assert wrong.returncode == 1, wrong.stdout + wrong.stderr
        assert "Not solved yet" in wrong.stdout
        assert "dimension: wrong: not a handler problem (+0)" in wrong.stdout
        assert "cause:     wrong: not latency (+0)" in wrong.stdout

        hint = _incident(env, "hint")
        assert hint.returncode == 0, hint.stderr
        assert f"hint 1 of 3 (-10 points each): {incident.hints[0]}" in hint.stdout

        right = _incident(env, "answer", "--dimension", "none", "--cause", "errors")
        assert right.returncode == 0, right.stdout + right.stderr
        out = right.stdout
        # 40 + 40 + 20 (within par) - 10 (one hint) - 5 (one wrong answer)
        assert "grade:     85 / 100 (B)" in out
        assert "Solved. The debrief:" in out
        assert any(f"FIRING   {name}" in out for name in alerts), out
        assert f"**{incident.evidence[0].title}**: shows it" in out
        assert "What a strong answer says" in out
        assert "docs/labs/02-high-error-rate.md" in out

        assert start.wait(timeout=60) == 0, output()
        assert "solved: 85 points (B)" in output()
        assert "faults reset to healthy" in output()
    finally:
        if start.poll() is None:
            start.terminate()
            start.wait(timeout=60)

    stop = _incident(env, "stop")
    assert stop.returncode == 0, stop.stderr
    assert "faults reset to healthy" in stop.stdout
    view = _fault_view(native_stack)
    assert view.status_code == 200
    assert view.json()["active_preset"] == "healthy"

    [attempt] = results.glob("*/attempt.json")
    record = json.loads(attempt.read_text())
    assert record["incident"] == INCIDENT and record["seed"] == seed
    assert record["outcome"] == "solved"
    assert [a["grade"]["solved"] for a in record["answers"]] == [False, True]
    assert record["grade"]["total"] == 85
    assert {e["alertname"] for e in record["timeline"] if e["status"] == "firing"} & set(alerts)
    assert (attempt.parent / "attempt.md").read_text().startswith("# Incident debrief")
    assert INCIDENT not in attempt.parent.name
