"""``python -m demo_app`` as a real uvicorn process, scraped over HTTP; and its multiprocess
directory preparation."""

import random
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from demo_app.__main__ import FAULTS_FILE_NAME, prepare_multiproc_dir
from playground.core.paths import REPO_ROOT
from tests.support.demo_app import Server, scrape

CUSTOMER = "/api/v1/customers/{customer_id}"


def test_the_server_serves_the_api_and_its_metrics_over_http(start_server) -> None:
    server: Server = start_server()
    with httpx.Client(base_url=server.url, timeout=10) as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/api/v1/customers/cus_00007").status_code == 200
        assert client.get("/api/v1/customers/cus_77777").status_code == 404
        turn = client.post("/api/v1/messages", json={"message": "refund please"})
        assert turn.json()["intent"] == "refund"
        with client.stream("POST", "/api/v1/messages/stream", json={"message": "hi"}) as stream:
            lines = [line for line in stream.iter_lines() if line.startswith("event: ")]
        assert lines[0] == "event: intent" and lines[-1] == "event: done"
        metrics = scrape(client.get("/metrics").text)

    def value(name: str, **labels: str) -> float:
        return metrics[(name, tuple(sorted(labels.items())))]

    assert value("http_requests_total", handler=CUSTOMER, method="GET", status="200") == 1
    assert value("http_requests_total", handler=CUSTOMER, method="GET", status="404") == 1
    stream_labels = {"handler": "/api/v1/messages/stream", "method": "POST"}
    assert value("http_request_duration_seconds_count", **stream_labels) == 1
    assert value("http_request_duration_seconds_bucket", le="0.5", **stream_labels) == 1
    assert value("http_requests_inprogress") == 0
    assert value("llm_call_duration_seconds_count", model="llama-3.1-8b-instant") == 4
    assert value("llm_hourly_budget_usd") > 0
    assert value("demo_app_fault_preset_active", preset="healthy") == 1
    handlers = {dict(labels).get("handler") for _, labels in metrics}
    assert not handlers & {"/health", "/metrics", "/ready"}


def test_an_unset_admin_token_is_generated_and_logged_once(start_server) -> None:
    server: Server = start_server()
    tokens = re.findall(r"the admin token of this run is (\S+)", server.log())
    assert len(tokens) == 1
    headers = {"Authorization": f"Bearer {tokens[0]}"}
    assert httpx.get(f"{server.url}/admin/faults", headers=headers).status_code == 200
    assert httpx.get(f"{server.url}/admin/faults").status_code == 401


def test_it_listens_on_loopback_by_default(start_server) -> None:
    server: Server = start_server()
    assert f"Uvicorn running on {server.url}" in server.log()
    assert server.url.startswith("http://127.0.0.1:")


def test_trailing_slash_ids_over_real_http_add_no_series(start_server) -> None:
    server: Server = start_server()
    rng = random.Random(6)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        client.get("/api/v1/customers/cus_00001")
        before = set(scrape(client.get("/metrics").text))
        for _ in range(1000):
            response = client.get(f"/api/v1/customers/cus_{rng.randint(1, 10**6):05d}/")
            assert response.status_code == 404
        after = set(scrape(client.get("/metrics").text))
    assert after == before


def _raw_request(server: Server, request: bytes) -> bytes:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(request)
        return connection.recv(4096)


def test_invented_methods_over_real_http_add_no_series(start_server) -> None:
    server: Server = start_server()
    before = set(server.metrics())
    for method in ("BREW", "FOO", "G3T", "DELETEX", "LIST"):
        answer = _raw_request(
            server, f"{method} /api/v1/customers/cus_00001 HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        )
        assert answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 405")), answer[:40]
    assert set(server.metrics()) == before


def test_the_entrypoint_imports_no_prometheus_client_before_choosing_the_mode() -> None:
    check = "import sys, demo_app.__main__; print('prometheus_client' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", check], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_preparing_the_multiproc_dir_deletes_only_our_files(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    for name in ("counter_12.db", "gauge_livesum_12.db", FAULTS_FILE_NAME, "notes.txt"):
        (directory / name).write_text("old")
    assert prepare_multiproc_dir(directory) == (directory, False)
    assert [path.name for path in directory.iterdir()] == ["notes.txt"]


def test_the_multiproc_dir_is_created_or_made_temporary(tmp_path: Path) -> None:
    created, is_temporary = prepare_multiproc_dir(tmp_path / "a" / "b")
    assert created.is_dir() and not is_temporary
    temporary, is_temporary = prepare_multiproc_dir(None)
    assert temporary.is_dir() and is_temporary
    temporary.rmdir()
