"""POST /webhook: valid payloads are kept; every kind of garbage gets a 4xx JSON answer."""

import json

import pytest
from fastapi.testclient import TestClient

from tests.support.alert_receiver import make_payload


def test_valid_notification_is_stored_with_its_alerts(client: TestClient) -> None:
    response = client.post("/webhook", json=make_payload())

    assert response.status_code == 200
    assert response.json() == {"status": "stored", "id": 1}
    [kept] = client.get("/api/notifications").json()["notifications"]
    assert kept["id"] == 1
    assert kept["status"] == "firing"
    assert kept["groupLabels"] == {"alertname": "HighErrorRate"}
    assert kept["externalURL"] == "http://127.0.0.1:9093"
    [alert] = kept["alerts"]
    assert alert["labels"]["alertname"] == "HighErrorRate"
    assert alert["generatorURL"].startswith("http://127.0.0.1:9090/")
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert kept["received_at"].endswith("+00:00")


def test_unknown_fields_from_a_newer_alertmanager_are_accepted(client: TestClient) -> None:
    response = client.post("/webhook", json=make_payload(someFutureField={"x": 1}))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"version": "4", "status": ', "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ],
    ids=["truncated", "not-utf8", "deeply-nested"],
)
def test_malformed_json_is_rejected_with_400(
    client: TestClient, body: bytes, content_type: str
) -> None:
    # The nested case is bigger than the fixture's 4 KiB limit; raise it for this test.
    client.app.state.settings.ALERT_RECEIVER_MAX_BODY_BYTES = 1024 * 1024

    response = client.post("/webhook", content=body, headers={"content-type": content_type})

    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


@pytest.mark.parametrize(
    ("override", "bad_field"),
    [
        ({"status": "exploded"}, "status"),
        ({"version": "3"}, "version"),
        ({"alerts": []}, "alerts"),
        ({"alerts": "HighErrorRate"}, "alerts"),
        ({"commonLabels": {"severity": 5}}, "commonLabels"),
        ({"receiver": None}, "receiver"),
    ],
)
def test_wrong_types_are_rejected_with_422_naming_the_field(
    client: TestClient, override: dict, bad_field: str
) -> None:
    response = client.post("/webhook", json=make_payload(**override))

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(bad_field in error["loc"] for error in errors)
    # The rejected input is not echoed back.
    assert all("input" not in error for error in errors)


def test_alert_with_a_bad_timestamp_is_rejected_with_422(client: TestClient) -> None:
    payload = make_payload()
    payload["alerts"][0]["startsAt"] = "yesterday"

    response = client.post("/webhook", json=payload)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["alerts", 0, "startsAt"]


def test_json_that_is_not_an_object_is_rejected_with_422(client: TestClient) -> None:
    response = client.post("/webhook", json=["firing"])

    assert response.status_code == 422


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_rejected_with_415(
    client: TestClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = client.post("/webhook", content=json.dumps(make_payload()), headers=headers)

    assert response.status_code == 415
    assert "application/json" in response.json()["detail"]


def test_json_content_type_with_charset_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/webhook",
        content=json.dumps(make_payload()),
        headers={"content-type": "Application/JSON; charset=utf-8"},
    )

    assert response.status_code == 200


def test_body_over_the_limit_is_rejected_with_413(client: TestClient) -> None:
    response = client.post(
        "/webhook", content=b" " * 5000, headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert "4096 bytes" in response.json()["detail"]


def test_chunked_body_over_the_limit_is_rejected_with_413(client: TestClient) -> None:
    # No Content-Length: the limit must hold while the body is streamed in.
    def chunks():
        for _ in range(10):
            yield b" " * 1000

    response = client.post(
        "/webhook", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413


def test_rejected_payloads_are_not_stored(client: TestClient) -> None:
    client.post("/webhook", json=make_payload(status="exploded"))
    client.post("/webhook", content=b"{", headers={"content-type": "application/json"})

    assert client.get("/api/notifications").json() == {
        "count": 0,
        "next_before": None,
        "notifications": [],
    }


def test_get_on_webhook_is_405_json(client: TestClient) -> None:
    response = client.get("/webhook")

    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
