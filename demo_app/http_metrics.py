"""An opt-in, faster recorder of demo_app's three HTTP metrics (DEMO_APP_HTTP_METRICS=lean).

By default demo_app records HTTP metrics through prometheus-fastapi-instrumentator's own
middleware (demo_app.instrumentation.instrument), the library this playground teaches. That
middleware walks every route before each request and builds a Request, a Response and an
Info object after it: about 30 µs of CPU per request here, a ratio of about 0.79 to the
bare app (bench/README.md). This module records the same series with the same labels
(tests/demo_app/test_http_middleware.py runs both on the same requests and compares) for
about 7 µs, so a load test measures the service rather than its instrumentation.

It depends on how the pinned instrumentator 8.1.0 orders and flattens routes
(``routing._effective_routes``, a private function): an upgrade that changes the library's
labelling fails that test instead of silently changing series.
"""

import re
from collections.abc import Callable, Collection, Sequence
from timeit import default_timer
from typing import Any

from fastapi.routing import APIRoute
from prometheus_fastapi_instrumentator import routing as lib_routing
from starlette.requests import Request
from starlette.routing import BaseRoute, Route, WebSocketRoute, get_route_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from demo_app.metrics import (
    EXCLUDED_HANDLERS,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS_INPROGRESS,
    HTTP_REQUESTS_TOTAL,
    KNOWN_METHODS,
)

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
        if method not in KNOWN_METHODS:
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
