"""Locust's statistics as Prometheus histogram and counter values: plain arithmetic.

loadtest/metrics.py serves these; this module imports nothing from Locust (importing Locust
monkey-patches the whole process with gevent), so tests and tools can use it freely.
"""

from collections.abc import Iterable, Mapping
from typing import Any

# demo_app.metrics.HTTP_LATENCY_BUCKETS, in seconds: the client's and the server's
# histograms then share their bounds, so their quantiles are interpolated alike.
HTTP_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Request names are the locustfile's URL templates (a handful), but a task that forgot
# `name=` would make one Locust entry per URL. Past this many names the rest are summed
# into one series, so a locustfile mistake cannot flood Prometheus (Locust's own
# OpenTelemetry histogram caps at 20 the same way).
MAX_REQUEST_NAMES = 50
OTHER_NAMES = "(other names)"


def histogram_buckets(response_times_ms: Mapping[int, int]) -> list[tuple[str, float]]:
    """Cumulative counts per bound (seconds), +Inf last, from Locust's rounded times (ms)."""
    counts = [0] * (len(HTTP_LATENCY_BUCKETS) + 1)
    for millis, count in response_times_ms.items():
        seconds = millis / 1000
        index = next(
            (i for i, bound in enumerate(HTTP_LATENCY_BUCKETS) if seconds <= bound),
            len(HTTP_LATENCY_BUCKETS),
        )
        counts[index] += count
    buckets, running = [], 0
    for bound, count in zip((*map(str, HTTP_LATENCY_BUCKETS), "+Inf"), counts, strict=True):
        running += count
        buckets.append((bound, float(running)))
    return buckets


class Totals:
    """One exported series' numbers, possibly the sum of several Locust entries."""

    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0
        self.response_times: dict[int, int] = {}
        self.total_response_time_ms = 0.0

    def add(self, entry: Any) -> None:
        self.requests += entry.num_requests
        self.failures += entry.num_failures
        self.total_response_time_ms += entry.total_response_time
        for millis, count in entry.response_times.items():
            self.response_times[millis] = self.response_times.get(millis, 0) + count


def totals_by_series(entries: Iterable[Any]) -> dict[tuple[str, str], Totals]:
    """(method, name) -> totals; names past MAX_REQUEST_NAMES summed under OTHER_NAMES.

    ``entries`` in the order Locust first saw them (its entries dict keeps that order), so a
    name keeps its own series for the whole test: which names are summed never changes.
    """
    totals: dict[tuple[str, str], Totals] = {}
    names: set[str] = set()
    for entry in entries:
        name = entry.name
        if name not in names and len(names) >= MAX_REQUEST_NAMES:
            name = OTHER_NAMES
        names.add(name)
        totals.setdefault((entry.method, name), Totals()).add(entry)
    return totals
