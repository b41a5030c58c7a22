"""GET /: the HTML page lists notifications newest first and escapes everything."""

from fastapi.testclient import TestClient

from tests.support.alert_receiver import make_payload


def test_page_without_notifications_says_so(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "No notifications yet" in response.text


def test_page_lists_notifications_newest_first(client: TestClient) -> None:
    client.post("/webhook", json=make_payload(alertname="HighErrorRate"))
    client.post("/webhook", json=make_payload(alertname="SlowLLM"))

    page = client.get("/").text

    assert page.index("alertname=SlowLLM") < page.index("alertname=HighErrorRate")


def test_page_escapes_labels_annotations_and_receiver(client: TestClient) -> None:
    script = "<script>alert(1)</script>"
    payload = make_payload(receiver=f'"{script}', groupLabels={"alertname": script})
    payload["alerts"][0]["labels"]["instance"] = script
    payload["alerts"][0]["annotations"]["description"] = f"<b onmouseover='x'>{script}"
    client.post("/webhook", json=payload)

    page = client.get("/").text

    assert "<script>" not in page
    assert "<b " not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&lt;script&gt;" in page


def test_page_refresh_follows_the_setting(client: TestClient) -> None:
    assert 'http-equiv="refresh"' not in client.get("/").text

    client.app.state.settings.ALERT_RECEIVER_PAGE_REFRESH_SECONDS = 7

    assert '<meta http-equiv="refresh" content="7">' in client.get("/").text


def test_an_alerts_runbook_is_linked_relative_to_the_page(client: TestClient) -> None:
    payload = make_payload()
    payload["alerts"][0]["annotations"]["runbook_url"] = (
        "http://127.0.0.1:5001/runbooks#higherrorrate"
    )
    client.post("/webhook", json=payload)
    script = make_payload()
    script["alerts"][0]["annotations"]["runbook_url"] = "javascript:alert(1)"
    client.post("/webhook", json=script)

    page = client.get("/").text

    assert '<a href="runbooks#higherrorrate">runbook</a>' in page
    assert "javascript:" not in page
