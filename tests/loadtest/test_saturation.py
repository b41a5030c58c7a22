"""Under saturation the load tester's p95 is far above the server's, and an open model shows
what a closed one hides. Real processes: demo_app (one uvicorn worker), Locust headless with
loadtest/saturation.py, both histograms read from their own /metrics pages.

What one worker serves is fixed first, as docs/labs/06-several-workers.md (section 3) does:
the fault ``event_loop_block_seconds`` makes every API request hold the event loop for
LOOKUP_COST_SECONDS, as that much CPU work would. So the worker serves at most
1 / LOOKUP_COST_SECONDS lookups a second, less its own overhead, on a fast laptop or a busy
CI machine alike, and Locust, which sends them for far less, can always outrun it. (Without
it, a cheap lookup on an idle machine is served about as fast as one Locust process sends
it, and the open model could not offer more than demo_app serves.)

The load is still chosen from a measurement, not guessed: a short closed-loop run with a few
users finds how many lookups a second demo_app gives right now, and the heavy run's users
are sized from it so that, by Little's law, each request should spend at least
QUEUE_TARGET_SECONDS queued.

Slow (about a minute): behind the `saturation` marker, run by `make test-saturation` (CI runs
it beside the other slow suites), not by `make test`.
"""

import contextlib
import itertools
import json
import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from playground.core.paths import REPO_ROOT
from tests.support.client_server import (
    CLIENT_LATENCY,
    SERVER_LATENCY,
    buckets,
    histogram_quantile,
    minus,
    scrape,
    start_locust,
)
from tests.support.demo_app_process import DemoApp

pytestmark = [pytest.mark.saturation, pytest.mark.timeout(300)]

ROUTE = "/api/v1/customers/{customer_id}"
# The lab's page, whose fault (every API request holds the event loop for a fixed time) and
# numbers this test runs and proves.
LAB_PAGE = REPO_ROOT / "docs" / "labs" / "06-several-workers.md"


def lab_fault() -> dict[str, float]:
    """The fault state section 3 of the lab sets with `playground faults set --json`."""
    found = re.findall(r"playground faults set --json '(\{.*?\})'", LAB_PAGE.read_text())
    assert len(found) == 1, f"{LAB_PAGE} should set one fault state: {found}"
    return json.loads(found[0])


LOOKUP_COST_SECONDS = lab_fault()["event_loop_block_seconds"]
# The measuring run: a few users, long enough to count what demo_app serves.
PROBE_USERS, PROBE_SECONDS = 4, 8
HEAVY_SECONDS = 12
# How often both ends are sampled while Locust runs.
SAMPLE_SECONDS = 0.25
# Users sized so that N / throughput (Little's law: the time each request takes, nearly all
# of it queued) is at least this, and at least MIN_HEAVY_USERS.
QUEUE_TARGET_SECONDS = 0.2
MIN_HEAVY_USERS, MAX_HEAVY_USERS = 40, 300
# The claims, with margin: the heavy run's client p95 is more than GAP_FACTOR times the
# server's and more than GAP_SECONDS above it (measured: ~50x and ~450 ms).
GAP_FACTOR, GAP_SECONDS = 3.0, 0.05
# Little's law for the closed run: the client's mean response time is users / throughput,
# within this share (measured: within 12%; ramp-up and the stop blur the edges).
LITTLE_TOLERANCE = 0.3
# Open arrivals at this multiple of the heavy run's throughput: more than demo_app serves,
# so the queue grows for as long as the run lasts instead of being capped by a user count.
OPEN_RATE_FACTOR = 1.3
OPEN_SECONDS = 15
# A closed run's answers take about as long in its last third as in its first (measured:
# within 25%).
STEADY_FACTOR = 1.5
# demo_app's in-progress gauge is read at least this often during the heavy run, or its peak
# proves nothing. Its /metrics waits in the queue too, more than once: the instrumentator's
# handler is a plain def, which FastAPI runs on a thread, and the event loop must get round
# to the request, then to the thread's answer (measured: 1 to 2 s a page, 5 or 6 pages).
MIN_IN_FLIGHT_SAMPLES = 3
# The open run's answers get slower as its queue grows: the mean response time of the
# lookups answered in the last third of the run is more than this multiple of the first
# third's (measured: 2.4).
SLOWDOWN_FACTOR = 1.6


@dataclass
class Run:
    users: int
    seconds: float
    throughput: float
    client_p95: float
    client_mean: float  # mean response time of every lookup answered
    client_means: tuple[float, float, float]  # mean response time answered in each third
    server_p95: float
    server_waiting: float  # demo_app sockets holding an unread request, mean of samples
    client_waiting: float  # Locust sockets holding an unread response
    in_flight_peak: float  # the most http_requests_inprogress demo_app reported
    in_flight_samples: int  # how many of demo_app's /metrics pages were read
    failures: float
    unanswered: int  # still waiting for an answer when the run stopped (open model)

    def __str__(self) -> str:
        means = ", ".join(f"{mean * 1000:.0f}" for mean in self.client_means)
        return (
            f"{self.users} users: {self.throughput:.0f}/s, client p95 "
            f"{self.client_p95 * 1000:.0f} ms, mean {self.client_mean * 1000:.0f} ms "
            f"(by thirds of the run {means} ms), "
            f"server p95 {self.server_p95 * 1000:.0f} ms, "
            f"unread requests at demo_app {self.server_waiting:.1f}, "
            f"unread responses at Locust {self.client_waiting:.1f}, "
            f"in flight inside demo_app at most {self.in_flight_peak:.0f} "
            f"({self.in_flight_samples} pages), "
            f"{self.failures:.0f} failed, {self.unanswered} unanswered at the stop"
        )


def client_totals(page: list) -> tuple[float, float]:
    """The sum and the count of Locust's response-time histogram for the route, on one page."""
    found = {
        s.name: s.value
        for s in page
        if s.name in (f"{CLIENT_LATENCY}_sum", f"{CLIENT_LATENCY}_count")
        and s.labels["name"] == ROUTE
    }
    return found.get(f"{CLIENT_LATENCY}_sum", 0.0), found.get(f"{CLIENT_LATENCY}_count", 0.0)


def mean_by_thirds(pages: list[tuple[float, list]], seconds: float) -> tuple[float, float, float]:
    """The client's mean response time of the lookups answered in each third of the run.

    ``pages`` are (seconds since the start, Locust's /metrics) in order, and ``seconds`` the
    run's length; a third's mean is the growth of the histogram's sum over the growth of its
    count between the pages read at its start and its end (the last third: the final page).
    """
    cuts = [pages[0][1]]
    for fraction in (1 / 3, 2 / 3):
        cuts.append(next(page for at, page in pages if at >= fraction * seconds))
    cuts.append(pages[-1][1])
    means = []
    for start, stop in itertools.pairwise(cuts):
        (sum0, count0), (sum1, count1) = client_totals(start), client_totals(stop)
        means.append((sum1 - sum0) / max(1.0, count1 - count0))
    return means[0], means[1], means[2]


def socket_queues(port: int) -> tuple[int, int]:
    """(demo_app sockets with unread request bytes, client sockets with unread responses).

    Linux's /proc/net/tcp: field 4 is tx_queue:rx_queue, the bytes the kernel holds for the
    process that owns the socket to read. On demo_app's side (local port = its port) that is
    a request its event loop has not read yet; on the client's side, a response Locust has
    not read yet. Loopback connections appear once from each end.
    """
    server = client = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state = fields[1], fields[2], fields[3]
        if state != "01":  # ESTABLISHED
            continue
        unread = int(fields[4].split(":")[1], 16) > 0
        if int(local.split(":")[1], 16) == port:
            server += unread
        elif int(remote.split(":")[1], 16) == port:
            client += unread
    return server, client


def unanswered(log: str) -> int:
    """The requests Locust's error report counts as unanswered at the stop (saturation.py)."""
    # A row: "340   GET /api/v1/customers/{customer_id}: RuntimeError('unanswered: ..."
    rows = re.findall(r"^\s*(\d+)\s+GET \S+: \w+\(['\"]unanswered:", log, re.MULTILINE)
    return sum(int(count) for count in rows)


@contextlib.contextmanager
def sampling_in_flight(app: DemoApp) -> Iterator[list[float]]:
    """demo_app's http_requests_inprogress, read over and over on a thread of its own until
    the block ends: its /metrics waits in the same queue as the lookups.

    On one kept-alive connection, as Prometheus scrapes: a new connection each time waits
    in the accept queue too, seconds at a time, and the gauge would be read too rarely.
    """
    values: list[float] = []
    done = threading.Event()

    def sample() -> None:
        with httpx.Client(trust_env=False) as client:
            while not done.is_set():
                with contextlib.suppress(httpx.TransportError):
                    page = scrape(app.url, client)
                    values.extend(s.value for s in page if s.name == "http_requests_inprogress")
                done.wait(SAMPLE_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield values
    finally:
        done.set()
        sampler.join()


def run(tmp_path: Path, app: DemoApp, args: list[str], users: int, seconds: float) -> Run:
    """One Locust run; both sides' p95 of the lookups it made, and its socket queues."""
    port = int(app.url.rsplit(":", 1)[1])
    before = scrape(app.url)
    locust = start_locust(
        tmp_path / f"run{time.monotonic_ns()}",
        "saturation.py",
        # Failures (timeouts, arrivals dropped at the in-flight bound, requests unanswered at
        # the stop) are part of the experiment, counted in the report, not a reason for
        # Locust's exit code.
        [
            "--host",
            app.url,
            "-t",
            f"{seconds:g}s",
            "--stop-timeout",
            "2",
            "--exit-code-on-error",
            "0",
            *args,
        ],
    )
    samples = []
    try:
        locust.wait_serving()
        started = time.monotonic()
        pages: list[tuple[float, list]] = []
        with sampling_in_flight(app) as in_flight:
            while locust.master.is_running():
                # Until it stops serving, just before it exits: the last page read is the
                # total of the answered lookups (the unanswered ones: its final report).
                with contextlib.suppress(httpx.TransportError):
                    pages.append((time.monotonic() - started, scrape(locust.metrics_url)))
                samples.append(socket_queues(port))
                time.sleep(SAMPLE_SECONDS)
        assert locust.master.returncode == 0, locust.master.log_excerpt()
    except Exception:
        locust.stop()
        raise
    final = pages[-1][1]
    client = buckets(final, CLIENT_LATENCY, name=ROUTE)
    total, count = client_totals(final)
    server = minus(
        buckets(scrape(app.url), SERVER_LATENCY, handler=ROUTE),
        buckets(before, SERVER_LATENCY, handler=ROUTE),
    )
    return Run(
        users=users,
        seconds=seconds,
        throughput=client[math.inf] / seconds,
        client_p95=histogram_quantile(0.95, client),
        client_mean=total / max(1.0, count),
        client_means=mean_by_thirds(pages, seconds),
        server_p95=histogram_quantile(0.95, server),
        server_waiting=sum(s for s, _ in samples) / max(1, len(samples)),
        client_waiting=sum(c for _, c in samples) / max(1, len(samples)),
        in_flight_peak=max(in_flight, default=math.nan),
        in_flight_samples=len(in_flight),
        failures=sum(s.value for s in final if s.name == "locust_request_failures_total"),
        unanswered=unanswered(locust.master.log_path.read_text()),
    )


def closed(tmp_path: Path, app: DemoApp, users: int, seconds: float) -> Run:
    args = ["ClosedLoopCustomer", "-u", str(users), "-r", str(users)]
    return run(tmp_path, app, args, users, seconds)


def test_past_saturation_the_clients_p95_exceeds_the_servers_and_an_open_model_shows_more(
    tmp_path: Path, healthy_demo_app: DemoApp
) -> None:
    healthy_demo_app.admin.set_faults(lab_fault())
    probe = closed(tmp_path, healthy_demo_app, PROBE_USERS, PROBE_SECONDS)
    users = round(probe.throughput * QUEUE_TARGET_SECONDS)
    users = max(MIN_HEAVY_USERS, min(MAX_HEAVY_USERS, users))
    heavy = closed(tmp_path, healthy_demo_app, users, HEAVY_SECONDS)
    report = f"probe: {probe}\nheavy: {heavy}"

    # 0. The worker is saturated at the capacity its fixed cost allows, and no faster.
    assert heavy.throughput < 1 / LOOKUP_COST_SECONDS, report
    assert heavy.throughput < 1.25 * probe.throughput, report
    # 1. The gap: the server's histogram misses the time requests wait for the event loop.
    assert heavy.client_p95 > GAP_FACTOR * heavy.server_p95, report
    assert heavy.client_p95 - heavy.server_p95 > GAP_SECONDS, report
    # ...and it grows with the load...
    assert (heavy.client_p95 - heavy.server_p95) > 2 * (probe.client_p95 - probe.server_p95), report
    # ...as Little's law says: N users at X a second wait N / X each.
    little = heavy.users / heavy.throughput
    assert abs(heavy.client_mean - little) < LITTLE_TOLERANCE * little, report
    # The waiting is at demo_app's end: requests sit unread in its sockets far more often
    # than responses sit unread in Locust's (Locust is not the bottleneck).
    assert heavy.server_waiting > 2 * heavy.client_waiting, report
    # ...and outside demo_app's in-progress gauge, which stays far below the users: the
    # queue is invisible to DemoAppSaturated (more than 50 in flight).
    assert heavy.in_flight_samples >= MIN_IN_FLIGHT_SAMPLES, report
    assert heavy.in_flight_peak < heavy.users / 2, report
    # The closed run's answers take as long at its end as at its start: its queue is capped.
    assert heavy.client_means[2] < STEADY_FACTOR * heavy.client_means[0], report

    # 2. The same requests arriving on their own (open model) at more than the rate the
    # closed test reported: the queue is no longer capped by the user count.
    rate = OPEN_RATE_FACTOR * heavy.throughput
    open_args = ["OpenModelCustomer", "-u", "1", "-r", "1", "--arrival-rate", f"{rate:.0f}"]
    opened = run(tmp_path, healthy_demo_app, open_args, 1, OPEN_SECONDS)
    report += f"\nopen at {rate:.0f}/s: {opened}"
    # The answers get slower and slower while arrivals outrun the worker...
    first, _, last = opened.client_means
    assert last > SLOWDOWN_FACTOR * first, report
    # ...and when the run stops more requests are still unanswered than the closed test
    # ever had outstanding. Locust would time none of them; saturation.py counts them.
    assert opened.unanswered > heavy.users, report
    # The server's histogram still sees only its own few milliseconds.
    assert opened.server_p95 < opened.client_p95 / GAP_FACTOR, report
    print(report)
