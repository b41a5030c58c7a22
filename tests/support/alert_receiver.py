"""Webhook payloads shaped like Alertmanager's, for the receiver's tests."""

from typing import Any


def make_payload(
    status: str = "firing", alertname: str = "HighErrorRate", **overrides: Any
) -> dict[str, Any]:
    """A version 4 webhook payload, as Alertmanager sends it; keyword arguments override its
    fields."""
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
