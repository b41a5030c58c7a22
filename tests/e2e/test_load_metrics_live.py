"""Locust's metrics in the native stack's Prometheus, during a real distributed Locust run.

A Locust master with two workers (the runner's LocustRun, as `playground scenario --workers
2` starts them) runs the baseline shape against the shared native stack's demo_app, serving
its metrics on the stack's LOCUST_METRICS_PORT, where the rendered prometheus.yml's `locust`
job scrapes it. While it runs, Prometheus must hold every Locust series, with both workers
and the scenario phase, and every query of the Load test dashboard must return data. After
it ends, the client's final count of a route must equal demo_app's, through Prometheus.
"""

import dataclasses
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from loadtest.scenarios import SCENARIOS, STEADY_USERS, PhaseLengths
from playground.configs.rule_profiles import live_profile
from playground.core.polling import wait_until
from playground.native.stack import NativeStack
from playground.scenarios.locust_run import LocustRun
from playground.scenarios.plan import RunOptions
from playground.scenarios.runner import ScenarioRunner
from playground.teaching.drills import load_drills, run_query
from tests.support.scenarios import target_of

pytestmark = pytest.mark.e2e

RUN_SECONDS = 45
REPORT_RUN_SECONDS = 30
WORKERS = 2
# The background traffic (tests/e2e/conftest.py) never streams, so this route's requests on
# the shared stack are all Locust's: the two counts can be compared exactly.
STREAM = "/api/v1/messages/stream"
LOCUST_SERIES = (
    "locust_requests_total",
    "locust_request_failures_total",
    "locust_request_duration_seconds_bucket",
    "locust_users",
    "locust_workers",
    "locust_scenario_phase",
)
DASHBOARD = "playground-load-test"


@dataclass
class Run:
    locust: LocustRun
    stream_before: float
    scrape_seconds: float


def server_count(stack: NativeStack, handler: str) -> float:
    """demo_app's own http_requests_total for one handler, read from its /metrics."""
    text = httpx.get(f"{stack.urls.demo_app}/metrics", timeout=5, trust_env=False).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("http_requests_total{") and f'handler="{handler}"' in line
    )


@pytest.fixture(scope="module")
def run(native_stack: NativeStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    scrape = 5.0
    folder: Path = tmp_path_factory.mktemp("locust-metrics")
    locust = LocustRun(
        folder,
        "baseline",
        PhaseLengths(steady=RUN_SECONDS),
        native_stack.urls.demo_app,
        native_stack.settings.ALERT_PROFILE,
        workers=WORKERS,
        metrics_port=native_stack.settings.LOCUST_METRICS_PORT,
        # Two scrapes after the end: Prometheus surely reads the final totals.
        metrics_linger_seconds=2 * scrape + 1,
    )
    before = server_count(native_stack, STREAM)
    locust.start()
    try:
        locust.wait_for_shape()
        yield Run(locust, before, scrape)
    finally:
        locust.stop()


def test_prometheus_scrapes_locusts_series_with_both_workers_and_the_phase(
    native_stack: NativeStack, run: Run
) -> None:
    prometheus = native_stack.prometheus

    def complete() -> bool:
        present = {
            name for name in LOCUST_SERIES if prometheus.query(f'count({name}{{job="locust"}}) > 0')
        }
        workers = prometheus.query('locust_workers{job="locust"}')
        phase = prometheus.query(
            'locust_scenario_phase{job="locust", scenario="baseline", phase="steady"} == 1'
        )
        users = prometheus.query('sum(locust_users{job="locust"})')
        return (
            present == set(LOCUST_SERIES)
            and bool(workers and float(workers[0]["value"][1]) == WORKERS)
            and bool(phase)
            and bool(users and float(users[0]["value"][1]) == STEADY_USERS)
        )

    assert wait_until(complete, 40, 1.0), native_stack.diagnostics()


def test_every_load_test_dashboard_query_returns_data_while_locust_runs(
    native_stack: NativeStack, run: Run
) -> None:
    from tests.e2e.test_dashboards_live import Check, LivePrometheus, checks_for

    prometheus = LivePrometheus(native_stack.urls.prometheus)
    try:
        # The panels only: the Faults annotation is the same expression on every dashboard
        # (tests/grafana checks), shown with faults on by test_dashboards_live.py.
        pending: list[Check] = [
            check
            for check in checks_for(prometheus, time.time(), only={DASHBOARD})
            if "/ annotation " not in check.name
        ]
        deadline = time.monotonic() + 40
        while pending and time.monotonic() < deadline and run.locust.is_running():
            now = time.time()
            pending = [c for c in pending if not c.passes(prometheus.run(c, now))]
            if pending:
                time.sleep(1.0)
    finally:
        prometheus.close()
    report = "\n".join(f"- {c.name}: {c.outcome}\n    {c.expr}" for c in pending)
    assert not pending, f"{len(pending)} queries showed nothing:\n{report}"


def test_the_drills_load_queries_return_the_shape_their_answer_describes(
    native_stack: NativeStack, run: Run
) -> None:
    queries = [q for d in load_drills().values() for q in d.queries if q.needs == "load"]
    assert queries, "no drill query needs load"
    profile = live_profile(native_stack.prometheus)
    deadline = time.monotonic() + 40
    while True:
        results = [run_query(native_stack.prometheus, q, profile) for q in queries]
        if all(r.matches for r in results) or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    failed = [f"- {r.query.title}: {r.expr}: {r.why}" for r in results if not r.matches]
    assert not failed, "\n".join(failed)


def test_after_the_run_the_clients_count_equals_the_servers_through_prometheus(
    native_stack: NativeStack, run: Run
) -> None:
    locust = run.locust
    deadline = RUN_SECONDS + 60
    assert wait_until(lambda: not locust.is_running(), deadline, 1.0), locust.master.log_excerpt()
    # demo_app's counter for the route is still now; let Prometheus scrape it once more.
    time.sleep(run.scrape_seconds + 1)
    prometheus = native_stack.prometheus
    client = prometheus.query(
        f'sum(last_over_time(locust_requests_total{{job="locust", name="{STREAM}"}}[2m]))'
    )
    server = prometheus.query(f'sum(http_requests_total{{job="demo_app", handler="{STREAM}"}})')
    assert client and server, native_stack.diagnostics()
    client_count = float(client[0]["value"][1])
    server_count_now = float(server[0]["value"][1]) - run.stream_before
    # Locust's stop timeout (5 s) lets every user finish its stream, so they should be
    # equal; a stream cut off at the stop is counted by demo_app only, one per user at most.
    assert not math.isnan(client_count) and client_count >= RUN_SECONDS / 2, client_count
    assert 0 <= server_count_now - client_count <= STEADY_USERS, (client_count, server_count_now)


@pytest.mark.timeout(300)
def test_the_scenario_report_shows_the_clients_numbers_beside_the_servers(
    native_stack: NativeStack, run: Run, tmp_path: Path
) -> None:
    # After the module's own Locust has gone: the runner's serves on the same port.
    assert wait_until(lambda: not run.locust.is_running(), RUN_SECONDS + 60, 1.0)
    target = dataclasses.replace(
        target_of(native_stack), locust_metrics_port=native_stack.settings.LOCUST_METRICS_PORT
    )
    runner = ScenarioRunner(
        SCENARIOS["baseline"],
        target,
        RunOptions(duration=REPORT_RUN_SECONDS, results_root=tmp_path),
        say=lambda _line: None,
    )
    result = runner.run()
    report = json.loads((result.folder / "report.json").read_text())
    rows = {(r["method"], r["route"]): r for r in report["client_vs_server"]}
    lookups = rows["GET", "/api/v1/customers/{customer_id}"]
    # Both ends have every number for the lookups; the server counts the background
    # traffic's lookups too, so it has at least Locust's (less a scrape's worth at the edges).
    for side in ("client", "server"):
        for key in ("requests", "failures", "p50_ms", "p95_ms", "p99_ms"):
            assert lookups[side][key] is not None, (side, key, lookups)
    assert lookups["server"]["requests"] >= 0.8 * lookups["client"]["requests"], lookups
    # timeline.png gains Locust's lines (not checked pixel by pixel: that it was drawn).
    assert (result.folder / "timeline.png").stat().st_size > 0
    markdown = (result.folder / "report.md").read_text()
    assert "## The run from both ends: Locust and demo_app" in markdown
