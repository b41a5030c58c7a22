"""create_application(): wires settings, store, metrics and routes together."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from alert_receiver.metrics import ReceiverMetrics
from alert_receiver.routes import notifications, ops, runbooks, webhook
from alert_receiver.settings import Settings
from alert_receiver.store import NotificationStore
from http_limits import HeaderCountLimit


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.store.close()


def create_application(settings: Settings | None = None) -> FastAPI:
    """Build a receiver application with its own store and metrics registry.

    The store is opened here, so a database that cannot be opened stops the start.

    Args:
        settings: Defaults to ``Settings()`` read from the environment.
    """
    settings = settings or Settings()
    app = FastAPI(
        title="Alert receiver",
        summary="Keeps Alertmanager webhook notifications.",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.store = NotificationStore(
        settings.ALERT_RECEIVER_DB_PATH,
        max_notifications=settings.ALERT_RECEIVER_MAX_NOTIFICATIONS,
        max_bytes=settings.ALERT_RECEIVER_MAX_STORED_BYTES,
    )
    app.state.metrics = ReceiverMetrics()
    app.state.metrics.record_store(app.state.store)
    for router in (webhook.router, notifications.router, runbooks.router, ops.router):
        app.include_router(router)
    app.add_middleware(HeaderCountLimit, respond=_error)
    return app


def _error(status_code: int, message: str) -> JSONResponse:
    # FastAPI's own error shape, the one every other error of the receiver has.
    return JSONResponse({"detail": message}, status_code)
