"""Helpers for the tests that compare Locust's metrics with demo_app's: real processes only.

Both sides are read from their own /metrics pages with prometheus-client's parser, and
quantiles are interpolated as PromQL's histogram_quantile does, so a test sees what a
dashboard would.
"""

import contextlib
import math
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from playground.core.net import free_port
from playground.core.paths import REPO_ROOT
from playground.core.polling import wait_until
from playground.native.processes import ManagedProcess, stop_processes

SERVER_LATENCY = "http_request_duration_seconds"
CLIENT_LATENCY = "locust_request_duration_seconds"
# How long Locust's master may take to import, start and serve /metrics.
LOCUST_START_SECONDS = 30.0

Key = tuple[str, str]  # (handler, method)


def scrape(url: str, client: httpx.Client | None = None) -> list:
    """Every sample of a /metrics page (on ``client``'s kept-alive connection, if given)."""
    if client is None:
        text = httpx.get(f"{url}/metrics", timeout=5, trust_env=False).text
    else:
        text = client.get(f"{url}/metrics", timeout=5).text
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def handler_of(locust_name: str) -> str:
    """demo_app's handler label for a Locust request name ("/x/{id} (unknown id)" -> "/x/{id}")."""
    return locust_name.split(" (", 1)[0]


def server_requests(samples: list) -> Counter[Key]:
    """demo_app's http_requests_total per (handler, method), every status summed."""
    counts: Counter[Key] = Counter()
    for s in samples:
        if s.name == "http_requests_total":
            counts[s.labels["handler"], s.labels["method"]] += int(s.value)
    return counts


def client_requests(samples: list) -> Counter[Key]:
    """locust_requests_total per (demo_app handler, method)."""
    counts: Counter[Key] = Counter()
    for s in samples:
        if s.name == "locust_requests_total":
            counts[handler_of(s.labels["name"]), s.labels["method"]] += int(s.value)
    return counts


def buckets(samples: list, metric: str, **labels: str) -> dict[float, float]:
    """Cumulative bucket counts (upper bound -> count) of one histogram, matching labels."""
    found: Counter[float] = Counter()
    for s in samples:
        if s.name == f"{metric}_bucket" and all(s.labels.get(k) == v for k, v in labels.items()):
            found[float(s.labels["le"])] += s.value
    return dict(found)


def minus(after: dict[float, float], before: dict[float, float]) -> dict[float, float]:
    return {bound: count - before.get(bound, 0.0) for bound, count in after.items()}


def histogram_quantile(q: float, cumulative: dict[float, float]) -> float:
    """PromQL's histogram_quantile: linear within the bucket, capped at the highest bound."""
    bounds = sorted(cumulative)
    total = cumulative[math.inf]
    if total == 0:
        return math.nan
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = cumulative[bound]
        if count >= rank:
            if bound == math.inf:
                return lower
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


@dataclass
class LocustProcesses:
    """A Locust master (or single process) and its workers, with the master's metrics URL."""

    processes: list[ManagedProcess]
    metrics_url: str

    @property
    def master(self) -> ManagedProcess:
        return self.processes[0]

    def wait_serving(self) -> None:
        def serving() -> bool:
            if not self.master.is_running():
                raise AssertionError(f"Locust exited.\n{self.master.log_excerpt()}")
            try:
                return httpx.get(f"{self.metrics_url}/metrics", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        assert wait_until(serving, LOCUST_START_SECONDS, 0.2), self.master.log_excerpt()

    def wait_exit(self, timeout: float) -> int | None:
        wait_until(lambda: not any(p.is_running() for p in self.processes), timeout, 0.2)
        return self.master.returncode

    def stop(self) -> None:
        stop_processes(self.processes, timeout=10)


def start_locust(
    folder: Path, locustfile: str, args: Sequence[str], workers: int = 0
) -> LocustProcesses:
    """Locust headless on a free metrics port (a master and ``workers`` workers if > 0)."""
    port = free_port()
    common = [sys.executable, "-m", "locust", "-f", str(REPO_ROOT / "loadtest" / locustfile)]
    master = [
        *common,
        "--headless",
        "--only-summary",
        "--metrics-port",
        str(port),
        *args,
    ]
    argvs = [("locust", master)]
    if workers:
        master_port = free_port()
        master += ["--master", "--master-bind-host", "127.0.0.1"]
        master += ["--master-bind-port", str(master_port), "--expect-workers", str(workers)]
        for index in range(workers):
            worker = [*common, "--worker", "--master-host", "127.0.0.1"]
            argvs.append((f"worker{index}", [*worker, "--master-port", str(master_port)]))
    processes = [
        ManagedProcess(
            name,
            argv,
            env={"PYTHONUNBUFFERED": "1"},
            cwd=REPO_ROOT,
            log_path=folder / f"{name}.log",
            record_dir=folder / "pids",
        )
        for name, argv in argvs
    ]
    for process in processes:
        process.start()
    return LocustProcesses(processes, f"http://127.0.0.1:{port}")


def pages_while_running(run: LocustProcesses, seconds: float) -> Iterator[list]:
    """The master's /metrics, every second while it runs (for ``seconds`` at most)."""
    deadline = time.monotonic() + seconds
    while run.master.is_running() and time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            yield scrape(run.metrics_url)
        time.sleep(1.0)
