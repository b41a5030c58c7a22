"""The applications the benchmark serves, one per variant, each built by a uvicorn factory.

Every variant runs in its own server process, so the global prometheus-client registry
holds only that variant's metrics.

- ``bare``: demo_app without instrumentation (``should_instrument=False``).
- ``demo_app``: demo_app as ``python -m demo_app`` builds it: its three HTTP metrics
  recorded by the instrumentator's middleware (DEMO_APP_HTTP_METRICS=instrumentator).
- ``demo_app_lean``: the same series recorded by demo_app/http_metrics.py
  (DEMO_APP_HTTP_METRICS=lean).
- ``design_notes``: the bare demo_app instrumented exactly as the design notes say, with
  the library's default metric set.
- ``hello``: a plain Starlette app answering the same paths with a few bytes; it measures
  how fast the load generator can go, so that the others are known to be server-bound.
"""

import secrets
from collections.abc import Callable

from fastapi import FastAPI
from prometheus_client import REGISTRY, enable_created_metrics
from prometheus_fastapi_instrumentator import Instrumentator
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
    """demo_app as it ships: the instrumentator's middleware records."""
    return create_application(bench_settings())


def demo_app_lean() -> FastAPI:
    """demo_app with DEMO_APP_HTTP_METRICS=lean: the same series, its own middleware."""
    return create_application(bench_settings().model_copy(update={"DEMO_APP_HTTP_METRICS": "lean"}))


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


async def _hello(request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def hello() -> Starlette:
    """The cheapest app uvicorn can serve on the benchmark's paths."""
    return Starlette(routes=[Route(paths.CUSTOMER, _hello)])


FACTORIES: dict[str, Callable[[], Starlette]] = {
    "bare": bare,
    "demo_app": demo_app,
    "design_notes": design_notes,
    "demo_app_lean": demo_app_lean,
    "hello": hello,
}
# The variants that serve /metrics.
INSTRUMENTED = ("demo_app", "demo_app_lean", "design_notes")
