"""bench/loadgen.py: response framing, and exact request counts against a real uvicorn."""

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import BenchError
from bench.loadgen import (
    ProtocolError,
    build_requests,
    fetch,
    new_event_loop,
    run_load,
    split_response,
)
from bench.run import customer_paths, free_port
from bench.server import HOST, ServerProcess, process_cpu_seconds, start_server
from tests.support.bench import tiny_options

OK = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello"


def test_a_complete_response_is_split_off_with_its_status_and_body() -> None:
    assert split_response(OK) == (200, b"hello", b"")
    assert split_response(OK + b"HTTP/1.1") == (200, b"hello", b"HTTP/1.1")


def test_an_incomplete_response_waits_for_more_bytes() -> None:
    for cut in (10, OK.index(b"\r\n\r\n") + 2, len(OK) - 1):
        assert split_response(OK[:cut]) is None


def test_the_content_length_header_is_found_in_any_case_and_position() -> None:
    response = b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nServer: x\r\n\r\n{}"
    assert split_response(response) == (404, b"{}", b"")


def test_a_response_without_content_length_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="content-length"):
        split_response(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello")


def test_requests_are_keep_alive_gets_with_a_host_header() -> None:
    assert build_requests(["/a", "/b"], "127.0.0.1", 8080) == [
        b"GET /a HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
        b"GET /b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
    ]


def test_process_cpu_seconds_grows_while_a_process_works() -> None:
    before = process_cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    assert process_cpu_seconds(os.getpid()) > before


@pytest.fixture
def bare_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_server("bare", free_port(), None, tmp_path, customer_paths(1)[0])
    yield server
    server.stop()


def test_a_limited_run_sends_exactly_that_many_requests_over_all_connections(
    bare_server: ServerProcess,
) -> None:
    requests = build_requests(customer_paths(7), HOST, bare_server.port)
    loop = new_event_loop()
    try:
        result = loop.run_until_complete(
            run_load(HOST, bare_server.port, requests, connections=3, limit=101)
        )
    finally:
        loop.close()
    assert result.requests == result.total_requests == 101
    assert result.statuses == {200: 101}
    assert all(latency > 0 for latency in result.latencies)


def test_a_timed_run_measures_only_after_the_warmup(bare_server: ServerProcess) -> None:
    requests = build_requests(customer_paths(7), HOST, bare_server.port)
    edges: list[str] = []
    loop = new_event_loop()
    try:
        result = loop.run_until_complete(
            run_load(
                HOST,
                bare_server.port,
                requests,
                connections=2,
                duration=0.3,
                warmup=0.2,
                on_window=edges.append,
            )
        )
    finally:
        loop.close()
    assert edges == ["start", "stop"]
    assert result.seconds == pytest.approx(0.3, abs=0.1)
    assert 0 < result.requests < result.total_requests


def test_a_server_answering_errors_stops_the_benchmark(bare_server: ServerProcess) -> None:
    # cus_99999 does not exist: every lookup is a 404, and a benchmark of 404s is wrong.
    from bench.run import measure_run

    missing = build_requests(["/api/v1/customers/cus_99999"], HOST, bare_server.port)
    with pytest.raises(BenchError, match="404"):
        measure_run(bare_server, missing, tiny_options(), 0)


def test_fetch_reads_whole_responses_on_one_connection(bare_server: ServerProcess) -> None:
    answers = list(fetch(HOST, bare_server.port, customer_paths(1)[0], 3))
    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert all(body.startswith(b"{") and seconds > 0 for _, body, seconds in answers)
