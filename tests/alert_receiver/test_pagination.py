"""GET /api/notifications pages with a cursor, within a byte budget; each listed
notification carries its first alerts, and /api/notifications/{id} carries them all."""

from typing import Any

from fastapi.testclient import TestClient

from alert_receiver.store import LISTED_ALERTS
from tests.support.alert_receiver import make_payload


def _page(client: TestClient, **params: str) -> dict[str, Any]:
    response = client.get("/api/notifications", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_cursor_walks_every_notification_once_newest_first(client: TestClient) -> None:
    for _ in range(5):
        client.post("/webhook", json=make_payload())

    seen: list[int] = []
    page = _page(client, limit="2")
    while True:
        seen += [n["id"] for n in page["notifications"]]
        if page["next_before"] is None:
            break
        page = _page(client, limit="2", before=str(page["next_before"]))

    assert seen == [5, 4, 3, 2, 1]


def test_the_cursor_keeps_the_filters(client: TestClient) -> None:
    for status in ("firing", "resolved", "firing", "resolved"):
        client.post("/webhook", json=make_payload(status=status))

    first = _page(client, status="resolved", limit="1")
    second = _page(client, status="resolved", limit="1", before=str(first["next_before"]))

    assert [n["id"] for n in first["notifications"]] == [4]
    assert [n["id"] for n in second["notifications"]] == [2]
    assert second["next_before"] is None


def test_a_page_stops_at_the_response_byte_budget_but_never_comes_back_empty(
    client: TestClient,
) -> None:
    for _ in range(3):
        client.post("/webhook", json=make_payload())
    one = len(client.get("/api/notifications/1").content)
    # Room for one notification and a half: a page holds one, then the cursor goes on.
    client.app.state.settings.ALERT_RECEIVER_MAX_RESPONSE_BYTES = one * 3 // 2

    page = _page(client)

    assert [n["id"] for n in page["notifications"]] == [3]
    assert page["next_before"] == 3
    client.app.state.settings.ALERT_RECEIVER_MAX_RESPONSE_BYTES = 1024
    assert [n["id"] for n in _page(client)["notifications"]] == [3]


def test_a_listed_notification_carries_its_first_alerts_and_the_total(client: TestClient) -> None:
    client.app.state.settings.ALERT_RECEIVER_MAX_BODY_BYTES = 1024 * 1024
    payload = make_payload()
    template = payload["alerts"][0]
    payload["alerts"] = [
        {**template, "labels": {**template["labels"], "instance": f"host-{i}"}}
        for i in range(LISTED_ALERTS + 5)
    ]
    client.post("/webhook", json=payload)

    [listed] = _page(client)["notifications"]
    whole = client.get("/api/notifications/1").json()

    assert listed["alerts_total"] == whole["alerts_total"] == LISTED_ALERTS + 5
    assert len(listed["alerts"]) == LISTED_ALERTS
    assert [a["labels"]["instance"] for a in whole["alerts"]] == [
        f"host-{i}" for i in range(LISTED_ALERTS + 5)
    ]
    assert "and 5 more" in client.get("/").text


def test_an_unknown_id_is_a_404_json(client: TestClient) -> None:
    response = client.get("/api/notifications/7")

    assert response.status_code == 404
    assert "No notification 7" in response.json()["detail"]


def test_the_store_is_bounded_by_bytes_oldest_first(client: TestClient) -> None:
    client.post("/webhook", json=make_payload())
    size = client.app.state.store.stored_bytes
    # Room for two and a half notifications of this size.
    client.app.state.store._max_bytes = size * 5 // 2

    for _ in range(4):
        client.post("/webhook", json=make_payload())

    assert [n["id"] for n in _page(client)["notifications"]] == [5, 4]
    assert client.app.state.store.stored_bytes == 2 * size
    metrics = client.get("/metrics").text
    assert "alert_receiver_evicted_notifications_total 3.0" in metrics
    assert f"alert_receiver_stored_bytes {2 * size}.0" in metrics


def test_a_limit_over_the_maximum_is_a_422(client: TestClient) -> None:
    assert client.get("/api/notifications", params={"limit": "1001"}).status_code == 422
    assert client.get("/api/notifications", params={"before": "0"}).status_code == 422
