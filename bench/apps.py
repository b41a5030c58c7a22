"""The applications the benchmark serves, one per variant, each built by a uvicorn factory.

Every variant runs in its own server process, so the global prometheus-client registry
holds only that variant's metrics.

- ``bare``: demo_app without instrumentation (``should_instrument=False``).
- ``demo_app``: demo_app as ``python -m demo_app`` builds it.
- ``design_notes``: the bare demo_app instrumented exactly as the design notes say, with
  the library's default metric set.
- ``library_middleware``: demo_app's metric set recorded through the library's middleware
  and a hook, as demo_app did before its own HttpMetricsMiddleware: what that one saves.
- ``hello``: a plain Starlette app answering the same paths with a few bytes; it measures
  how fast the load generator can go, so that the others are known to be server-bound.
"""

import secrets
from collections.abc import Callable

from fastapi import FastAPI
from prometheus_client import REGISTRY, enable_created_metrics
from prometheus_fastapi_instrumentator import Instrumentator
from prometheus_fastapi_instrumentator.metrics import Info
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from demo_app import metrics, paths
from demo_app.main import create_application
from demo_app.settings import Settings

_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The design notes' exclusions, verbatim (unanchored, as they wrote them).
DESIGN_NOTES_EXCLUDED_HANDLERS = ["/metrics", "/health", "/docs", "/openapi.json"]


def bench_settings() -> Settings:
    # A token of our own, so that the app does not log a generated one.
    return Settings(DEMO_APP_ADMIN_TOKEN=secrets.token_urlsafe(24))


def bare() -> FastAPI:
    """demo_app without the HTTP metrics middleware and /metrics."""
    return create_application(bench_settings(), should_instrument=False)


def demo_app() -> FastAPI:
    """demo_app as it ships."""
    return create_application(bench_settings())


def design_notes() -> FastAPI:
    """The bare demo_app, then the design notes' Instrumentator configuration.

    demo_app.metrics declares the HTTP metrics under the library's names at import; they
    are unregistered first so that the library's default set registers (it silently
    records nothing when its names are taken), and `*_created` series are turned back on,
    as the library leaves them.
    """
    app = create_application(bench_settings(), should_instrument=False)
    for collector in (
        metrics.HTTP_REQUESTS_TOTAL,
        metrics.HTTP_REQUEST_DURATION,
        metrics.HTTP_REQUESTS_INPROGRESS,
    ):
        REGISTRY.unregister(collector)
    enable_created_metrics()
    Instrumentator(
        should_group_status_codes=False,
        should_ignore_untemplated=True,
        should_instrument_requests_inprogress=True,
        excluded_handlers=DESIGN_NOTES_EXCLUDED_HANDLERS,
    ).instrument(app).expose(app, include_in_schema=False)
    return app


def record_with_hook(info: Info) -> None:
    """demo_app's counter and histogram, recorded from the library's ``Info`` (its old hook)."""
    method = info.method if info.method in _KNOWN_METHODS else "OTHER"
    metrics.HTTP_REQUESTS_TOTAL.labels(method, info.modified_status, info.modified_handler).inc()
    duration = info.modified_duration_without_streaming or info.modified_duration
    metrics.HTTP_REQUEST_DURATION.labels(method, info.modified_handler).observe(duration)


def library_middleware() -> FastAPI:
    """The bare demo_app, then demo_app's metric set through the library's middleware.

    The same series as demo_app (the library's middleware registers its own in-progress
    gauge, so demo_app's is unregistered first), recorded by a hook on ``Info``.
    """
    app = create_application(bench_settings(), should_instrument=False)
    REGISTRY.unregister(metrics.HTTP_REQUESTS_INPROGRESS)
    app.add_middleware(
        PrometheusInstrumentatorMiddleware,
        should_group_status_codes=False,
        should_ignore_untemplated=True,
        should_instrument_requests_inprogress=True,
        excluded_handlers=metrics.EXCLUDED_HANDLERS,
        instrumentations=(record_with_hook,),
    )
    Instrumentator().expose(app, endpoint=paths.METRICS, include_in_schema=False)
    return app


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def hello() -> Starlette:
    """The cheapest app uvicorn can serve on the benchmark's paths."""
    return Starlette(routes=[Route(paths.CUSTOMER, _hello)])


FACTORIES: dict[str, Callable[[], Starlette]] = {
    "bare": bare,
    "demo_app": demo_app,
    "design_notes": design_notes,
    "library_middleware": library_middleware,
    "hello": hello,
}
# The variants that serve /metrics.
INSTRUMENTED = ("demo_app", "design_notes", "library_middleware")
