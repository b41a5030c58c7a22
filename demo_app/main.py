"""create_application(): wires settings, faults, the LLM, routes and instrumentation together."""

import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from demo_app import cardinality_demo, instrumentation, metrics, multiprocess
from demo_app.deps import refresh_faults
from demo_app.errors import BodyLimitMiddleware, add_exception_handlers, error_status_response
from demo_app.faults import FaultStore
from demo_app.llm import build_provider
from demo_app.routes import admin, customers, health, messages
from demo_app.routes import cardinality_demo as cardinality_demo_routes
from demo_app.settings import Settings
from http_limits import HeaderCountLimit

logger = logging.getLogger(__name__)


def admin_token(settings: Settings) -> tuple[str, bool]:
    """The admin token, and whether it was generated because none was set."""
    if settings.DEMO_APP_ADMIN_TOKEN is not None:
        return settings.DEMO_APP_ADMIN_TOKEN.get_secret_value(), False
    return secrets.token_urlsafe(24), True


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    dead = multiprocess.forget_dead_workers()
    if dead:
        logger.info("dropped the in-progress gauges of dead workers %s", dead)
    if app.state.admin_token_generated:
        logger.warning(
            "DEMO_APP_ADMIN_TOKEN is not set; the admin token of this run is %s",
            app.state.admin_token,
        )
    app.state.ready = True
    yield
    app.state.ready = False
    multiprocess.forget_this_worker()


def create_application(
    settings: Settings | None = None, *, should_instrument: bool = True
) -> FastAPI:
    """Build the support-agent API.

    Args:
        settings: Defaults to ``Settings()`` read from the environment.
        should_instrument: Should the HTTP metrics middleware and ``/metrics`` be added?
            Defaults to True; the benchmark builds the bare app with False.
    """
    settings = settings or Settings()
    # redirect_slashes=False: with it, instrumentator 8.1.0 labels a request that would be
    # redirected (/api/v1/customers/42/) with its raw path, one new series per id.
    app = FastAPI(
        title="demo_app",
        summary="A simulated AI customer-support agent, instrumented for Prometheus.",
        redirect_slashes=False,
        lifespan=_lifespan,
    )
    faults = FaultStore(
        settings.DEMO_APP_SEED,
        shared_file=settings.DEMO_APP_FAULTS_FILE,
        replica=settings.DEMO_APP_REPLICA,
    )
    app.state.settings = settings
    app.state.faults = faults
    app.state.provider = build_provider(settings, faults)
    app.state.admin_token, app.state.admin_token_generated = admin_token(settings)
    app.state.ready = False
    cardinality_demo.switch(settings.DEMO_APP_BAD_CARDINALITY_DEMO)
    metrics.REPLICA_INFO.labels(settings.DEMO_APP_REPLICA).set(1)
    metrics.set_llm_prices(
        settings.DEMO_APP_LLM_PRICES_USD_PER_MILLION_TOKENS, settings.DEMO_APP_LLM_HOURLY_BUDGET_USD
    )
    add_exception_handlers(app)
    # The customer route first: the instrumentator resolves a handler by trying routes in order.
    for router in (customers.router, messages.router, health.router, admin.router):
        app.include_router(router)
    app.include_router(cardinality_demo_routes.router)
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.DEMO_APP_MAX_BODY_BYTES)
    app.add_middleware(HeaderCountLimit, respond=error_status_response)
    if should_instrument:
        instrumentation.instrument(
            app,
            scrape_dependencies=[Depends(refresh_faults)],
            recorder=settings.DEMO_APP_HTTP_METRICS,
        )
    return app


def create_app_from_env() -> FastAPI:
    """The factory uvicorn calls in each worker (``python -m demo_app``)."""
    return create_application(Settings())
