"""What the named volumes promise (compose.yaml, docs/compose.md): `docker compose down` and
`up` keep Prometheus's history, Alertmanager's silences, the receiver's notifications, the
admin token and Grafana's password; `down -v` forgets them all. This module ends the
session's stack."""

from __future__ import annotations

import datetime
import subprocess
import time

import httpx
import pytest

from tests.compose_live.stack import PROJECT, STANDINS, Compose, Urls, wait_for

GRAFANA_PASSWORD_FILE = "/var/lib/grafana/admin-password"


def grafana_password(stack: Compose) -> str | None:
    if "grafana" not in stack.services:
        return None
    return stack.exec("grafana", 1, "cat", GRAFANA_PASSWORD_FILE).strip()


def notification_ids(urls: Urls) -> set[int]:
    response = httpx.get(f"{urls.alert_receiver}/api/notifications", timeout=10)
    response.raise_for_status()
    return {note["id"] for note in response.json()["notifications"]}


def test_down_and_up_keep_history_silences_notifications_and_secrets(
    stack: Compose, urls: Urls, admin_token: str
) -> None:
    now = datetime.datetime.now(datetime.UTC)
    silence = {
        "matchers": [{"name": "alertname", "value": "PersistenceCheck", "isRegex": False}],
        "startsAt": now.isoformat(),
        "endsAt": (now + datetime.timedelta(hours=1)).isoformat(),
        "createdBy": "make test-compose",
        "comment": "must survive docker compose down",
    }
    created = httpx.post(f"{urls.alertmanager}/api/v2/silences", json=silence, timeout=10)
    assert created.status_code == 200, created.text
    silence_id = created.json()["silenceID"]
    password = grafana_password(stack)
    # The scenarios earlier in the session left notifications on the alert_receiver_data volume.
    kept_before = notification_ids(urls)
    assert kept_before, "the receiver holds no notification to keep (run after test_3)"
    # A span Prometheus has certainly scraped itself in, ending now.
    end = time.time()
    start = end - 30

    stack.run("down", timeout=180)
    assert not [c for c in stack.containers() if c["State"] == "running"]
    stack.up()

    def history() -> list | str:
        response = httpx.get(
            f"{urls.prometheus}/api/v1/query_range",
            params={"query": 'up{job="prometheus"}', "start": start, "end": end, "step": 5},
            timeout=10,
        )
        result = response.json()["data"]["result"]
        return result if result and result[0]["values"] else f"range query: {result}"

    history_after = wait_for("samples from before `down`", history, timeout=30)
    assert len(history_after[0]["values"]) >= 3, history_after

    kept = httpx.get(f"{urls.alertmanager}/api/v2/silence/{silence_id}", timeout=10)
    assert kept.status_code == 200, f"silence {silence_id} lost: {kept.status_code} {kept.text}"
    assert kept.json()["status"]["state"] == "active", kept.json()

    assert kept_before <= notification_ids(urls), "the receiver lost notifications"

    token_after = stack.exec("demo_app", 1, "cat", "/var/lib/demo_app/admin-token").strip()
    assert token_after == admin_token
    assert grafana_password(stack) == password


@pytest.mark.skipif(bool(STANDINS), reason="Grafana has no stand-in: not run here")
def test_grafana_password_survives_down_and_up(stack: Compose) -> None:
    """Covered inside the test above whenever Grafana runs; here so a stand-in run says
    plainly that it was not checked."""
    assert grafana_password(stack)


def test_down_with_volumes_leaves_no_volume(stack: Compose) -> None:
    stack.run(
        "--profile", "load", "--profile", "ha", "down", "--volumes", "--remove-orphans", timeout=180
    )
    volumes = subprocess.run(
        [
            "docker",
            "volume",
            "ls",
            "--quiet",
            "--filter",
            f"label=com.docker.compose.project={PROJECT}",
        ],
        env=stack.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert volumes == [], volumes
