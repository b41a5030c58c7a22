"""The receiver as a real process keeps its history through kill -9, and stays small and fast
under floods of huge notifications (issue 11's rows "receiver killed and restarted" and
"30 webhook payloads of 10,000 alerts each")."""

import signal
import time
from collections.abc import Callable
from typing import Any

import httpx

from playground.core.polling import wait_until
from tests.support.alert_receiver import make_payload
from tests.support.procfs import rss_bytes

FLOOD_PAYLOADS = 30
FLOOD_ALERTS = 10_000
RSS_LIMIT_BYTES = 150 * 1024 * 1024
DEFAULT_GET_LIMIT_SECONDS = 0.100


def _kill_9(started: Any) -> None:
    started.process._popen.send_signal(signal.SIGKILL)  # type: ignore[union-attr]
    assert wait_until(lambda: started.process.returncode is not None, 10)


def test_notifications_and_ids_survive_kill_9_and_a_restart(
    start_receiver: Callable[..., Any],
) -> None:
    first = start_receiver()
    for status in ("firing", "resolved", "firing"):
        response = httpx.post(
            f"{first.url}/webhook", json=make_payload(status=status), trust_env=False
        )
        assert response.status_code == 200
    before = httpx.get(f"{first.url}/api/notifications", trust_env=False).json()

    _kill_9(first)
    second = start_receiver()

    after = httpx.get(f"{second.url}/api/notifications", trust_env=False).json()
    assert after["notifications"] == before["notifications"]
    assert [n["id"] for n in after["notifications"]] == [3, 2, 1]
    response = httpx.post(f"{second.url}/webhook", json=make_payload(), trust_env=False)
    assert response.json()["id"] == 4
    metrics = httpx.get(f"{second.url}/metrics", trust_env=False).text
    assert "alert_receiver_stored_notifications 4.0" in metrics


def test_ids_are_not_reused_after_the_newest_is_evicted_and_the_process_killed(
    start_receiver: Callable[..., Any],
) -> None:
    first = start_receiver(MAX_NOTIFICATIONS="1")
    for _ in range(3):
        httpx.post(f"{first.url}/webhook", json=make_payload(), trust_env=False)
    _kill_9(first)

    second = start_receiver(MAX_NOTIFICATIONS="1")

    [kept] = httpx.get(f"{second.url}/api/notifications", trust_env=False).json()["notifications"]
    assert kept["id"] == 3
    assert (
        httpx.post(f"{second.url}/webhook", json=make_payload(), trust_env=False).json()["id"] == 4
    )


def _flood_payload(make_payload: Callable[..., dict[str, Any]], number: int) -> dict[str, Any]:
    """One group of FLOOD_ALERTS alerts, each shaped like the project's own (labels,
    summary, description with a value, generatorURL, fingerprint)."""
    payload = make_payload(alertname="FloodTest")
    template = payload["alerts"][0]
    payload["alerts"] = [
        {
            **template,
            "labels": {**template["labels"], "instance": f"host-{number}-{i}:8000"},
            "annotations": {
                "summary": "More than 5% of requests fail.",
                "description": f"Flood {number}: alert {i} of {FLOOD_ALERTS}, 7.3% of requests.",
                "runbook_url": "http://127.0.0.1:5001/runbooks#higherrorrate",
            },
            "fingerprint": f"{number:04x}{i:012x}",
        }
        for i in range(FLOOD_ALERTS)
    ]
    return payload


def test_thirty_floods_of_ten_thousand_alerts_stay_under_150_mb_and_a_default_get_is_fast(
    start_receiver: Callable[..., Any],
) -> None:
    # Default bounds: the flood must fit the documented defaults, not test-only ones.
    receiver = start_receiver()
    pid = receiver.process.pid
    assert pid is not None
    sizes = []
    with httpx.Client(base_url=receiver.url, trust_env=False, timeout=60) as client:
        for number in range(FLOOD_PAYLOADS):
            body = httpx.Request("POST", "/", json=_flood_payload(make_payload, number)).content
            sizes.append(len(body))
            response = client.post(
                "/webhook", content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code == 200, response.text

        rss = rss_bytes(pid)
        # The best of a few: one GET can lose its core to another test process.
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            page = client.get("/api/notifications")
            timings.append(time.perf_counter() - started)
        newest = client.get(f"/api/notifications/{FLOOD_PAYLOADS}").json()
        metrics = client.get("/metrics").text

    assert rss < RSS_LIMIT_BYTES, f"RSS {rss / 2**20:.0f} MiB after bodies of {max(sizes)} B"
    assert min(timings) < DEFAULT_GET_LIMIT_SECONDS, timings
    listed = page.json()["notifications"]
    assert listed[0]["id"] == FLOOD_PAYLOADS
    assert listed[0]["alerts_total"] == FLOOD_ALERTS
    assert listed[0]["alerts"] == newest["alerts"][: len(listed[0]["alerts"])]
    assert len(newest["alerts"]) == FLOOD_ALERTS
    # The default store (128 MiB) cannot hold 30 floods of ~5 MB: the oldest went first.
    assert listed[-1]["id"] > 1
    assert [n["id"] for n in listed] == list(range(FLOOD_PAYLOADS, listed[-1]["id"] - 1, -1))
    assert f"alert_receiver_evicted_notifications_total {listed[-1]['id'] - 1}.0" in metrics
