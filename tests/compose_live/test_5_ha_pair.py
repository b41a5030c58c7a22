"""The `ha` profile: `docker compose --profile ha up` adds alertmanager_2, the pair gossips,
Prometheus sends every alert to both (found by DNS under the one name `alertmanager`), and
the receiver hears each notification once, before and after the first one is killed.

The module brings the profile up, kills `alertmanager` with SIGKILL (which Docker then
leaves down: see test_5_replica_dies), and ends with the default stack as it found it:
alertmanager started again, alertmanager_2 removed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml

from playground.core.clients import AlertmanagerClient, ReceiverClient
from playground.core.paths import REPO_ROOT
from playground.core.polling import wait_until
from playground.scenarios.predictions import seconds
from tests.compose_live.stack import Compose, Urls, wait_for
from tests.support.alertmanager_pair import (
    PEER_TIMEOUT_SECONDS,
    alert,
    cluster_ready,
    post_to_each,
)

SOURCE = "tests/compose_live/test_5_ha_pair.py"
GROUP_WAIT = seconds(
    yaml.safe_load((REPO_ROOT / "alertmanager" / "alertmanager.yml").read_text())["route"][
        "group_wait"
    ]
)
# First notification of a new group: group_wait, plus the second's peer-timeout wait when
# the first is gone, plus a margin for a loaded machine.
DECIDE_SECONDS = GROUP_WAIT + PEER_TIMEOUT_SECONDS + 15.0


@pytest.fixture(scope="module")
def pair(stack: Compose, urls: Urls, ports: dict[str, int]) -> Iterator[list[AlertmanagerClient]]:
    stack.up(services=(*stack.services, "alertmanager_2"), profiles=("ha",))
    managers = [
        AlertmanagerClient(urls.alertmanager),
        AlertmanagerClient(f"http://127.0.0.1:{ports['ALERTMANAGER_2_PORT']}"),
    ]
    yield managers
    for manager in managers:
        manager.close()
    stack.run("--profile", "ha", "rm", "--stop", "--force", "alertmanager_2")
    stack.up()


def firing(receiver: ReceiverClient, name: str) -> list[dict]:
    return receiver.notifications(status="firing", alertname=name, limit=50)


def duplicated(receiver: ReceiverClient, *names: str) -> bool:
    return any(len(firing(receiver, name)) > 1 for name in names)


def test_the_pair_gossips_and_prometheus_sends_to_both(
    pair: list[AlertmanagerClient], urls: Urls
) -> None:
    def both_ready() -> bool | str:
        ready = all(cluster_ready(manager, 2) for manager in pair)
        return ready or f"cluster status: {[manager.cluster() for manager in pair]}"

    wait_for("a cluster of two, ready on both", both_ready, 60)

    def prometheus_sends_to_two() -> list | str:
        found = httpx.get(f"{urls.prometheus}/api/v1/alertmanagers", timeout=10).json()
        active = {a["url"] for a in found["data"]["activeAlertmanagers"]}
        return sorted(active) if len(active) == 2 else f"active Alertmanagers: {active}"

    wait_for("Prometheus sending to both Alertmanagers", prometheus_sends_to_two, 30)


def test_each_notification_arrives_once_before_and_after_a_kill(
    pair: list[AlertmanagerClient], stack: Compose, urls: Urls
) -> None:
    first, second = pair
    with ReceiverClient(urls.alert_receiver) as receiver:
        post_to_each(pair, alert("ComposePairDrill", SOURCE))
        wait_for("the pair's notification", lambda: firing(receiver, "ComposePairDrill"), 60)
        silence = first.create_silence(
            {"alertname": "ComposeQuiet"}, datetime.now(UTC) + timedelta(hours=1), "test", "?"
        )
        wait_for(
            "the silence gossiped to the second",
            lambda: silence in {s["id"] for s in second.silences()} or "not yet",
            15,
        )

        stack.run("kill", "-s", "KILL", "alertmanager")
        post_to_each(pair, alert("ComposeAfterKill", SOURCE))
        wait_for("the survivor's notification", lambda: firing(receiver, "ComposeAfterKill"), 90)
        # Watched for a whole decision window: a second copy would have come by then.
        names = ("ComposePairDrill", "ComposeAfterKill")
        assert not wait_until(lambda: duplicated(receiver, *names), DECIDE_SECONDS, 1.0), [
            (name, firing(receiver, name)) for name in names
        ]
        # The survivor keeps the silence made on the one that died.
        assert silence in {s["id"] for s in second.silences()}
