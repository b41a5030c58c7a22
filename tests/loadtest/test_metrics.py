"""Locust's metrics for Prometheus (loadtest/metrics.py): the arithmetic, then real runs.

The real runs start Locust headless (the real locustfile, one process or a master with two
workers) against a real demo_app, read the master's /metrics while it runs and after the
load shape ends (``--metrics-linger-seconds`` keeps it serving), and compare the client's
request counts with demo_app's own ``http_requests_total`` for the same routes.
"""

import math
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from demo_app.metrics import HTTP_LATENCY_BUCKETS as SERVER_BUCKETS
from loadtest.histogram import (
    HTTP_LATENCY_BUCKETS,
    MAX_REQUEST_NAMES,
    OTHER_NAMES,
    histogram_buckets,
    totals_by_series,
)
from loadtest.scenarios import STEADY_USERS
from tests.support.client_server import (
    CLIENT_LATENCY,
    buckets,
    client_requests,
    pages_while_running,
    scrape,
    server_requests,
    start_locust,
)
from tests.support.demo_app_process import DemoApp

RUN_SECONDS = 10
# Long enough for the test to read the final numbers after the shape ends.
LINGER_SECONDS = 8


def test_the_client_histogram_has_demo_apps_bounds() -> None:
    assert HTTP_LATENCY_BUCKETS == SERVER_BUCKETS


def test_every_bound_survives_locusts_rounding() -> None:
    # Locust keeps response times rounded to ~2 significant digits. A bound that rounds to
    # itself is a multiple of the step there, so rounding never moves a time across it by
    # more than half a step. Asked of the installed Locust (in a child: importing Locust
    # monkey-patches the process with gevent).
    code = (
        "import sys; from locust.stats import bucket_response_time as r; "
        "print([b for b in map(float, sys.argv[1:]) if r(b * 1000) != b * 1000])"
    )
    bounds = [str(b) for b in HTTP_LATENCY_BUCKETS]
    moved = subprocess.run(
        [sys.executable, "-c", code, *bounds], capture_output=True, text=True, check=True
    )
    assert moved.stdout.strip() == "[]"


def test_rounded_times_fill_cumulative_buckets_with_inf_last() -> None:
    result = dict(histogram_buckets({5: 2, 10: 1, 11: 1, 250: 3, 40_000: 1}))
    assert result["0.01"] == 3  # 5 ms twice and 10 ms: a bound is inclusive (le)
    assert result["0.025"] == 4
    assert result["0.25"] == result["30.0"] == 7
    assert result["+Inf"] == 8  # 40 s is past every bound
    assert list(result) == [*map(str, HTTP_LATENCY_BUCKETS), "+Inf"]


def entry(name: str, requests: int = 1) -> SimpleNamespace:
    return SimpleNamespace(
        name=name,
        method="GET",
        num_requests=requests,
        num_failures=0,
        total_response_time=5.0 * requests,
        response_times={5: requests},
    )


def test_names_past_the_cap_are_summed_and_the_first_seen_keep_their_own_series() -> None:
    names = [f"/n{i}" for i in range(MAX_REQUEST_NAMES + 10)]
    totals = totals_by_series(entry(name) for name in names)
    assert len(totals) == MAX_REQUEST_NAMES + 1
    assert totals["GET", OTHER_NAMES].requests == 10
    # A name that sorts first but arrived last does not push an earlier one out.
    late = totals_by_series(entry(n) for n in [*names, "/a-late-name"])
    assert ("GET", "/n0") in late and late["GET", OTHER_NAMES].requests == 11


def run_baseline(tmp_path: Path, app: DemoApp, workers: int) -> tuple[list[list], list]:
    """A baseline run; every /metrics page read while it ran, and the final one."""
    args = [
        "--config",
        "loadtest/locust.conf",
        "--host",
        app.url,
        "--scenario",
        "baseline",
        "--steady-seconds",
        str(RUN_SECONDS),
        "--metrics-linger-seconds",
        str(LINGER_SECONDS),
    ]
    run = start_locust(tmp_path, "locustfile.py", args, workers=workers)
    try:
        run.wait_serving()
        pages = []
        # Until the shape has ended: the phase series goes away with it.
        for page in pages_while_running(run, RUN_SECONDS + 30):
            pages.append(page)
            if len(pages) > 3 and not any(s.name == "locust_scenario_phase" for s in page):
                break
        final = scrape(run.metrics_url)
        assert run.wait_exit(LINGER_SECONDS + 15) == 0, run.master.log_excerpt()
    finally:
        run.stop()
    return pages, final


def value(page: list, name: str, **labels: str) -> float | None:
    found = [
        s.value
        for s in page
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return sum(found) if found else None


def assert_client_counts_match_the_server(before: dict, after: dict, client: dict) -> None:
    client = {key: n for key, n in client.items() if n}
    server = {key: after[key] - before.get(key, 0) for key in after}
    server = {key: n for key, n in server.items() if n and key[0].startswith("/api/")}
    assert set(client) == set(server), (client, server)
    # Locust's stop timeout (5 s in locust.conf) lets each user finish its request, so the
    # two should agree exactly; a request cut off at the stop is counted by demo_app and not
    # by Locust, one per user at most.
    missing = sum(server[key] - client[key] for key in server)
    assert 0 <= missing <= STEADY_USERS, (client, server)
    assert sum(client.values()) >= 5 * RUN_SECONDS, client


@pytest.mark.timeout(120)
def test_a_local_run_exports_counts_that_match_demo_apps_and_its_users_and_phase(
    tmp_path: Path, healthy_demo_app: DemoApp
) -> None:
    before = server_requests(scrape(healthy_demo_app.url))
    pages, final = run_baseline(tmp_path, healthy_demo_app, workers=0)
    after = server_requests(scrape(healthy_demo_app.url))

    running = [p for p in pages if value(p, "locust_users", user_class="SupportCustomer")]
    assert running, "no page showed a running user"
    assert max(value(p, "locust_users") or 0 for p in pages) == STEADY_USERS
    # The shape's end removes the phase series while the users are still stopping (Locust's
    # stop timeout), so the last running page may carry none: read the last one that does.
    phased = [p for p in running if value(p, "locust_scenario_phase") is not None]
    assert phased, "no page with running users showed the scenario phase"
    assert value(phased[-1], "locust_scenario_phase", scenario="baseline", phase="steady") == 1
    assert value(final, "locust_workers") == 0
    assert value(final, "locust_scenario_phase") is None  # the shape has ended

    assert_client_counts_match_the_server(before, after, client_requests(final))
    # Every request has a response time, so each histogram counts every request.
    for s in final:
        if s.name == "locust_requests_total":
            count = buckets(final, CLIENT_LATENCY, **s.labels)[math.inf]
            assert count == s.value, s.labels


@pytest.mark.timeout(150)
def test_the_masters_metrics_cover_every_worker(tmp_path: Path, healthy_demo_app: DemoApp) -> None:
    before = server_requests(scrape(healthy_demo_app.url))
    pages, final = run_baseline(tmp_path, healthy_demo_app, workers=2)
    after = server_requests(scrape(healthy_demo_app.url))

    assert max(value(p, "locust_workers") or 0 for p in pages) == 2
    assert max(value(p, "locust_users") or 0 for p in pages) == STEADY_USERS
    # The workers' last reports reach the master before it quits: the master's totals are
    # every request both workers made.
    assert_client_counts_match_the_server(before, after, client_requests(final))
