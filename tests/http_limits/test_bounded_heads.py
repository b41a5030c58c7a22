"""Request heads are bounded on demo_app and alert_receiver (issue 11's row "one request
with a 100 MB header"): over 16 KiB or over 100 fields gets a JSON 431 at once, a flood is
cut off after a few reads, and /health stays fast while four floods run. What the server
answers before the app runs (431, 400) is JSON in the app's own error shape."""

import json
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

import httpx

from http_limits import MAX_HEAD_BYTES, MAX_HEADER_FIELDS
from playground.core.paths import REPO_ROOT
from tests.support.floods import FLOOD_BYTES
from tests.support.procfs import rss_bytes

FLOODS = 4
FLOOD_SECONDS = 4.0
FLOOD_WARMUP_SECONDS = 0.5
QUIET_SECONDS = 2.0
HEALTH_LIMIT_SECONDS = 0.100
HEALTH_STALL_SECONDS = 0.5


def _exchange(port: int, head: bytes, timeout: float = 5.0) -> tuple[int, dict[str, Any]]:
    """Send a raw head, read the answer until the server closes; (status, JSON body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body)


def _head(fields: int, value_bytes: int = 1, terminated: bool = True) -> bytes:
    # "Host" is one of the fields, as a client always sends it.
    lines = [b"GET /health HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [b"X-F%d: %s" % (i, b"a" * value_bytes) for i in range(fields - 1)]
    return b"\r\n".join(lines) + (b"\r\n\r\n" if terminated else b"")


def test_a_head_within_both_limits_is_served(server: Any) -> None:
    head = _head(MAX_HEADER_FIELDS - 1, terminated=False) + b"\r\nConnection: close\r\n\r\n"

    status, body = _exchange(server.port, head)

    assert status == 200, body


def test_one_field_over_the_limit_gets_a_json_431(server: Any) -> None:
    head = _head(MAX_HEADER_FIELDS, terminated=False) + b"\r\nConnection: close\r\n\r\n"

    status, body = _exchange(server.port, head)

    assert status == 431
    assert str(MAX_HEADER_FIELDS) in body[server.part.error_field]


def test_a_head_over_16_kib_gets_a_json_431_before_it_ends(server: Any) -> None:
    # Never terminated: the answer must come from the byte count, not from the parser.
    head = _head(2, value_bytes=MAX_HEAD_BYTES + 1, terminated=False)
    started = time.monotonic()

    status, body = _exchange(server.port, head)

    assert status == 431
    assert str(MAX_HEAD_BYTES) in body[server.part.error_field]
    assert time.monotonic() - started < 2


def test_a_request_the_parser_refuses_gets_a_json_400(server: Any) -> None:
    status, body = _exchange(server.port, b"GET /health HTTP/1.1\r\nBad Header\r\n\r\n")

    assert status == 400
    assert body[server.part.error_field] == "Invalid HTTP request received."


def test_four_100_mb_header_floods_are_cut_off_and_health_stays_fast(server: Any) -> None:
    pid = server.process.pid
    rss_before = rss_bytes(pid)
    # Floods from processes of their own, so that they do not slow this one's client.
    command = [sys.executable, "-m", "tests.support.floods", str(server.port)]
    with httpx.Client(base_url=server.url, trust_env=False, timeout=5) as client:
        # The same measure without floods, in the same run: what this machine costs now.
        quiet, _ = _health_timings(client, time.monotonic() + QUIET_SECONDS, pid)
        until = time.monotonic() + FLOOD_SECONDS
        floods = [
            subprocess.Popen([*command, str(FLOOD_SECONDS)], cwd=REPO_ROOT, stdout=subprocess.PIPE)
            for _ in range(FLOODS)
        ]
        # Measured once the floods run, not while four interpreters are starting.
        time.sleep(FLOOD_WARMUP_SECONDS)
        timings, peak_rss = _health_timings(client, until, pid)
    sent = []
    for process in floods:
        out, _ = process.communicate(timeout=FLOOD_SECONDS + 30)
        sent += [int(line) for line in out.split()]

    # Every connection was cut long before its 100 MB (the kernel's socket buffers take a
    # few MB before the client notices), so many connections were made.
    assert len(sent) > FLOODS, sent
    assert max(sent) < FLOOD_BYTES / 4, sent
    assert peak_rss - rss_before < 50 * 1024 * 1024, (rss_before, peak_rss)
    # Half the answers under 100 ms, nine in ten under 100 ms more than without floods, and
    # none near a stall (before the fix: 4.3 s, past the scrape timeout). Not every one under
    # 100 ms: on this shared 2-core machine one request can lose its core to other work for
    # longer than the floods ever cost, with or without them.
    assert statistics.median(timings) < HEALTH_LIMIT_SECONDS, (timings, quiet)
    assert _p90(timings) < _p90(quiet) + HEALTH_LIMIT_SECONDS, (timings, quiet)
    assert max(timings) < HEALTH_STALL_SECONDS, (timings, quiet)


def _health_timings(client: httpx.Client, until: float, pid: int) -> tuple[list[float], int]:
    """/health's answer times until the deadline, and the server's peak RSS meanwhile."""
    timings = []
    peak_rss = 0
    while time.monotonic() < until:
        started = time.perf_counter()
        assert client.get("/health").status_code == 200
        timings.append(time.perf_counter() - started)
        peak_rss = max(peak_rss, rss_bytes(pid))
        time.sleep(0.05)
    return timings, peak_rss


def _p90(timings: list[float]) -> float:
    return statistics.quantiles(timings, n=10)[-1]
