"""GET /metrics and /health: counters by status and reason, and no series from input."""

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.support.alert_receiver import make_payload


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(client: TestClient, name: str, **labels: str) -> float:
    return _samples(client)[(name, tuple(sorted(labels.items())))]


def test_health_answers_ok(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}


def test_every_series_exists_at_zero_before_any_notification(client: TestClient) -> None:
    for status in ("firing", "resolved"):
        assert _value(client, "alert_receiver_notifications_total", status=status) == 0
        assert _value(client, "alert_receiver_alerts_total", status=status) == 0
    for reason in ("too_large", "unsupported_media_type", "malformed_json", "invalid_schema"):
        assert _value(client, "alert_receiver_invalid_payloads_total", reason=reason) == 0


def test_accepted_notifications_are_counted_by_status(client: TestClient) -> None:
    client.post("/webhook", json=make_payload(status="firing"))
    resolved = make_payload(status="resolved")
    resolved["alerts"] *= 2
    client.post("/webhook", json=resolved)

    assert _value(client, "alert_receiver_notifications_total", status="firing") == 1
    assert _value(client, "alert_receiver_notifications_total", status="resolved") == 1
    assert _value(client, "alert_receiver_alerts_total", status="resolved") == 2
    assert _value(client, "alert_receiver_stored_notifications") == 2


def test_garbage_is_counted_by_reason_and_adds_no_series(client: TestClient) -> None:
    before = _samples(client)
    json_headers = {"content-type": "application/json"}

    client.post("/webhook", content=b"{", headers=json_headers)
    client.post("/webhook", content=b" " * 10_000, headers=json_headers)
    client.post("/webhook", content=b"{}", headers={"content-type": "text/plain"})
    client.post("/webhook", json=make_payload(status="exploded", alertname="Evil\n{x}"))
    client.post("/webhook", json=make_payload(alertname='Injected"}} 1\nfake_metric 1'))
    client.get("/no/such/path/" + "x" * 100)

    after = _samples(client)
    assert set(after) == set(before)
    for reason in ("too_large", "unsupported_media_type", "malformed_json", "invalid_schema"):
        assert _value(client, "alert_receiver_invalid_payloads_total", reason=reason) == 1
    # The accepted one with a hostile alertname is counted under its status only.
    assert _value(client, "alert_receiver_notifications_total", status="firing") == 1
