"""Driving an Alertmanager HA pair the way Prometheus does, for the native and compose tests."""

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from playground.core.clients import AlertmanagerClient, StackApiError

# --cluster.peer-timeout's default: the second of a pair waits this long per position
# before it notifies, unless the gossip says the first one already did.
PEER_TIMEOUT_SECONDS = 15.0


def alert(name: str, source: str = "a playground test") -> dict[str, Any]:
    """A firing alert as Prometheus sends it (valid for 10 minutes unless sent again)."""
    now = datetime.now(UTC)
    return {
        "labels": {"alertname": name, "severity": "critical", "job": "crash_test"},
        "annotations": {"summary": f"Posted by {source}."},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=10)).isoformat(),
    }


def cluster_ready(manager: AlertmanagerClient, members: int) -> bool:
    cluster = manager.cluster()
    return cluster["status"] == "ready" and len(cluster["peers"]) == members


def post_to_each(managers: list[AlertmanagerClient], payload: dict[str, Any]) -> None:
    """As Prometheus does with the pair: every alert to every Alertmanager that answers."""
    for manager in managers:
        # A dead one is skipped, as Prometheus skips it.
        with contextlib.suppress(StackApiError):
            manager.post_alerts([payload])
