"""A tiny benchmark against real uvicorn processes: it runs, records and reports.

These check that the harness works, never how fast anything is.
"""

import os
import subprocess
import sys

from bench.report import summary
from bench.run import recorded_customer_requests, run
from demo_app import paths
from playground.core.paths import REPO_ROOT
from tests.support.bench import tiny_options

# The library's default set, which the design notes' configuration exports and demo_app's
# lean set leaves out.
LIBRARY_ONLY = {
    "http_request_duration_highr_seconds",
    "http_request_size_bytes",
    "http_response_size_bytes",
}
SHARED = {"http_requests", "http_request_duration_seconds", "http_requests_inprogress"}


def test_a_tiny_run_measures_every_variant_in_every_round_and_both_scrapes() -> None:
    lines: list[str] = []
    results = run(tiny_options(), say=lines.append)

    assert results.calibration is not None and results.calibration.requests > 0
    assert [(r.round, r.variant) for r in results.runs] == [
        (0, "bare"),
        (0, "demo_app"),
        (0, "design_notes"),
        (1, "bare"),
        (1, "demo_app"),
        (1, "design_notes"),
    ]
    for record in results.runs:
        assert record.requests > 0
        assert record.p99_seconds >= record.p50_seconds > 0
        assert record.server_cpu_seconds >= 0
    assert len(lines) == 1 + 6 + 2

    by_variant = {scrape.variant: scrape for scrape in results.scrapes}
    assert set(by_variant) == {"demo_app", "design_notes"}
    for scrape in by_variant.values():
        assert scrape.requests_served == 51  # 50 + the readiness probe
        assert scrape.size_bytes > 0 and scrape.series > 0
        assert len(scrape.seconds) == 3
        assert scrape.families >= SHARED
    assert not LIBRARY_ONLY & by_variant["demo_app"].families
    assert by_variant["design_notes"].families >= LIBRARY_ONLY

    text = "\n".join(summary(results))
    assert "calibration, trivial Starlette endpoint" in text
    assert "demo_app: requests/s ratio" in text
    assert "design_notes: requests/s ratio" in text
    assert "after 51 requests" in text


def test_the_recorded_count_is_read_from_the_customer_series_only() -> None:
    handler = paths.CUSTOMER
    text = (
        "# TYPE http_requests counter\n"
        f'http_requests_total{{handler="{handler}",method="GET",status="200"}} 42.0\n'
        f'http_requests_total{{handler="{handler}",method="GET",status="404"}} 7.0\n'
        'http_requests_total{handler="/api/v1/messages",method="POST",status="200"} 3.0\n'
    )
    assert recorded_customer_requests(text) == 42.0
    assert recorded_customer_requests("") == 0.0


def test_python_m_bench_runs_pinned_and_prints_the_summary() -> None:
    pinning = [] if {0, 1} <= os.sched_getaffinity(0) else ["--no-pin"]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            *pinning,
            "--variants",
            "bare,demo_app",
            "--rounds",
            "1",
            "--duration",
            "0.3",
            "--warmup",
            "0.1",
            "--connections",
            "2",
            "--no-calibrate",
            "--scrape-requests",
            "20",
            "--scrapes",
            "2",
            "--customers",
            "10",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "machine:" in out and "load average" in out
    if not pinning:
        assert "servers on CPU 0, load generator on CPU 1" in out
    assert "demo_app: requests/s ratio" in out
    assert "demo_app: after 21 requests" in out
