"""FastAPI dependencies: the settings, store and metrics of the running application."""

from typing import Annotated

from fastapi import Depends, Request

from alert_receiver.metrics import ReceiverMetrics
from alert_receiver.settings import Settings
from alert_receiver.store import NotificationStore


def _settings(request: Request) -> Settings:
    return request.app.state.settings


def _store(request: Request) -> NotificationStore:
    return request.app.state.store


def _metrics(request: Request) -> ReceiverMetrics:
    return request.app.state.metrics


SettingsDep = Annotated[Settings, Depends(_settings)]
StoreDep = Annotated[NotificationStore, Depends(_store)]
MetricsDep = Annotated[ReceiverMetrics, Depends(_metrics)]
