"""Lab 6, step 1, for real: two uvicorn workers without PROMETHEUS_MULTIPROC_DIR each answer a
scrape from their own counters, so no scrape reports every request: the totals seen are two
different numbers that add up to the requests sent."""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from playground.core.net import free_port
from playground.core.paths import REPO_ROOT

BATCH = 40
DEADLINE_SECONDS = 30
_CUSTOMER_REQUESTS = re.compile(
    r'^http_requests_total\{handler="/api/v1/customers/\{customer_id\}",method="GET",'
    r'status="200"\} (\S+)$',
    re.MULTILINE,
)


@pytest.fixture
def two_plain_workers(tmp_path: Path) -> Iterator[str]:
    """uvicorn with two workers and the lab's exact command: no multiprocess folder."""
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("DEMO_APP_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    log = (tmp_path / "uvicorn.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "demo_app.main:create_app_from_env",
            "--factory",
            "--workers",
            "2",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while True:
            assert process.poll() is None, (tmp_path / "uvicorn.log").read_text()
            try:
                if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "uvicorn.log").read_text()
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def _scrape_total(url: str) -> float:
    # A new connection per scrape, as each `curl` in the lab: either worker may answer.
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return sum(float(value) for value in _CUSTOMER_REQUESTS.findall(text))


def test_each_scrape_reports_one_workers_requests_only(two_plain_workers: str) -> None:
    url = two_plain_workers
    sent, seen = 0, set()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        with ThreadPoolExecutor(max_workers=BATCH) as pool:
            statuses = list(
                pool.map(
                    lambda _: httpx.get(f"{url}/api/v1/customers/cus_00001", timeout=5).status_code,
                    range(BATCH),
                )
            )
        assert set(statuses) == {200}
        sent += BATCH
        seen = {_scrape_total(url) for _ in range(20)}
        if len(seen) == 2 and min(seen) > 0:
            break
    assert len(seen) == 2, f"{sent} requests sent, scrapes saw only {seen}"
    first, second = sorted(seen)
    assert 0 < first < second < sent
    assert first + second == sent
