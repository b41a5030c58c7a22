"""DEMO_APP_WORKERS=2: real uvicorn workers in prometheus-client's multiprocess mode.

One scrape reports the total of both workers, a fault set through one worker reaches the
other, and a killed worker's in-progress gauge is dropped when uvicorn replaces it.
"""

import contextlib
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from prometheus_client.multiprocess import MultiProcessCollector

from tests.support.demo_app import ADMIN_HEADERS, ADMIN_TOKEN, Server, poll

CUSTOMER = "/api/v1/customers/{customer_id}"
BATCH = 20


def _start(start_server, directory: Path, **variables: str) -> Server:
    return start_server(
        DEMO_APP_WORKERS="2",
        DEMO_APP_MULTIPROC_DIR=str(directory),
        DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN,
        **variables,
    )


def _per_worker(directory: Path, kind: str, name: str, **labels: str) -> dict[int, float]:
    """One metric's value in each worker's own file (``counter_<pid>.db``...)."""
    values = {}
    for path in directory.glob(f"{kind}_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        for family in MultiProcessCollector.merge([str(path)], accumulate=True):
            for sample in family.samples:
                if sample.name == name and labels.items() <= sample.labels.items():
                    values[pid] = values.get(pid, 0.0) + sample.value
    return values


def _requests_per_worker(directory: Path, status: str) -> dict[int, float]:
    return _per_worker(
        directory, "counter", "http_requests_total", handler=CUSTOMER, method="GET", status=status
    )


def _batch(server: Server, count: int = BATCH) -> list[int]:
    """Concurrent requests, each on a new connection, so that both workers accept some."""

    def one(number: int) -> int:
        return httpx.get(f"{server.url}/api/v1/customers/cus_{number:05d}", timeout=10).status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(1, count + 1)))


def _until_both_workers_served(server: Server, directory: Path, status: str) -> int:
    """Send batches until two workers have answered; return how many requests were sent."""
    sent = 0

    def both_served() -> bool:
        nonlocal sent
        statuses = _batch(server)
        sent += len(statuses)
        assert set(statuses) == {int(status)}, statuses
        return len([n for n in _requests_per_worker(directory, status).values() if n]) >= 2

    poll(both_served, 20, f"both workers to serve a {status}")
    return sent


def test_one_scrape_reports_the_requests_of_both_workers(start_server, tmp_path: Path) -> None:
    server = _start(start_server, tmp_path)
    sent = _until_both_workers_served(server, tmp_path, "200")
    per_worker = _requests_per_worker(tmp_path, "200")
    assert sum(per_worker.values()) == sent
    # Whichever worker answers the scrape, it reports the total.
    for _ in range(6):
        labels = (("handler", CUSTOMER), ("method", "GET"), ("status", "200"))
        assert server.metrics()[("http_requests_total", labels)] == sent


def test_a_fault_set_through_one_worker_reaches_both(start_server, tmp_path: Path) -> None:
    server = _start(start_server, tmp_path)
    fault = {"http_error_ratio": {CUSTOMER: 1.0}}
    response = httpx.put(f"{server.url}/admin/faults", json=fault, headers=ADMIN_HEADERS)
    assert response.status_code == 200
    _until_both_workers_served(server, tmp_path, "500")
    for _ in range(4):
        gauge = server.metrics()[("demo_app_fault_http_error_ratio", (("route", CUSTOMER),))]
        assert gauge == 1.0

    assert httpx.delete(f"{server.url}/admin/faults", headers=ADMIN_HEADERS).status_code == 200
    assert set(_batch(server)) == {200}


def test_a_killed_workers_in_progress_gauge_is_dropped(start_server, tmp_path: Path) -> None:
    # At 1/10 of real time, 100 s of injected latency hold a request for 10 s per LLM call.
    server = _start(start_server, tmp_path, DEMO_APP_LLM_LATENCY_SCALE="0.1")
    slow = {"llm_extra_latency_seconds": 100}
    assert httpx.put(f"{server.url}/admin/faults", json=slow, headers=ADMIN_HEADERS).is_success

    def hang() -> None:
        with contextlib.suppress(httpx.TransportError):  # its worker is killed under it
            httpx.post(f"{server.url}/api/v1/messages", json={"message": "hi"}, timeout=30)

    threading.Thread(target=hang, daemon=True).start()

    def busy_worker() -> int | None:
        gauges = _per_worker(tmp_path, "gauge_livesum", "http_requests_inprogress")
        return next((pid for pid, value in gauges.items() if value == 1), None)

    pid = poll(busy_worker, 10, "a worker with a request in progress")
    assert server.metrics()[("http_requests_inprogress", ())] == 1
    os.kill(pid, signal.SIGKILL)

    def gauge_back_to_zero() -> bool:
        try:
            return server.metrics()[("http_requests_inprogress", ())] == 0
        except (httpx.TransportError, AssertionError):
            return False

    poll(gauge_back_to_zero, 20, "uvicorn to replace the worker and drop its gauge")
    assert f"Child process [{pid}] died" in server.log()
    assert not list(tmp_path.glob(f"gauge_live*_{pid}.db"))


def test_the_temporary_multiproc_dir_is_removed_at_exit(start_server) -> None:
    server = start_server(DEMO_APP_WORKERS="2")
    directory = Path(server.log().split("multiprocess directory ")[1].split()[0])
    assert list(directory.glob("counter_*.db"))
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=15) == 0
    assert not directory.exists()
