"""The receiver as a real process (`python -m alert_receiver` under uvicorn), and fed by a
real Alertmanager: the payloads it accepts are the ones Alertmanager really sends."""

import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from alert_receiver.routes.notifications import MAX_LIMIT
from alert_receiver.store import LISTED_ALERTS
from playground.core.clients import ReceiverClient
from playground.core.net import free_port
from playground.core.polling import wait_until
from playground.core.settings import PlaygroundSettings
from playground.native.processes import ManagedProcess, stop_processes
from playground.native.tools import Tools
from tests.support.alert_receiver import make_payload

# group_wait 0s and group_interval 1s below: Alertmanager notifies within a second or two.
DELIVERY_TIMEOUT_SECONDS = 20


@pytest.fixture
def receiver(start_receiver: Callable[..., Any]) -> tuple[str, ManagedProcess]:
    started = start_receiver(MAX_BODY_BYTES="4096")
    return started.url, started.process


def test_receiver_process_keeps_a_notification_and_counts_it(
    receiver: tuple[str, ManagedProcess],
) -> None:
    url, _ = receiver

    response = httpx.post(f"{url}/webhook", json=make_payload(), trust_env=False)

    assert response.status_code == 200
    with ReceiverClient(url) as client:
        [kept] = client.notifications(status="firing", alertname="HighErrorRate")
    assert kept["id"] == response.json()["id"]
    metrics = httpx.get(f"{url}/metrics", trust_env=False).text
    assert 'alert_receiver_notifications_total{status="firing"} 1.0' in metrics


def test_receiver_process_refuses_a_huge_body_and_stays_up(
    receiver: tuple[str, ManagedProcess],
) -> None:
    url, process = receiver

    response = httpx.post(
        f"{url}/webhook",
        content=b"[" * 1_000_000,
        headers={"content-type": "application/json"},
        trust_env=False,
    )

    assert response.status_code == 413
    assert "4096 bytes" in response.json()["detail"]
    assert httpx.get(f"{url}/health", trust_env=False).status_code == 200
    assert process.returncode is None


def test_receiver_process_shuts_down_gracefully_on_sigterm(
    receiver: tuple[str, ManagedProcess],
) -> None:
    _, process = receiver
    assert process.pid is not None

    process._popen.send_signal(signal.SIGTERM)  # type: ignore[union-attr]

    assert wait_until(lambda: process.returncode is not None, 10)
    # uvicorn shuts down gracefully, then re-raises the signal it caught
    # (uvicorn/server.py, capture_signals), so the exit status is "killed by SIGTERM".
    assert process.returncode == -signal.SIGTERM
    assert "Application shutdown complete." in process.log_tail(), process.log_excerpt()


_ALERTMANAGER_CONFIG = """
route:
  receiver: playground
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: playground
    webhook_configs:
      - url: {receiver_url}/webhook
        send_resolved: true
"""


@pytest.mark.tools
def test_real_alertmanager_notifications_are_kept_firing_then_resolved(
    receiver: tuple[str, ManagedProcess],
    tmp_path: Path,
    start_process: Callable[..., ManagedProcess],
) -> None:
    receiver_url, _ = receiver
    config = tmp_path / "alertmanager.yml"
    config.write_text(_ALERTMANAGER_CONFIG.format(receiver_url=receiver_url))
    port = free_port()
    am_url = f"http://127.0.0.1:{port}"
    tools = Tools(PlaygroundSettings(_env_file=None))
    binary = tools.alertmanager(tmp_path / "tools")
    alertmanager = start_process(
        "alertmanager",
        [
            str(binary.path),
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            f"--web.external-url={am_url}/",
            "--cluster.listen-address=",
        ],
        {},
        f"{am_url}/-/ready",
        cwd=binary.cwd,
    )
    alert = {
        "labels": {"alertname": "ReceiverRoundTrip", "severity": "info", "job": "test"},
        "annotations": {"summary": "Sent by the receiver's test.", "description": "<b>x</b>"},
        "generatorURL": "http://127.0.0.1:9090/graph",
    }
    try:
        with ReceiverClient(receiver_url) as client:
            started = datetime.now(UTC)
            httpx.post(
                f"{am_url}/api/v2/alerts",
                json=[{**alert, "startsAt": started.isoformat()}],
                trust_env=False,
            ).raise_for_status()
            firing = wait_until(
                lambda: client.notifications(status="firing"), DELIVERY_TIMEOUT_SECONDS
            )
            assert firing, alertmanager.log_excerpt()

            httpx.post(
                f"{am_url}/api/v2/alerts",
                json=[
                    {
                        **alert,
                        "startsAt": started.isoformat(),
                        "endsAt": datetime.now(UTC).isoformat(),
                    }
                ],
                trust_env=False,
            ).raise_for_status()
            resolved = wait_until(
                lambda: client.notifications(status="resolved"), DELIVERY_TIMEOUT_SECONDS
            )
            assert resolved, alertmanager.log_excerpt()
    finally:
        stop_processes([alertmanager], timeout=5)

    notification = firing[-1]
    assert notification["version"] == "4"
    assert notification["receiver"] == "playground"
    assert notification["externalURL"] == am_url
    assert notification["groupLabels"] == {"alertname": "ReceiverRoundTrip"}
    [alert_seen] = notification["alerts"]
    assert alert_seen["labels"] == alert["labels"]
    assert alert_seen["annotations"] == alert["annotations"]
    assert alert_seen["fingerprint"]
    assert alert_seen["endsAt"] == "0001-01-01T00:00:00Z"
    assert resolved[0]["alerts"][0]["status"] == "resolved"
    assert resolved[0]["alerts"][0]["fingerprint"] == alert_seen["fingerprint"]


def test_the_client_follows_the_cursor_and_fetches_every_alert(
    start_receiver: Callable[..., Any],
) -> None:
    # A response budget so small that every page holds one notification.
    receiver = start_receiver(MAX_RESPONSE_BYTES="1024")
    big = make_payload(alertname="Big")
    big["alerts"] = [
        {**big["alerts"][0], "labels": {"alertname": "Big", "instance": str(i)}}
        for i in range(LISTED_ALERTS + 3)
    ]
    for payload in (make_payload(), big, make_payload(status="resolved")):
        assert httpx.post(f"{receiver.url}/webhook", json=payload, trust_env=False).is_success

    with ReceiverClient(receiver.url) as client:
        every = client.notifications()
        two = client.notifications(limit=2)
        firing = client.notifications(status="firing")

    assert [n["id"] for n in every] == [3, 2, 1]
    assert len(every[1]["alerts"]) == LISTED_ALERTS + 3
    assert [n["id"] for n in two] == [3, 2]
    assert [n["id"] for n in firing] == [2, 1]


def test_the_clients_page_size_is_the_apis_largest() -> None:
    assert ReceiverClient.PAGE_LIMIT == MAX_LIMIT
