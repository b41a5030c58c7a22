"""compose.yaml is valid, comes up healthy at three replicas, Prometheus scrapes all of it,
and every container keeps the safe defaults: a memory limit, a non-root user, loopback ports."""

from __future__ import annotations

import json

import yaml

from tests.compose_live.stack import (
    REPLICAS,
    REPO_ROOT,
    Compose,
    Urls,
    docker,
    prometheus_query,
    wait_for,
)


def expected_targets(running: dict[str, int]) -> dict[str, int]:
    """How many targets each job of prometheus/prometheus.yml must have: one per static
    target, and for a job found by DNS, one per running container of the service it names
    (none for Locust while the `load` profile is off)."""
    config = yaml.safe_load((REPO_ROOT / "prometheus" / "prometheus.yml").read_text())
    expected = {}
    for job in config["scrape_configs"]:
        static = sum(len(group["targets"]) for group in job.get("static_configs", []))
        by_dns = sum(
            running.get(name, 0) for sd in job.get("dns_sd_configs", []) for name in sd["names"]
        )
        if static + by_dns:
            expected[job["job_name"]] = static + by_dns
    return expected


def test_compose_config_is_valid(compose: Compose) -> None:
    compose.run("config", "--quiet")
    compose.run("--profile", "load", "--profile", "ha", "config", "--quiet")


def test_every_service_comes_up_healthy_with_three_replicas(stack: Compose) -> None:
    containers = stack.containers()
    seen = {c["Name"]: (c["Service"], c["State"], c.get("Health", "")) for c in containers}
    unhealthy = {name: state for name, state in seen.items() if state[1:] != ("running", "healthy")}
    assert not unhealthy, f"not running and healthy: {unhealthy}\n{stack.diagnostics()}"
    assert sorted({service for service, _, _ in seen.values()}) == sorted(stack.services), seen
    assert len(stack.replicas()) == REPLICAS, seen


def test_prometheus_scrapes_three_replicas_and_every_other_target(stack: Compose, urls: Urls):
    """Every job's targets are there and up: demo_app's three replicas (found by DNS), and
    one target per running service or fixed address for every other job."""
    running: dict[str, int] = {}
    for container in stack.containers():
        running[container["Service"]] = running.get(container["Service"], 0) + 1
    expected = expected_targets(running)
    assert expected["demo_app"] == REPLICAS, expected

    def targets() -> dict[str, list[str]] | str:
        found: dict[str, list[str]] = {}
        for series in prometheus_query(urls.prometheus, "up"):
            found.setdefault(series["metric"]["job"], []).append(series["value"][1])
        counts = {job: len(values) for job, values in found.items()}
        all_up = all(value == "1" for values in found.values() for value in values)
        # A string is "not yet" for wait_for, and is what it reports on timeout.
        return found if counts == expected and all_up else f"up by job: {found}"

    wait_for(f"every target up: {expected}", targets, timeout=60)


def inspect_all(stack: Compose) -> list[dict]:
    ids = [c["ID"] for c in stack.containers()]
    return json.loads(docker("inspect", *ids, env=stack.env))


def test_every_container_has_its_memory_limit(stack: Compose) -> None:
    config = json.loads(stack.run("config", "--format", "json").stdout)
    limits = {
        name: service["deploy"]["resources"]["limits"]["memory"]
        for name, service in config["services"].items()
    }
    for container in inspect_all(stack):
        service = container["Config"]["Labels"]["com.docker.compose.service"]
        # `docker compose config` prints limits in bytes (as strings or numbers).
        assert container["HostConfig"]["Memory"] == int(limits[service]), (
            container["Name"],
            container["HostConfig"]["Memory"],
            limits[service],
        )


def test_every_process_in_every_container_runs_as_non_root(stack: Compose) -> None:
    for container in inspect_all(stack):
        # `docker top` reads the processes as the kernel sees them, not what the image says.
        table = docker("top", container["Id"], "-eo", "uid,pid,comm", env=stack.env)
        rows = [line.split() for line in table.splitlines()[1:] if line.strip()]
        assert rows, f"{container['Name']}: no processes"
        as_root = [row for row in rows if row[0] in {"0", "root"}]
        assert not as_root, f"{container['Name']} runs as root: {as_root}"


def test_only_loopback_ports_are_published(stack: Compose) -> None:
    for container in inspect_all(stack):
        for port, bindings in (container["NetworkSettings"]["Ports"] or {}).items():
            for binding in bindings or []:
                assert binding["HostIp"] == "127.0.0.1", (container["Name"], port, binding)
