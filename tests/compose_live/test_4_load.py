"""The `load` profile: the Locust master and two workers come up healthy, and the load they
generate reaches every demo_app replica (through the gateway, like every other client).

Further checks of Locust in compose take the `load_profile` fixture (conftest.py), which
brings the profile up once for this module and removes it afterwards."""

from __future__ import annotations

import time

import httpx

from tests.compose_live.stack import (
    REPLICAS,
    Compose,
    Urls,
    prometheus_query,
    replica_request_counts,
    wait_for,
)

WORKERS = 2
# How long the swarm runs: the scenario's first users start within a second or two.
SWARM_SECONDS = 20
CUSTOMER = "/api/v1/customers/{customer_id}"
MESSAGES = "/api/v1/messages"


def locust_report(urls: Urls) -> dict:
    return httpx.get(f"{urls.locust}/stats/requests", timeout=10).json()


def master_total(report: dict) -> int:
    """Every request the master counted, over all workers (its "Aggregated" row)."""
    return next((s["num_requests"] for s in report["stats"] if s["name"] == "Aggregated"), 0)


def scraped_total(urls: Urls) -> float | None:
    """The same count as Prometheus last scraped it from the master's /metrics."""
    found = prometheus_query(urls.prometheus, 'sum(locust_requests_total{job="locust"})')
    return float(found[0]["value"][1]) if found else None


def test_locust_master_and_two_workers_are_healthy(load_profile: Compose, urls: Urls) -> None:
    containers = [
        c for c in load_profile.containers("load") if c["Service"] in {"locust", "locust_worker"}
    ]
    states = {c["Name"]: (c["State"], c.get("Health", "")) for c in containers}
    assert len(states) == 1 + WORKERS, states
    assert set(states.values()) == {("running", "healthy")}, states

    def workers() -> list[dict] | str:
        found = locust_report(urls).get("workers", [])
        return found if len(found) == WORKERS else f"workers: {found}"

    wait_for(f"{WORKERS} workers connected to the master", workers, timeout=30)


def test_locust_load_reaches_every_replica(load_profile: Compose, urls: Urls) -> None:
    handlers = (CUSTOMER, MESSAGES)
    before = {handler: replica_request_counts(load_profile, handler) for handler in handlers}
    started = httpx.post(
        f"{urls.locust}/swarm", data={"user_count": 10, "spawn_rate": 10}, timeout=10
    )
    assert started.status_code == 200 and started.json().get("success"), started.text
    try:

        def running() -> dict | str:
            report = locust_report(urls)
            total = master_total(report)
            busy = report.get("user_count", 0) > 0 and total > 0
            return report if busy else f"state {report.get('state')}, {total} requests"

        wait_for("Locust's users sending requests", running, timeout=30)
        time.sleep(SWARM_SECONDS)
    finally:
        httpx.get(f"{urls.locust}/stop", timeout=10)
    report = locust_report(urls)
    after = {handler: replica_request_counts(load_profile, handler) for handler in handlers}
    got = {
        name: sum(after[h][name] - before[h].get(name, 0.0) for h in handlers)
        for name in after[CUSTOMER]
    }
    assert len(got) == REPLICAS, got
    # The gateway takes turns; half of a fair share is the least any replica may get.
    fair_share = sum(got.values()) / REPLICAS
    assert fair_share > 0 and all(count >= fair_share / 2 for count in got.values()), (
        f"Locust's requests per replica: {got}; Locust's own totals: "
        f"{[(s['name'], s['num_requests']) for s in report.get('stats', [])]}\n"
        f"{load_profile.diagnostics()}"
    )


def test_prometheus_scrapes_the_master_with_both_workers_counted(
    load_profile: Compose, urls: Urls
) -> None:
    """The master's /metrics covers every worker: Prometheus finds it by DNS (job locust),
    sees two workers, and, once the swarm has stopped, its request total equals the one
    Locust's own web API reports (the sum over both workers' reports)."""
    started = httpx.post(
        f"{urls.locust}/swarm", data={"user_count": 10, "spawn_rate": 10}, timeout=10
    )
    assert started.status_code == 200 and started.json().get("success"), started.text
    try:

        def scraped_with_both_workers() -> list | str:
            up = prometheus_query(urls.prometheus, 'up{job="locust"} == 1')
            workers = prometheus_query(urls.prometheus, 'locust_workers{job="locust"}')
            seen = [float(s["value"][1]) for s in workers]
            busy = (scraped_total(urls) or 0) > 0
            return workers if up and seen == [WORKERS] and busy else f"up {up}, workers {seen}"

        wait_for("job locust up, with 2 workers and requests", scraped_with_both_workers, 60)
        time.sleep(SWARM_SECONDS / 2)
    finally:
        httpx.get(f"{urls.locust}/stop", timeout=10)

    def totals_agree() -> float | str:
        master, scraped = master_total(locust_report(urls)), scraped_total(urls)
        # Equal once the workers' last reports reached the master and a scrape followed.
        return float(master) if master > 0 and scraped == master else f"{master} vs {scraped}"

    wait_for("Prometheus's locust_requests_total equal to the master's", totals_agree, 30)
