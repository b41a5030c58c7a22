"""Short, bounded Locust runs (headless, the real locustfile) against a real demo_app.

Each run follows a scenario's shape for 10-12 s and stops by itself; the runner's
LocustRun starts it the way `playground scenario` does.
"""

import socket
import time
from pathlib import Path

import pytest

from loadtest.scenarios import PhaseLengths
from playground.scenarios.locust_run import LocustRun
from tests.support.demo_app_process import DemoApp

# A run ends by itself after its phases; this bounds the wait if it does not.
RUN_TIMEOUT_SECONDS = 60.0
UNKNOWN = "/api/v1/customers/{customer_id} (unknown id)"


def run_locust(folder: Path, app: DemoApp, seconds: float, workers: int = 0) -> dict:
    """Run the baseline shape for ``seconds``; Locust's summary (requests per endpoint)."""
    run = LocustRun(folder, "baseline", PhaseLengths(steady=seconds), app.url, "lab", workers)
    run.start()
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while run.is_running() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not run.is_running(), "Locust did not stop after its phases"
        assert run.master.returncode == 0, run.master.log_excerpt()
    finally:
        run.stop()
    return run.summary()


def endpoint(summary: dict, name: str) -> dict:
    return next(e for e in summary["endpoints"] if e["name"] == name)


def test_a_healthy_run_makes_requests_writes_reports_and_fails_almost_nothing(
    tmp_path: Path, healthy_demo_app: DemoApp
) -> None:
    summary = run_locust(tmp_path, healthy_demo_app, seconds=10)
    total = summary["total"]
    # 10 users, one task a second each, for 10 s.
    assert total["requests"] >= 50
    # Only the simulated LLM's own noise fails: ~0.3% of calls, two calls per turn.
    assert total["failures"] <= max(2, 0.03 * total["requests"])
    # Unknown customers answer 404 customer_not_found, which is the expected answer.
    assert endpoint(summary, UNKNOWN)["failures"] == 0
    names = {e["name"] for e in summary["endpoints"]}
    assert {"/api/v1/messages", "/api/v1/messages/stream", UNKNOWN} <= names
    assert "/api/v1/customers/{customer_id}" in names
    assert not any(name in ("/health", "/ready", "/metrics") for name in names)
    for report in ("locust.html", "locust_stats.csv", "locust_stats_history.csv"):
        assert (tmp_path / report).stat().st_size > 0, report
    assert "<html" in (tmp_path / "locust.html").read_text()[:2000].lower()


def test_with_error_storm_on_the_failure_share_is_the_faults(
    tmp_path: Path, healthy_demo_app: DemoApp
) -> None:
    state = healthy_demo_app.admin.apply_preset("error-storm")
    share = state["faults"]["http_error_ratio"]["all"]
    summary = run_locust(tmp_path, healthy_demo_app, seconds=12)
    total = summary["total"]
    assert total["requests"] >= 80
    observed = total["failures"] / total["requests"]
    # A binomial share over ~100 requests: allow 3.5 standard deviations, plus LLM noise.
    spread = 3.5 * (share * (1 - share) / total["requests"]) ** 0.5
    assert abs(observed - share) <= spread + 0.01, (observed, share, total)
    # The fault also hits unknown ids: a 500 where a 404 was expected is a failure.
    unknown = endpoint(summary, UNKNOWN)
    assert unknown["failures"] > 0 or unknown["requests"] < 10


@pytest.mark.timeout(120)
def test_a_distributed_run_with_one_master_and_one_worker_makes_requests(
    tmp_path: Path, healthy_demo_app: DemoApp
) -> None:
    summary = run_locust(tmp_path, healthy_demo_app, seconds=8, workers=1)
    # The master runs no users: every request came from the worker.
    assert summary["total"]["requests"] >= 30
    assert (tmp_path / "locust.html").stat().st_size > 0
    log = (tmp_path / "locust.log").read_text()
    assert "worker" in log.lower()


def test_a_locust_that_fails_to_start_leaves_a_summary_that_says_so(
    tmp_path: Path, healthy_demo_app: DemoApp
) -> None:
    # Seen in an e2e run: two tests' Locust masters on one metrics port. The second exited
    # at once, after creating its CSV files, and the report then failed on the empty stats.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        run = LocustRun(
            tmp_path,
            "baseline",
            PhaseLengths(steady=10),
            healthy_demo_app.url,
            "lab",
            metrics_port=taken.getsockname()[1],
        )
        run.start()
        try:
            deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
            while run.is_running() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert run.master.returncode not in (None, 0), run.master.log_excerpt()
        finally:
            run.stop()
    assert (tmp_path / "locust_stats.csv").exists()
    assert run.summary() == {"available": False}
