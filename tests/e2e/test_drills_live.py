"""Every drill's PromQL, run on the live stack after a short load with faults, returns the shape
the drill's answer describes (docs/drills/drills.yaml, `expect`).

The queries run exactly as `playground drill NAME` runs them: scaled to the lab profile the
shared stack uses. Two phases, each polled until every query of the phase has its shape or a
deadline passes, then faults are reset whatever happened:

1. errors: the background traffic plus a stream request every 1.5 s, half of which fail
   (the stream route, which that traffic never calls). The stream handler's real error
   ratio is about 0.5, yet the notes' per-series division returns exactly 1 for its 5xx
   series. Far too few errors to page: about 2% of all requests, under HighErrorRate's 5%,
   and nothing on /api/v1/messages, which the burn-rate alerts watch.
2. slow-llm: the preset for a whole lab window, so agent turns (buckets ending at 10) read a
   p95 of exactly 10 while LLM calls (buckets past 10) read more, and rate() of the fault
   gauge holding 12 is 0.

Both phases together take about a minute.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest

from playground.configs.rule_profiles import live_profile
from playground.native.stack import NativeStack
from playground.teaching.drills import Query, QueryResult, load_drills, run_query

pytestmark = pytest.mark.e2e

ERRORS_DEADLINE_SECONDS = 30
SLOW_DEADLINE_SECONDS = 75
POLL_SECONDS = 2.0
# A stream request this often, half of them failing: with ~20 requests/s of background
# traffic, about 2% of all requests fail.
STREAM_EVERY_SECONDS = 1.5
STREAM_ERROR_RATIO = 0.5
STREAM = "/api/v1/messages/stream"
PER_SERIES = (
    "error-rate-slo-burn-rates: The notes' per-series division - 1 for every 5xx series that moved"
)
SUMMED = "error-rate-slo-burn-rates: The error ratio per handler, summed before dividing"
INF_CAP = (
    "histogram-quantile-inf-cap: p95 of agent turns, whose buckets stop at 10 - "
    "exactly 10 under slow-llm"
)
PHASES = {"errors": ("traffic", "errors"), "slow-llm": ("slow-llm", "fault")}


@contextmanager
def _half_failing_stream_requests(stack: NativeStack) -> Iterator[None]:
    """Stream requests at a slow, steady pace, half of them failing with an injected 500."""
    stop = threading.Event()
    statuses: list[int] = []

    def send() -> None:
        with httpx.Client(base_url=stack.urls.demo_app, timeout=10, trust_env=False) as client:
            while not stop.is_set():
                response = client.post(STREAM, json={"message": "Where is my order?"})
                statuses.append(response.status_code)
                stop.wait(STREAM_EVERY_SECONDS)

    stack.demo_app.set_faults({"http_error_ratio": {STREAM: STREAM_ERROR_RATIO}})
    sender = threading.Thread(target=send, daemon=True, name="drill-errors")
    sender.start()
    try:
        yield
    finally:
        stop.set()
        sender.join(timeout=15)
        stack.demo_app.reset()
    assert set(statuses) == {200, 500}, statuses


@contextmanager
def _preset(stack: NativeStack, preset: str) -> Iterator[None]:
    stack.demo_app.apply_preset(preset)
    try:
        yield
    finally:
        stack.demo_app.reset()


def _until_shaped(
    stack: NativeStack,
    queries: list[tuple[str, Query]],
    deadline_seconds: float,
    also: Callable[[dict[str, QueryResult]], bool] = lambda _results: True,
) -> dict[str, QueryResult]:
    """Run the queries until every one has its shape (and ``also`` holds), or the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        stack.check_alive()
        results = {
            f"{name}: {query.title}": run_query(stack.prometheus, query, "lab")
            for name, query in queries
        }
        done = all(r.matches for r in results.values()) and also(results)
        if done or time.monotonic() > deadline:
            return results
        time.sleep(POLL_SECONDS)


def _stream_values(result: QueryResult) -> list[float]:
    return [float(s["value"][1]) for s in result.samples if s["metric"].get("handler") == STREAM]


def _stream_shows_the_fallacy(results: dict[str, QueryResult]) -> bool:
    """The stream's 5xx series divides to exactly 1 while its real error ratio is below 1."""
    per_series, summed = _stream_values(results[PER_SERIES]), _stream_values(results[SUMMED])
    return per_series == [1.0] and len(summed) == 1 and 0 < summed[0] < 1


def _report(results: dict[str, QueryResult]) -> str:
    lines = []
    for title, result in results.items():
        if result.matches:
            continue
        shown = [f"{s['metric']} {s['value'][1]}" for s in result.samples[:4]]
        lines += [
            f"- {title}",
            f"    {result.expr}",
            f"    expected {result.query.expect.describe()}; got {shown or 'no data'}",
            f"    ({result.why})",
        ]
    return "\n".join(lines)


@pytest.fixture
def warm_stack(native_stack: NativeStack, traffic) -> NativeStack:
    """The shared stack with a full lab window of traffic scraped."""
    full = 'sum(increase(http_requests_total{job="demo_app"}[30s])) > 20'
    deadline = time.monotonic() + 90
    while not native_stack.prometheus.query(full):
        if time.monotonic() > deadline:
            pytest.fail(f"no traffic scraped: {traffic.snapshot()}\n{native_stack.diagnostics()}")
        time.sleep(1)
    return native_stack


def test_each_drill_query_returns_the_shape_its_answer_describes(warm_stack: NativeStack) -> None:
    stack = warm_stack
    assert live_profile(stack.prometheus) == "lab"
    # `load` queries read Locust's series: tests/e2e/test_load_metrics_live.py runs them
    # while a real Locust runs.
    queries = [(d.name, q) for d in load_drills().values() for q in d.queries if q.needs != "load"]
    by_phase = {
        phase: [(name, q) for name, q in queries if q.needs in needs]
        for phase, needs in PHASES.items()
    }
    assert sum(len(q) for q in by_phase.values()) == len(queries), "a query fits no phase"

    with _half_failing_stream_requests(stack):
        errors = _until_shaped(
            stack, by_phase["errors"], ERRORS_DEADLINE_SECONDS, also=_stream_shows_the_fallacy
        )
    with _preset(stack, "slow-llm"):
        slow = _until_shaped(stack, by_phase["slow-llm"], SLOW_DEADLINE_SECONDS)

    report = _report({**errors, **slow})
    assert not report, (
        f"queries without the shape their drill describes:\n{report}\n{stack.diagnostics()}"
    )
    # The claims the drills lean on hardest, spelled out: on the same handler, the notes'
    # division says 1 while the real error ratio is about a half...
    assert _stream_shows_the_fallacy(errors), (
        f"per series {_stream_values(errors[PER_SERIES])}, summed {_stream_values(errors[SUMMED])}"
    )
    # ... and agent turns slower than their top bucket read exactly that bucket.
    assert [float(s["value"][1]) for s in slow[INF_CAP].samples] == [10.0]
