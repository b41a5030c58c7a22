"""Fixtures: an in-process receiver app and webhook payloads shaped like Alertmanager's."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alert_receiver.main import create_application
from alert_receiver.settings import Settings


@pytest.fixture
def settings() -> Settings:
    """Small limits, so the limits themselves can be tested."""
    return Settings(
        ALERT_RECEIVER_MAX_NOTIFICATIONS=5,
        ALERT_RECEIVER_MAX_BODY_BYTES=4096,
        ALERT_RECEIVER_PAGE_REFRESH_SECONDS=0,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_application(settings)) as test_client:
        yield test_client


@pytest.fixture
def make_payload() -> Callable[..., dict[str, Any]]:
    """Builds a version 4 webhook payload; keyword arguments override its fields."""

    def factory(
        status: str = "firing", alertname: str = "HighErrorRate", **overrides: Any
    ) -> dict[str, Any]:
        labels = {"alertname": alertname, "severity": "critical", "job": "demo_app"}
        ends_at = "0001-01-01T00:00:00Z" if status == "firing" else "2025-01-01T10:05:00Z"
        payload: dict[str, Any] = {
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{alertname}"}}',
            "truncatedAlerts": 0,
            "status": status,
            "receiver": "alert_receiver",
            "groupLabels": {"alertname": alertname},
            "commonLabels": labels,
            "commonAnnotations": {"summary": "More than 5% of requests fail."},
            "externalURL": "http://127.0.0.1:9093",
            "alerts": [
                {
                    "status": status,
                    "labels": labels,
                    "annotations": {"summary": "More than 5% of requests fail."},
                    "startsAt": "2025-01-01T10:00:00.123456789Z",
                    "endsAt": ends_at,
                    "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=up",
                    "fingerprint": "a1b2c3d4e5f60718",
                }
            ],
        }
        payload.update(overrides)
        return payload

    return factory
