"""Waiting for alerts of an earlier test to be over, on any stack (native or compose)."""

from playground.core.clients import AlertmanagerClient, PrometheusClient, ReceiverClient
from playground.core.polling import wait_until
from playground.scenarios.predictions import AlertConfig, AlertRule, Intervals, alert_config

# Never less than this: a fault's slowest requests (a slow-llm turn takes ~25 s) still end
# after its reset, and this fixed wait served every test before quiet_timeout existed.
QUIET_FLOOR_SECONDS = 180.0


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


def clearing_seconds(rule: AlertRule, intervals: Intervals) -> float:
    """The longest a rule can stay pending or firing, plus its resolved notification, after
    the last bad request: its window must slide past that request (for a burn-rate `and`,
    the shortest clause's window, as that side turns false first), then one scrape, one
    evaluation, and the group's next tick to send `resolved`."""
    windows = [clause.window_seconds for clause in rule.burn_clauses]
    window = min(windows) if windows else rule.window_seconds or 0.0
    return window + intervals.scrape + rule.evaluation_interval + intervals.group_interval


def quiet_timeout(config: AlertConfig, names: tuple[str, ...]) -> float:
    """How long to wait for these alerts to be quiet: twice the slowest one's clearing, and
    QUIET_FLOOR_SECONDS at least.

    Once for an earlier test's alert still clearing, once more for a stray burst of errors
    during the wait (a slow burn-rate alert's long window still holds the earlier test's
    errors, so a handful of 5xx on its short window are enough to make it pending again).
    """
    clearing = [
        clearing_seconds(rule, config.intervals(name))
        for name in names
        for rule in config.rules.get(name, ())
    ]
    return max([QUIET_FLOOR_SECONDS, *(2 * seconds for seconds in clearing)])


def wait_until_quiet(
    prometheus: PrometheusClient,
    alertmanager: AlertmanagerClient,
    receiver: ReceiverClient,
    names: tuple[str, ...],
) -> bool:
    """Polls is_quiet until quiet_timeout of the live configuration; whether it came true."""
    config = alert_config(
        prometheus.rule_groups(), prometheus.config_yaml(), alertmanager.config_yaml()
    )
    return wait_until(
        lambda: is_quiet(prometheus, alertmanager, receiver, names),
        quiet_timeout(config, names),
        1.0,
    )
