"""Waiting for alerts of an earlier test to be over, on any stack (native or compose)."""

from playground.core.clients import AlertmanagerClient, PrometheusClient, ReceiverClient
from playground.core.polling import wait_until

# An earlier test may have fired the same alerts; give them this long to resolve and flush.
QUIET_TIMEOUT_SECONDS = 180.0


def is_quiet(
    prometheus: PrometheusClient,
    alertmanager: AlertmanagerClient,
    receiver: ReceiverClient,
    names: tuple[str, ...],
) -> bool:
    """None of these alerts is active anywhere, and the last word on each was `resolved`.

    Only then has Alertmanager flushed and dropped the alert's group, so the next firing
    starts a new group and is notified after group_wait, as the predictions assume (a group
    that still exists would notify at its next group_interval tick instead).
    """
    if any(a["labels"].get("alertname") in names for a in prometheus.alerts()):
        return False
    if any(a["labels"].get("alertname") in names for a in alertmanager.alerts()):
        return False
    newest: dict[str, str] = {}
    for note in receiver.notifications(limit=200):  # newest first
        for alert in note["alerts"]:
            newest.setdefault(alert["labels"].get("alertname", ""), alert["status"])
    return all(newest.get(name, "resolved") == "resolved" for name in names)


def wait_until_quiet(
    prometheus: PrometheusClient,
    alertmanager: AlertmanagerClient,
    receiver: ReceiverClient,
    names: tuple[str, ...],
) -> bool:
    """Polls is_quiet for up to QUIET_TIMEOUT_SECONDS; whether it came true."""
    return wait_until(
        lambda: is_quiet(prometheus, alertmanager, receiver, names), QUIET_TIMEOUT_SECONDS, 1.0
    )
