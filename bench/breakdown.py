"""``python -m bench.breakdown``: where the instrumentation's CPU time goes, step by step.

No HTTP server: each application is called directly as ASGI, in this one process, on the
customer route, and the CPU time per request is compared between variants that each add one
piece of the instrumentation. The differences between neighbours say what each piece costs
(the HTTP benchmark, ``python -m bench``, measures the total over real uvicorn processes).

Every variant here keeps its metrics out of the way of the others: the library's metrics go
to a registry of their own, and no variant registers a second in-progress gauge.
"""

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import routing
from prometheus_fastapi_instrumentator.metrics import Info
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.apps import DESIGN_NOTES_EXCLUDED_HANDLERS, bench_settings
from bench.run import customer_paths
from demo_app import instrumentation, metrics
from demo_app.main import create_application


class _PassThrough:
    """A middleware that does nothing: the cost of one more ASGI layer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class _RouteWalk(_PassThrough):
    """Only what the library does to name the handler: walk the routes, every request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        routing.get_route_name(Request(scope), should_include_root_path=False)
        await self.app(scope, receive, send)


class _LibraryMiddleware(PrometheusInstrumentatorMiddleware):
    """The library's middleware, handed demo_app's in-progress gauge when asked for one."""

    def __init__(self, app: ASGIApp, *, with_gauge: bool, **options: object) -> None:
        super().__init__(app, **options)  # type: ignore[arg-type]
        if with_gauge:
            self.should_instrument_requests_inprogress = True
            self.inprogress = metrics.HTTP_REQUESTS_INPROGRESS


def _bare() -> FastAPI:
    return create_application(bench_settings(), should_instrument=False)


def _with(middleware: type, **options: object) -> Callable[[], FastAPI]:
    def build() -> FastAPI:
        app = _bare()
        app.add_middleware(middleware, **options)
        return app

    return build


def _noop(info: Info) -> None:
    pass


_LIBRARY_FLAGS: dict[str, object] = {
    "should_group_status_codes": False,
    "should_ignore_untemplated": True,
}

# In order: each adds one piece to the one before (except the last, for comparison).
STEPS: list[tuple[str, str, Callable[[], FastAPI]]] = [
    ("bare", "demo_app without instrumentation", _bare),
    ("one_layer", "+ an empty middleware", _with(_PassThrough)),
    ("route_walk", "+ the library's route walk", _with(_RouteWalk)),
    (
        "library_no_metric",
        "the library's middleware recording nothing",
        _with(
            _LibraryMiddleware,
            with_gauge=False,
            excluded_handlers=metrics.EXCLUDED_HANDLERS,
            instrumentations=(_noop,),
            **_LIBRARY_FLAGS,
        ),
    ),
    (
        "demo_app",
        "+ gauge, counter and histogram: demo_app (the default)",
        _with(
            _LibraryMiddleware,
            with_gauge=True,
            excluded_handlers=metrics.EXCLUDED_HANDLERS,
            instrumentations=(instrumentation.record_http_request,),
            **_LIBRARY_FLAGS,
        ),
    ),
    (
        "demo_app_lean",
        "demo_app's lean HttpMetricsMiddleware, same series",
        lambda: create_application(
            bench_settings().model_copy(update={"DEMO_APP_HTTP_METRICS": "lean"})
        ),
    ),
    (
        "design_notes",
        "the library's default set (design notes)",
        _with(
            _LibraryMiddleware,
            with_gauge=True,
            excluded_handlers=DESIGN_NOTES_EXCLUDED_HANDLERS,
            registry=CollectorRegistry(),
            **_LIBRARY_FLAGS,
        ),
    ),
]


def _scope(path: str) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000")],
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "state": {},
    }


async def _drive(app: ASGIApp, paths: list[str], requests: int) -> None:
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    for n in range(requests):
        await app(_scope(paths[n % len(paths)]), receive, send)
    if set(statuses) != {200}:
        raise RuntimeError(f"expected only 200s, got {sorted(set(statuses))}")


@dataclass(frozen=True)
class Step:
    name: str
    what: str
    microseconds: list[float]


def measure(rounds: int, requests: int) -> list[Step]:
    """CPU µs per request of every step, alternated over ``rounds``."""
    paths = customer_paths(10_000)
    apps = {name: build() for name, _, build in STEPS}
    for app in apps.values():
        app.state.ready = True
    loop = asyncio.new_event_loop()
    try:
        for app in apps.values():  # warm-up: builds each middleware stack
            loop.run_until_complete(_drive(app, paths, 1000))
        samples: dict[str, list[float]] = {name: [] for name in apps}
        for _ in range(rounds):
            for name, app in apps.items():
                started = time.process_time()
                loop.run_until_complete(_drive(app, paths, requests))
                samples[name].append((time.process_time() - started) / requests * 1e6)
    finally:
        loop.close()
    return [Step(name, what, samples[name]) for name, what, _ in STEPS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.breakdown", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args(argv)
    steps = measure(args.rounds, args.requests)
    bare = statistics.median(steps[0].microseconds)
    print(f"CPU µs per request, in process, median of {args.rounds} x {args.requests:,}:")
    previous = bare
    for step in steps:
        median = statistics.median(step.microseconds)
        print(
            f"  {step.name:<20} {median:6.1f}  vs bare {median - bare:+6.1f}"
            f"  vs previous {median - previous:+6.1f}   {step.what}"
        )
        previous = median
    return 0


if __name__ == "__main__":
    sys.exit(main())
