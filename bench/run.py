"""The benchmark itself: start the servers, run the alternated rounds, measure /metrics.

Every number comes from real uvicorn processes over loopback. Besides requests/s and
latency, each run reads the server's CPU time from /proc, so the cost of instrumentation
is also given as CPU per request, which another job on the machine disturbs much less than
throughput.
"""

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bench import BenchError
from bench.loadgen import LoadResult, build_requests, fetch, new_event_loop, run_load
from bench.options import Options
from bench.server import HOST, ServerProcess, pin_to_cpu, start_server
from bench.stats import alternated, percentile
from demo_app import paths
from playground.core.net import free_port

CALIBRATION = "hello"
# A run in which the server had less of its CPU than this was slowed by another process.
BUSY_ENOUGH = 0.95


@dataclass(frozen=True)
class RunRecord:
    """One measured run of one variant."""

    round: int
    variant: str
    requests: int
    seconds: float
    p50_seconds: float
    p99_seconds: float
    server_cpu_seconds: float
    client_cpu_seconds: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def server_cpu_per_request(self) -> float:
        return self.server_cpu_seconds / self.requests

    @property
    def server_busy(self) -> float:
        """Share of the window the server spent on its CPU: about 1 when it is the bottleneck."""
        return self.server_cpu_seconds / self.seconds

    @property
    def client_busy(self) -> float:
        """Share of the window the load generator spent on its CPU."""
        return self.client_cpu_seconds / self.seconds


@dataclass(frozen=True)
class ScrapeRecord:
    """/metrics of one instrumented variant after a known number of requests."""

    variant: str
    requests_served: int
    size_bytes: int
    series: int
    seconds: list[float]
    server_cpu_seconds_per_scrape: float
    # The metric families on /metrics, by name.
    families: frozenset[str] = frozenset()


@dataclass
class Results:
    """Everything one benchmark run measured."""

    options: Options
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    calibration: RunRecord | None = None
    runs: list[RunRecord] = field(default_factory=list)
    scrapes: list[ScrapeRecord] = field(default_factory=list)


def customer_paths(count: int) -> list[str]:
    """The paths of customers cus_00001 .. cus_<count>, all of which exist."""
    return [paths.CUSTOMER.replace("{customer_id}", f"cus_{n:05d}") for n in range(1, count + 1)]


def _load(
    server: ServerProcess,
    requests: Sequence[bytes],
    options: Options,
    *,
    duration: float | None = None,
    limit: int | None = None,
) -> tuple[LoadResult, float]:
    """One run against a server; returns it and the server's CPU seconds in its window."""
    marks: dict[str, float] = {}

    def on_window(edge: str) -> None:
        marks[edge] = server.cpu_seconds()

    loop = new_event_loop()
    try:
        result = loop.run_until_complete(
            run_load(
                HOST,
                server.port,
                requests,
                connections=options.connections,
                duration=duration,
                warmup=options.warmup if duration is not None else 0.0,
                limit=limit,
                on_window=on_window,
            )
        )
    finally:
        loop.close()
    wrong = {status: n for status, n in result.statuses.items() if status != 200}
    if wrong:
        raise BenchError(f"{server.variant} answered {wrong} (status: count), not only 200")
    if not result.latencies:
        raise BenchError(f"{server.variant} completed no request in the window")
    return result, marks["stop"] - marks["start"]


def measure_run(
    server: ServerProcess, requests: Sequence[bytes], options: Options, round_number: int
) -> tuple[RunRecord, int]:
    """One timed run; returns its record and every request the server completed in it."""
    result, server_cpu = _load(server, requests, options, duration=options.duration)
    record = RunRecord(
        round=round_number,
        variant=server.variant,
        requests=result.requests,
        seconds=result.seconds,
        p50_seconds=percentile(result.latencies, 0.50),
        p99_seconds=percentile(result.latencies, 0.99),
        server_cpu_seconds=server_cpu,
        client_cpu_seconds=result.client_cpu_seconds,
    )
    return record, result.total_requests


def recorded_customer_requests(metrics_text: str) -> float:
    """http_requests_total of successful customer lookups, as a /metrics body says."""
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if (
                sample.name == "http_requests_total"
                and sample.labels.get("handler") == paths.CUSTOMER
                and sample.labels.get("method") == "GET"
                and sample.labels.get("status") == "200"
            ):
                return sample.value
    return 0.0


def _scrape_once(server: ServerProcess) -> str:
    status, body, _ = next(fetch(HOST, server.port, paths.METRICS, 1))
    if status != 200:
        raise BenchError(f"{server.variant}: GET {paths.METRICS} answered {status}")
    return body.decode()


def check_recorded(server: ServerProcess, sent: int) -> None:
    """Fail unless the server's /metrics counted every customer lookup it was sent.

    A variant that silently records nothing (the library does that when its metric names
    are taken) would otherwise look free.
    """
    recorded = recorded_customer_requests(_scrape_once(server))
    if recorded != sent:
        raise BenchError(
            f"{server.variant}: http_requests_total of the customer route is {recorded:.0f}, "
            f"but {sent} lookups were sent"
        )


def measure_scrape(
    server: ServerProcess, requests: Sequence[bytes], options: Options
) -> ScrapeRecord:
    """Serve ``scrape_requests`` lookups, then time ``scrapes`` scrapes one after another."""
    _load(server, requests, options, limit=options.scrape_requests)
    # The readiness probe was one lookup too.
    served = options.scrape_requests + 1
    check_recorded(server, served)
    cpu_before = server.cpu_seconds()
    scrapes = list(fetch(HOST, server.port, paths.METRICS, options.scrapes))
    cpu_used = server.cpu_seconds() - cpu_before
    body = scrapes[-1][1].decode()
    series = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
    families = frozenset(family.name for family in text_string_to_metric_families(body))
    return ScrapeRecord(
        variant=server.variant,
        requests_served=served,
        size_bytes=len(scrapes[-1][1]),
        series=series,
        seconds=[seconds for _, _, seconds in scrapes],
        server_cpu_seconds_per_scrape=cpu_used / options.scrapes,
        families=families,
    )


@contextlib.contextmanager
def _servers(
    variants: Sequence[str], options: Options, log_dir: Path, probe_path: str
) -> Iterator[dict[str, ServerProcess]]:
    started: dict[str, ServerProcess] = {}
    try:
        for variant in variants:
            started[variant] = start_server(
                variant, free_port(), options.server_cpu, log_dir, probe_path
            )
        yield started
    finally:
        for server in started.values():
            server.stop()


def run(options: Options, say: Callable[[str], None] = print) -> Results:
    """The whole benchmark; ``say`` gets a line per step as it goes."""
    pin_to_cpu(options.client_cpu)
    results = Results(options=options, load_before=os.getloadavg())
    customer = customer_paths(options.customers)
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        log_dir = Path(directory)
        if options.calibrate:
            with _servers([CALIBRATION], options, log_dir, customer[0]) as servers:
                server = servers[CALIBRATION]
                requests = build_requests(customer, HOST, server.port)
                results.calibration, _ = measure_run(server, requests, options, 0)
                say(f"calibration ({CALIBRATION}): {_line(results.calibration)}")

        with _servers(options.variants, options, log_dir, customer[0]) as servers:
            requests = {
                variant: build_requests(customer, HOST, server.port)
                for variant, server in servers.items()
            }
            # The readiness probe was one lookup.
            sent = dict.fromkeys(servers, 1)
            for round_number, variant in alternated(options.variants, options.rounds):
                record, completed = measure_run(
                    servers[variant], requests[variant], options, round_number
                )
                sent[variant] += completed
                results.runs.append(record)
                say(f"round {round_number + 1}/{options.rounds} {variant}: {_line(record)}")
            for variant in options.scraped:
                check_recorded(servers[variant], sent[variant])

        for variant in options.scraped if options.scrape_requests else ():
            with _servers([variant], options, log_dir, customer[0]) as servers:
                server = servers[variant]
                requests_for_scrape = build_requests(customer, HOST, server.port)
                scrape = measure_scrape(server, requests_for_scrape, options)
                results.scrapes.append(scrape)
                say(
                    f"scrape {variant}: {scrape.size_bytes} bytes, {scrape.series} series "
                    f"after {scrape.requests_served} requests"
                )
    results.load_after = os.getloadavg()
    return results


def _line(record: RunRecord) -> str:
    return (
        f"{record.requests_per_second:,.0f} req/s, p99 {record.p99_seconds * 1e3:.2f} ms, "
        f"server {record.server_cpu_per_request * 1e6:.1f} µs CPU/req "
        f"(busy {record.server_busy:.0%}), client busy {record.client_busy:.0%}"
    )
