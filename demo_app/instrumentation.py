"""Wiring the HTTP metrics into an application: the recording middleware and ``/metrics``.

The metrics themselves are declared in demo_app.metrics; this module picks who records them
(the instrumentator's middleware, or demo_app.http_metrics's lean equivalent) and exposes
the scrape route.
"""

from collections.abc import Sequence
from typing import Any, Literal

from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.metrics import Info
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.types import ASGIApp

from demo_app import paths
from demo_app.http_metrics import HttpMetricsMiddleware
from demo_app.metrics import (
    EXCLUDED_HANDLERS,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS_INPROGRESS,
    HTTP_REQUESTS_TOTAL,
    KNOWN_METHODS,
)


def record_http_request(info: Info) -> None:
    """The instrumentator's per-request hook: one counter and one histogram.

    The library's default set also records an unlabelled high-resolution histogram and two
    size summaries on every request; nothing here reads them, so they are left out (see
    demo_app/README.md for the cost).

    Args:
        info: The finished request, as the instrumentator's middleware describes it.
    """
    method = info.method if info.method in KNOWN_METHODS else "OTHER"
    HTTP_REQUESTS_TOTAL.labels(method, info.modified_status, info.modified_handler).inc()
    # Time to the response start: the whole handler for a JSON response, the time until the
    # stream opens for SSE. With no response started (an exception), the whole duration.
    duration = info.modified_duration_without_streaming or info.modified_duration
    HTTP_REQUEST_DURATION.labels(method, info.modified_handler).observe(duration)


class _SharedGaugeMiddleware(PrometheusInstrumentatorMiddleware):
    """The instrumentator's middleware, with the process's one in-progress gauge.

    The library registers a new ``http_requests_inprogress`` gauge in the global registry
    for every application it instruments, so the second application in a process fails on
    its first request with a duplicated-timeseries error. This subclass hands every
    application the gauge declared in demo_app.metrics instead.
    """

    def __init__(self, app: ASGIApp, **options: object) -> None:
        super().__init__(app, **{**options, "should_instrument_requests_inprogress": False})  # type: ignore[arg-type]
        self.should_instrument_requests_inprogress = True
        self.inprogress = HTTP_REQUESTS_INPROGRESS


def instrument(
    app: FastAPI,
    scrape_dependencies: Sequence[Any] = (),
    recorder: Literal["instrumentator", "lean"] = "instrumentator",
) -> None:
    """Add the HTTP metrics middleware and the ``/metrics`` route to an application.

    Call it after every other middleware, so that it is the outermost and sees every
    response, and before the application starts.

    Args:
        app: The application to instrument.
        scrape_dependencies: FastAPI dependencies (``Depends(...)``) run before each scrape.
            Defaults to none.
        recorder: Who records the HTTP metrics: the instrumentator's middleware (the
            default), or demo_app.http_metrics's equivalent at a quarter of its CPU cost
            ("lean"). Same series and labels either way.
    """
    if recorder == "lean":
        app.add_middleware(HttpMetricsMiddleware)
    else:
        app.add_middleware(
            _SharedGaugeMiddleware,
            # Literal 200/404/422/500 in `status`, not 2xx/4xx/5xx.
            should_group_status_codes=False,
            # A request matching no route is not recorded: unknown paths create no series.
            should_ignore_untemplated=True,
            should_instrument_requests_inprogress=True,
            excluded_handlers=EXCLUDED_HANDLERS,
            instrumentations=(record_http_request,),
        )
    # The library's /metrics handler reads the multiprocess directory when there is one.
    Instrumentator().expose(
        app,
        endpoint=paths.METRICS,
        include_in_schema=False,
        dependencies=list(scrape_dependencies),
    )
