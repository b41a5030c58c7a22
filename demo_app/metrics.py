"""Every metric demo_app exports, declared once at import, and the HTTP instrumentation.

All metrics live in prometheus-client's global registry, so every application built in one
process (tests, the benchmark) records into the same series, and multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, set by ``python -m demo_app`` before this module is imported)
covers all of them. Label values only ever come from demo_app.labels, demo_app.paths or a
literal HTTP status code.
"""

import glob
import os
import re
from collections.abc import Callable, Collection, Sequence
from timeit import default_timer
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.multiprocess import mark_process_dead
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator import routing as lib_routing
from starlette.requests import Request
from starlette.routing import BaseRoute, Route, WebSocketRoute, get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from demo_app import paths
from demo_app.labels import AGENTS, LLM_ERROR_KINDS, MODELS

# No `*_created` series: in the text format Prometheus stores them as extra gauges, one per
# counter or histogram series, which no rule or dashboard here reads.
disable_created_metrics()

# --- HTTP (the instrumentator's names and label names) ------------------------------------

# The SLO is p99 < 500 ms, so 0.5 is a boundary; 10 and 30 keep slow-llm turns (~24 s)
# out of +Inf. The library default (0.1, 0.5, 1) would cap every quantile at 1 s.
HTTP_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS_TOTAL = Counter(
    "http_requests_total",
    "Total number of requests by method, status and handler.",
    ("method", "status", "handler"),
)
HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time until the response starts (first byte), by handler.",
    ("method", "handler"),
    buckets=HTTP_LATENCY_BUCKETS,
)
# livesum: in multiprocess mode a scrape adds up the live workers' values.
HTTP_REQUESTS_INPROGRESS = Gauge(
    "http_requests_inprogress",
    "Number of HTTP requests in progress.",
    multiprocess_mode="livesum",
)

# --- Agents and the LLM ---------------------------------------------------------------------

AGENT_TURN_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Past 10 s (12, 15, 20, 30, 60) so that "p95 > 10 s" can be computed: histogram_quantile
# never returns more than the highest finite bound.
LLM_CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, 60.0)

AGENT_TOKEN_USAGE = Counter(
    "agent_token_usage_total",
    "Tokens (prompt + completion) consumed per agent and model.",
    ("agent", "model"),
)
AGENT_TURN_LATENCY = Histogram(
    "agent_turn_latency_seconds",
    "Wall-clock latency of one agent turn, failed turns included.",
    ("agent",),
    buckets=AGENT_TURN_BUCKETS,
)
LLM_TOKENS_USED = Counter(
    "llm_tokens_used_total",
    "Tokens (prompt + completion) billed by the LLM, per model and agent.",
    ("model", "agent"),
)
LLM_PROMPT_TOKENS = Counter(
    "llm_prompt_tokens_total", "Prompt (input) tokens sent to the LLM.", ("model", "agent")
)
LLM_COMPLETION_TOKENS = Counter(
    "llm_completion_tokens_total",
    "Completion (output) tokens returned by the LLM.",
    ("model", "agent"),
)
LLM_CALL_DURATION = Histogram(
    "llm_call_duration_seconds",
    "Duration of one LLM call, failed calls included.",
    ("model",),
    buckets=LLM_CALL_BUCKETS,
)
LLM_ERRORS = Counter(
    "llm_errors_total", "Failed LLM calls by model and kind of failure.", ("model", "kind")
)

# --- Configuration exported for rules and dashboards ---------------------------------------
# Set, never incremented. livemostrecent: in multiprocess mode a scrape shows the value a
# live worker wrote last.

LLM_PRICE = Gauge(
    "llm_price_usd_per_token",
    "Price of one token, prompt and completion blended, from the settings.",
    ("model",),
    multiprocess_mode="livemostrecent",
)
LLM_HOURLY_BUDGET = Gauge(
    "llm_hourly_budget_usd",
    "LLM spend allowed per hour, from DEMO_APP_LLM_HOURLY_BUDGET_USD.",
    multiprocess_mode="livemostrecent",
)
FAULT_HTTP_ERROR_RATIO = Gauge(
    "demo_app_fault_http_error_ratio",
    "Injected share of HTTP 500s, for all API routes (route=all) or one route template.",
    ("route",),
    multiprocess_mode="livemostrecent",
)
FAULT_LLM_EXTRA_LATENCY = Gauge(
    "demo_app_fault_llm_extra_latency_seconds",
    "Injected latency added to every LLM call.",
    multiprocess_mode="livemostrecent",
)
FAULT_LLM_RATE_LIMIT_RATIO = Gauge(
    "demo_app_fault_llm_rate_limit_ratio",
    "Injected share of LLM calls failing with a rate-limit error.",
    multiprocess_mode="livemostrecent",
)
FAULT_TOKEN_INFLATION = Gauge(
    "demo_app_fault_token_inflation_factor",
    "Injected multiplier on the tokens every LLM call reports.",
    multiprocess_mode="livemostrecent",
)
FAULT_PRESET_ACTIVE = Gauge(
    "demo_app_fault_preset_active",
    "1 for the preset the fault state equals, 0 for the others (all 0 for a custom state).",
    ("preset",),
    multiprocess_mode="livemostrecent",
)

# Every series with a known label set exists from the start at 0, so rate() and dashboards
# see it before the first event.
for _model in MODELS:
    LLM_CALL_DURATION.labels(_model)
    for _agent in AGENTS:
        AGENT_TOKEN_USAGE.labels(_agent, _model)
        for _counter in (LLM_TOKENS_USED, LLM_PROMPT_TOKENS, LLM_COMPLETION_TOKENS):
            _counter.labels(_model, _agent)
    for _kind in LLM_ERROR_KINDS:
        LLM_ERRORS.labels(_model, _kind)
for _agent in AGENTS:
    AGENT_TURN_LATENCY.labels(_agent)

# --- The HTTP instrumentation ---------------------------------------------------------------

# Not recorded: probes, the scrape itself and the docs. One anchored pattern, matched like the
# library's excluded_handlers (re.search against the route template), where "/health" alone
# would also skip "/healthz" and "/api/v1/health-check".
EXCLUDED_PATHS = (
    paths.METRICS,
    paths.HEALTH,
    paths.READY,
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
)
EXCLUDED_HANDLERS = ("^(?:" + "|".join(re.escape(path) for path in EXCLUDED_PATHS) + ")$",)

# Any other method token (clients may send anything) is recorded as OTHER, so the `method`
# label stays bounded.
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


_EXCLUDED_PATTERNS = tuple(re.compile(pattern) for pattern in EXCLUDED_HANDLERS)


def _is_recorded(template: str) -> bool:
    return not any(pattern.search(template) for pattern in _EXCLUDED_PATTERNS)


# One row of the route table: the route's path match, its methods (None: any), its template,
# and whether requests to it are recorded.
_Row = tuple[Callable[[str], re.Match[str] | None], Collection[str] | None, str, bool]


def _route_table(routes: Sequence[BaseRoute]) -> list[_Row] | None:
    """The routes in the order the instrumentator's resolver walks them, as plain rows.

    The instrumentator flattens included routers (``_effective_routes``) and asks each route
    ``matches(scope)`` on every request. For a plain route that is a regex match on the path,
    then a method check (FULL, else PARTIAL), so a row holds exactly that. Websocket routes
    never match an HTTP request and are left out. Anything else (a Mount, a Host, a frontend
    route) returns None, and the library then resolves every request itself.
    """
    rows: list[_Row] = []
    for route in lib_routing._effective_routes(list(routes)):
        if isinstance(route, WebSocketRoute):
            continue
        if not (
            isinstance(route, Route) or isinstance(getattr(route, "original_route", None), APIRoute)
        ):
            return None
        template: str = route.path
        rows.append((route.path_regex.match, route.methods, template, _is_recorded(template)))
    return rows


class HttpMetricsMiddleware:
    """Records ``http_requests_total``, ``http_request_duration_seconds`` and
    ``http_requests_inprogress``, labelled exactly as the instrumentator's middleware would.

    Same rules as ``PrometheusInstrumentatorMiddleware`` configured with
    ``should_group_status_codes=False`` (literal status), ``should_ignore_untemplated=True``
    (a request matching no route is not recorded), the in-progress gauge on and
    EXCLUDED_HANDLERS; the handler is the template of the first route that fully matches,
    else of the first that matches the path only (a 405), as the library resolves it.
    tests/demo_app/test_http_middleware.py runs both on the same requests and compares.

    It skips the library's per-request work that nothing here needs: walking and rebuilding
    the flattened route list on every request (the table is built once per set of routes:
    it is rebuilt when the application's route count changes), building a ``Request``, a
    ``Response`` with its headers and an ``Info``, an ``asyncio.gather`` of no coroutines,
    and two ``labels()`` look-ups (the series are kept in a dict with one entry per series,
    so it is as bounded as the series themselves). That saves about 20 µs of CPU per request
    on the customer route, two thirds of what the library's middleware cost; see
    bench/README.md.

    Args:
        app: The application to wrap.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._table_app: object = None
        self._table_size = -1
        self._table: list[_Row] | None = None
        self._series: dict[tuple[str, int, str], tuple[Any, Any]] = {}

    def _handler(self, scope: Scope) -> tuple[str, bool] | None:
        """The template a request is recorded under, and whether it is recorded at all.

        None when no route matches.
        """
        app = scope.get("app")
        routes = getattr(app, "routes", None)
        if not routes:
            return None
        if app is not self._table_app or len(routes) != self._table_size:
            self._table = _route_table(routes)
            self._table_app, self._table_size = app, len(routes)
        if self._table is not None:
            path = get_route_path(scope)
            method = scope["method"]
            partial: tuple[str, bool] | None = None
            for match, methods, template, recorded in self._table:
                if match(path) is not None:
                    if not methods or method in methods:
                        return template, recorded
                    if partial is None:
                        partial = template, recorded
            if partial is not None:
                return partial
        # No route matches: the library decides, as it would have (with redirect_slashes on,
        # it records a redirectable path). Only unknown paths pay for its full walk.
        name = lib_routing.get_route_name(Request(scope), should_include_root_path=False)
        return None if name is None else (name, _is_recorded(name))

    def _record(self, method: str, status: int, template: str, seconds: float) -> None:
        if method not in _KNOWN_METHODS:
            method = "OTHER"
        key = (method, status, template)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (
                HTTP_REQUESTS_TOTAL.labels(method, str(int(status)), template),
                HTTP_REQUEST_DURATION.labels(method, template),
            )
        series[0].inc()
        series[1].observe(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = default_timer()
        handler = self._handler(scope)
        if handler is None or not handler[1]:
            await self.app(scope, receive, send)
            return
        # No response started (an exception escaped): recorded as a 500, as the library does.
        status = 500
        first_byte = 0.0

        async def send_wrapper(message: Message) -> None:
            nonlocal status, first_byte
            if message["type"] == "http.response.start":
                status = message["status"]
                first_byte = default_timer()
            await send(message)

        HTTP_REQUESTS_INPROGRESS.inc()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            HTTP_REQUESTS_INPROGRESS.dec()
            # Time to the response start: the whole handler for a JSON response, the time
            # until the stream opens for SSE; with no response started, the whole duration.
            seconds = max((first_byte or default_timer()) - start, 0.0)
            self._record(scope["method"], status, handler[0], seconds)


def instrument(app: FastAPI, scrape_dependencies: Sequence[Any] = ()) -> None:
    """Add the HTTP metrics middleware and the ``/metrics`` route to an application.

    Call it after every other middleware, so that it is the outermost and sees every
    response, and before the application starts.

    Args:
        app: The application to instrument.
        scrape_dependencies: FastAPI dependencies (``Depends(...)``) run before each scrape.
            Defaults to none.
    """
    app.add_middleware(HttpMetricsMiddleware)
    # The library's /metrics handler reads the multiprocess directory when there is one.
    Instrumentator().expose(
        app,
        endpoint=paths.METRICS,
        include_in_schema=False,
        dependencies=list(scrape_dependencies),
    )


def set_llm_prices(prices_usd_per_million_tokens: dict[str, float], hourly_budget: float) -> None:
    """Export the configured prices and budget, so a rule can compute spend."""
    for model, price in prices_usd_per_million_tokens.items():
        LLM_PRICE.labels(model).set(price / 1_000_000)
    LLM_HOURLY_BUDGET.set(hourly_budget)


def _pid_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_workers() -> list[int]:
    """In multiprocess mode, drop the live gauges of worker processes that no longer exist.

    uvicorn has no child-exit hook, so each worker calls this as it starts: a worker that
    was killed (and replaced by uvicorn) leaves its in-progress gauge behind otherwise.

    Returns:
        The process ids whose gauges were dropped.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return []
    dead: set[int] = set()
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = int(path.rsplit("_", 1)[1].removesuffix(".db"))
        if not _pid_is_alive(pid):
            dead.add(pid)
    for pid in dead:
        mark_process_dead(pid, directory)
    return sorted(dead)


def forget_this_worker() -> None:
    """In multiprocess mode, drop this process's live gauges as it shuts down."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        mark_process_dead(os.getpid(), directory)
