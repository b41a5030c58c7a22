"""create_application(): wires settings, store, metrics and routes together."""

from fastapi import FastAPI

from alert_receiver.metrics import ReceiverMetrics
from alert_receiver.routes import notifications, ops, webhook
from alert_receiver.settings import Settings
from alert_receiver.store import NotificationStore


def create_application(settings: Settings | None = None) -> FastAPI:
    """Build a receiver application with its own store and metrics registry.

    Args:
        settings: Defaults to ``Settings()`` read from the environment.
    """
    settings = settings or Settings()
    app = FastAPI(title="Alert receiver", summary="Keeps Alertmanager webhook notifications.")
    app.state.settings = settings
    app.state.store = NotificationStore(settings.ALERT_RECEIVER_MAX_NOTIFICATIONS)
    app.state.metrics = ReceiverMetrics()
    for router in (webhook.router, notifications.router, ops.router):
        app.include_router(router)
    return app
