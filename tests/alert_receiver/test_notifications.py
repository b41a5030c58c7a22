"""GET /api/notifications: newest first, filters, and the bounded ring buffer."""

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.support.alert_receiver import make_payload


def _ids(client: TestClient, **params: str) -> list[int]:
    response = client.get("/api/notifications", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["notifications"])
    return [n["id"] for n in body["notifications"]]


def test_notifications_are_listed_newest_first(client: TestClient) -> None:
    for status in ("firing", "resolved", "firing"):
        client.post("/webhook", json=make_payload(status=status))

    assert _ids(client) == [3, 2, 1]


def test_status_filter_keeps_only_that_status(client: TestClient) -> None:
    for status in ("firing", "resolved", "firing"):
        client.post("/webhook", json=make_payload(status=status))

    assert _ids(client, status="resolved") == [2]
    assert _ids(client, status="firing") == [3, 1]


def test_alertname_filter_matches_any_alert_in_the_notification(client: TestClient) -> None:
    client.post("/webhook", json=make_payload(alertname="HighErrorRate"))
    client.post("/webhook", json=make_payload(alertname="SlowLLM"))

    assert _ids(client, alertname="SlowLLM") == [2]
    assert _ids(client, alertname="NoSuchAlert") == []


def test_since_filter_keeps_notifications_received_at_or_after(client: TestClient) -> None:
    client.post("/webhook", json=make_payload())
    [first] = client.get("/api/notifications").json()["notifications"]
    client.post("/webhook", json=make_payload())

    assert _ids(client, since=first["received_at"]) == [2, 1]
    later = datetime.fromisoformat(first["received_at"]) + timedelta(microseconds=1)
    assert 1 not in _ids(client, since=later.isoformat())
    assert _ids(client, since=str(int(datetime.now(UTC).timestamp()) + 3600)) == []


def test_limit_returns_the_newest(client: TestClient) -> None:
    for _ in range(3):
        client.post("/webhook", json=make_payload())

    assert _ids(client, limit="2") == [3, 2]


def test_ring_buffer_keeps_only_the_newest(client: TestClient) -> None:
    # The fixture keeps 5.
    for _ in range(7):
        client.post("/webhook", json=make_payload())

    assert _ids(client) == [7, 6, 5, 4, 3]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "pending"},
        {"since": "2025-01-01T00:00:00"},
        {"since": "last tuesday"},
        {"limit": "0"},
        {"alertname": "x" * 201},
    ],
    ids=["unknown-status", "since-without-zone", "since-not-a-time", "limit-zero", "long-name"],
)
def test_bad_filters_are_rejected_with_422(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/api/notifications", params=params)

    assert response.status_code == 422
    assert response.json()["detail"]
