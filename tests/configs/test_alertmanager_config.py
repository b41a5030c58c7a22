"""alertmanager/alertmanager.yml: valid for amtool, every alert of the rules routed to the
receiver of its severity, notifications only to the playground's webhook, and DemoAppDown
inhibiting its symptoms in a real Alertmanager."""

import re
import time
from typing import Any

import httpx
import pytest

from playground.core.net import free_port

RECEIVER_URL = "http://alert_receiver:5001/webhook"
INHIBITION_SOURCE = "DemoAppDown"
# Alerts DemoAppDown must not hide: itself, and the marker of the fault a learner switched on.
NOT_INHIBITED = {"DemoAppDown", "DemoAppFaultActive"}


def _alert_label_sets(repo) -> list[dict[str, str]]:
    """The labels each alerting rule gives its alerts, with the `job` every rule keeps."""
    return [
        {"alertname": rule["alert"], "job": "demo_app", **rule["labels"]}
        for rule in repo.alerts("realistic")
    ]


def _inhibited_names(config: dict[str, Any]) -> set[str]:
    (rule,) = config["inhibit_rules"]
    (matcher,) = rule["target_matchers"]
    pattern = re.fullmatch(r'alertname=~"(.+)"', matcher)
    assert pattern, matcher
    return set(pattern.group(1).split("|"))


@pytest.mark.tools
def test_amtool_accepts_the_config(tools, repo) -> None:
    tools.run_ok(tools.amtool, "check-config", repo.alertmanager_config)


def _assert_routed(tools, repo, receiver: str, labels: dict[str, str]) -> None:
    """amtool exits non-zero unless the labels reach exactly that receiver."""
    tools.run_ok(
        tools.amtool,
        "config",
        "routes",
        "test",
        f"--config.file={repo.alertmanager_config}",
        f"--verify.receivers={receiver}",
        *(f"{name}={value}" for name, value in labels.items()),
    )


@pytest.mark.tools
def test_every_alert_routes_to_the_receiver_named_after_its_severity(tools, repo) -> None:
    label_sets = _alert_label_sets(repo)
    assert len(label_sets) >= 9
    for labels in label_sets:
        _assert_routed(tools, repo, labels["severity"], labels)


@pytest.mark.tools
def test_an_alert_without_severity_reaches_the_catch_all_receiver(tools, repo) -> None:
    _assert_routed(tools, repo, "unrouted", {"alertname": "SomethingNew", "job": "demo_app"})


def test_every_receiver_posts_to_the_alert_receiver_and_sends_resolved(repo) -> None:
    config = repo.load(repo.alertmanager_config)
    assert "global" not in config or not any("smtp" in key for key in config["global"])
    for receiver in config["receivers"]:
        assert set(receiver) == {"name", "webhook_configs"}, receiver["name"]
        for webhook in receiver["webhook_configs"]:
            assert webhook == {"url": RECEIVER_URL, "send_resolved": True}


def test_grouping_and_timing_suit_a_lab(repo) -> None:
    route = repo.load(repo.alertmanager_config)["route"]
    assert route["group_by"] == ["alertname"]
    assert (route["group_wait"], route["group_interval"], route["repeat_interval"]) == (
        "10s",
        "30s",
        "1h",
    )


def test_demo_app_down_inhibits_every_other_alert_but_the_fault_marker(repo) -> None:
    config = repo.load(repo.alertmanager_config)
    (rule,) = config["inhibit_rules"]
    assert rule["source_matchers"] == [f'alertname="{INHIBITION_SOURCE}"']
    assert rule["equal"] == ["job"]
    alert_names = {rule["alert"] for rule in repo.alerts("realistic")}
    assert _inhibited_names(config) == alert_names - NOT_INHIBITED


@pytest.fixture
def alertmanager(repo, start_alertmanager) -> str:
    """A real Alertmanager with the playground's config on a free port; returns its URL.

    The webhook points at a closed loopback port: delivery fails quietly, and nothing leaves
    the machine.
    """
    config = repo.load(repo.alertmanager_config)
    closed = f"http://127.0.0.1:{free_port()}/webhook"
    for receiver in config["receivers"]:
        receiver["webhook_configs"] = [{"url": closed, "send_resolved": True}]
    return start_alertmanager(config)


@pytest.mark.tools
def test_a_real_alertmanager_mutes_the_symptoms_of_demo_app_down_only(
    repo, alertmanager: str
) -> None:
    firing = [
        {**labels, "instance": "demo_app:8000"}
        if labels["alertname"] == INHIBITION_SOURCE
        else labels
        for labels in _alert_label_sets(repo)
    ]
    # The same symptom from another job must still notify: `equal: [job]`.
    firing.append({"alertname": "HighErrorRate", "job": "other_app", "severity": "critical"})
    response = httpx.post(
        f"{alertmanager}/api/v2/alerts",
        json=[{"labels": labels, "annotations": {"summary": "Test."}} for labels in firing],
        timeout=5,
    )
    assert response.status_code == 200, response.text

    def muted_by_demo_app_down(alert: dict[str, Any]) -> bool:
        return bool(alert["status"]["inhibitedBy"])

    expected = {
        (labels["alertname"], labels["job"], labels.get("burn", "")): (
            labels["alertname"] not in NOT_INHIBITED and labels["job"] == "demo_app"
        )
        for labels in firing
    }
    deadline = time.monotonic() + 10
    while True:
        alerts = httpx.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
        seen = {
            (
                a["labels"]["alertname"],
                a["labels"]["job"],
                a["labels"].get("burn", ""),
            ): muted_by_demo_app_down(a)
            for a in alerts
        }
        if seen == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert seen == expected
