"""One demo_app replica of three dies: what Docker does, what Prometheus sees, what fires,
checked against docs/runbooks.md#demoappdown (its "With compose" paragraph).

Two ways to die, because Docker treats them differently:
- a crash (the process killed from outside, as the kernel's OOM killer does): the restart
  policy (`unless-stopped`) starts the container again;
- `docker kill` / `docker compose kill`: a manual stop, which `unless-stopped` honours, so
  the replica stays down and leaves DNS, Prometheus's targets and the gateway.
What may fire is what the runbook says: DemoAppDown for that replica's instance alone (if
its scrapes failed for `for`, 6 s in lab), resolved once the replica is back or is no longer
a target; nothing else (the gateway retries on the other replicas, so no errors).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable

import httpx
import pytest

from tests.compose_live.stack import REPLICAS, Compose, Urls, docker

# How long to watch the alerts after the replica is back (or gone): longer than
# DemoAppDown's `for` (6 s) plus a rule evaluation (5 s) plus a scrape (5 s).
WATCH_AFTER_SECONDS = 20


def inspect(stack: Compose, name: str) -> dict:
    return json.loads(docker("inspect", name, env=stack.env))[0]


def alerts_seen_while(urls: Urls, until: Callable[[], bool], timeout: float) -> set[tuple]:
    """Every (alertname, instance, state) Prometheus reports, polled each second until
    ``until()`` holds and then WATCH_AFTER_SECONDS more."""
    seen: set[tuple] = set()
    deadline = time.monotonic() + timeout
    done_at: float | None = None
    while True:
        response = httpx.get(f"{urls.prometheus}/api/v1/alerts", timeout=10)
        for alert in response.json()["data"]["alerts"]:
            labels = alert["labels"]
            seen.add((labels["alertname"], labels.get("instance", ""), alert["state"]))
        now = time.monotonic()
        if done_at is None and until():
            done_at = now
        if done_at is not None and now - done_at >= WATCH_AFTER_SECONDS:
            return seen
        if now > deadline:
            raise AssertionError(f"the replica's fate did not settle in {timeout:.0f} s: {seen}")
        time.sleep(1)


def runbook_mismatches(seen: set[tuple], now_firing: set[tuple], instance: str) -> list[str]:
    """How the alerts seen differ from docs/runbooks.md#demoappdown for one lost replica."""
    problems = [
        f"{name} ({where}, {state}): only DemoAppDown for {instance} may fire"
        for name, where, state in sorted(seen)
        if (name, where) != ("DemoAppDown", instance)
    ]
    problems += [f"still firing at the end: {alert}" for alert in sorted(now_firing)]
    return problems


def firing_now(urls: Urls) -> set[tuple]:
    alerts = httpx.get(f"{urls.prometheus}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return {
        (a["labels"]["alertname"], a["labels"].get("instance", ""), a["state"])
        for a in alerts
        if a["state"] == "firing"
    }


def test_runbook_check_rejects_other_alerts_and_unresolved_ones() -> None:
    instance = "10.0.0.2:8000"
    assert runbook_mismatches({("DemoAppDown", instance, "firing")}, set(), instance) == []
    assert runbook_mismatches(
        {("HighErrorRate", "", "pending"), ("DemoAppDown", "10.0.0.3:8000", "firing")},
        {("DemoAppDown", instance, "firing")},
        instance,
    ) == [
        "DemoAppDown (10.0.0.3:8000, firing): only DemoAppDown for 10.0.0.2:8000 may fire",
        "HighErrorRate (, pending): only DemoAppDown for 10.0.0.2:8000 may fire",
        f"still firing at the end: ('DemoAppDown', '{instance}', 'firing')",
    ]


def kill_from_outside(pid: int) -> None:
    """SIGKILL to the container's main process from the host, as the OOM killer sends it."""
    if os.geteuid() == 0:
        os.kill(pid, 9)
        return
    result = subprocess.run(["sudo", "-n", "kill", "-9", str(pid)], check=False)
    if result.returncode != 0:
        pytest.skip("cannot signal the container's process from here (not root, no sudo)")


def replica_address(container: dict) -> str:
    (network,) = container["NetworkSettings"]["Networks"].values()
    return f"{network['IPAddress']}:8000"


def test_a_crashed_replica_is_restarted_by_its_policy_and_nothing_fires(
    stack: Compose, urls: Urls
) -> None:
    name = stack.replicas()[1]
    before = inspect(stack, name)
    if not before["State"]["Pid"] or not os.path.exists(f"/proc/{before['State']['Pid']}"):
        pytest.skip("the Docker engine runs elsewhere (a VM): its processes are out of reach")
    assert before["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    kill_from_outside(before["State"]["Pid"])

    def restarted() -> bool:
        state = inspect(stack, name)
        return (
            state["RestartCount"] > before["RestartCount"]
            and state["State"].get("Health", {}).get("Status") == "healthy"
        )

    instance = replica_address(before)
    seen = alerts_seen_while(urls, restarted, timeout=120)
    after = inspect(stack, name)
    assert after["RestartCount"] == before["RestartCount"] + 1, after["State"]
    assert replica_address(after) == instance, "the restarted replica has another address"
    assert runbook_mismatches(seen, firing_now(urls), instance) == [], seen


def test_a_killed_replica_stays_down_leaves_the_targets_and_nothing_fires(
    stack: Compose, urls: Urls
) -> None:
    name = stack.replicas()[2]
    address = replica_address(inspect(stack, name))
    docker("kill", name, env=stack.env)

    def gone() -> bool:
        targets = httpx.get(f"{urls.prometheus}/api/v1/targets", timeout=10).json()
        addresses = {
            t["labels"]["instance"]
            for t in targets["data"]["activeTargets"]
            if t["labels"]["job"] == "demo_app"
        }
        return address not in addresses and len(addresses) == REPLICAS - 1

    try:
        seen = alerts_seen_while(urls, gone, timeout=60)
        state = inspect(stack, name)
        assert state["State"]["Status"] == "exited", state["State"]
        assert state["RestartCount"] == 0, state["State"]
        assert runbook_mismatches(seen, firing_now(urls), address) == [], seen
        # The gateway dropped it too: every request is answered by the other two.
        with httpx.Client(base_url=urls.demo_app, timeout=10) as client:
            codes = [client.get("/api/v1/customers/cus_00001").status_code for _ in range(20)]
        assert set(codes) == {200}, codes
    finally:
        # Back to three replicas for the next module, as a user would: `up` again.
        stack.up()
