"""`make test-compose`: compose.yaml, unmodified, brought up by Docker Compose and checked.

scripts/test-compose.sh readies the engine (the machine's own, or a private dockerd with
stand-in images when PLAYGROUND_COMPOSE_STANDINS=1) and sets PLAYGROUND_TEST_COMPOSE=1.
Without it every test here is skipped, so `make test` never needs Docker.

One stack serves the whole session, and the files run in the order of their names, each
leaving the stack as it found it unless its name says otherwise:

    test_1_stack        config, `up --build --wait --scale demo_app=3`, targets, limits
    test_2_gateway      admin token, faults, load balancing and SSE through the gateway
    test_3_scenarios    `playground scenario ... --target compose`
    test_3b_incident    `playground incident start one-replica-broken --target compose`
    test_4_load         the `load` profile (the `load_profile` fixture brings Locust up)
    test_5_ha_pair      the `ha` profile: gossip, one notification, a kill of one of the pair
    test_5_replica_dies `docker compose kill` of one replica
    test_6_persistence  `down` and `up` keep state; `down -v` removes it (ends the stack)

The project name is its own (not compose.yaml's), so a user's stack and its volumes are
never touched, and every host port is a free one, passed the way a user overrides .env.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from playground.core.net import free_port
from tests.compose_live.stack import (
    DEFAULT_SERVICES,
    ENABLED,
    NO_STANDIN,
    PORT_VARIABLES,
    STANDINS,
    Compose,
    Urls,
    replica_request_counts,
    standin_banner,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENABLED:
        return
    skip = pytest.mark.skip(reason="needs a Docker engine: run `make test-compose`")
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(skip)


def pytest_report_header(config: pytest.Config) -> list[str]:
    return standin_banner()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in standin_banner():
        terminalreporter.write_line(line, yellow=True, bold=True)


@pytest.fixture(scope="session")
def ports() -> dict[str, int]:
    return {name: free_port() for name in PORT_VARIABLES}


@pytest.fixture(scope="session")
def compose(ports: dict[str, int]) -> Iterator[Compose]:
    """The project, not yet up; everything it made is removed at the end of the session."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLAYGROUND_")}
    # Generated, as on a user's first `up`: the tests read them from the volumes.
    env.pop("DEMO_APP_ADMIN_TOKEN", None)
    env.pop("GRAFANA_ADMIN_PASSWORD", None)
    env.update({name: str(port) for name, port in ports.items()})
    env["ALERT_PROFILE"] = "lab"
    services = tuple(s for s in DEFAULT_SERVICES if not (STANDINS and s in NO_STANDIN))
    project = Compose(env=env, services=services)
    # Whatever an interrupted earlier run left.
    project.run(
        "--profile", "load", "--profile", "ha", "down", "--volumes", "--remove-orphans", timeout=180
    )
    yield project
    project.run(
        "--profile",
        "load",
        "--profile",
        "ha",
        "down",
        "--volumes",
        "--remove-orphans",
        timeout=180,
        check=False,
    )
    print("\ncompose commands and their durations:\n  " + "\n  ".join(project.log))


@pytest.fixture(scope="session")
def stack(compose: Compose) -> Compose:
    """The stack up and healthy: `up --build --wait --scale demo_app=3`."""
    try:
        compose.up()
    except AssertionError as error:
        raise AssertionError(f"{error}\n{compose.diagnostics()}") from None
    return compose


@pytest.fixture(scope="session")
def urls(ports: dict[str, int]) -> Urls:
    def url(name: str) -> str:
        return f"http://127.0.0.1:{ports[name]}"

    return Urls(
        demo_app=url("DEMO_APP_PORT"),
        prometheus=url("PROMETHEUS_PORT"),
        alertmanager=url("ALERTMANAGER_PORT"),
        alert_receiver=url("ALERT_RECEIVER_PORT"),
        grafana=url("GRAFANA_PORT"),
        locust=url("LOCUST_PORT"),
    )


@pytest.fixture(scope="session")
def admin_token(stack: Compose) -> str:
    """The token the first replica generated (test_2 proves every replica has the same)."""
    return stack.exec("demo_app", 1, "cat", "/var/lib/demo_app/admin-token").strip()


@pytest.fixture(scope="session")
def counts_per_replica(stack: Compose) -> Callable[[str], dict[str, float]]:
    return lambda handler: replica_request_counts(stack, handler)


@pytest.fixture(scope="module")
def load_profile(stack: Compose, urls: Urls) -> Iterator[Compose]:
    """The `load` profile up: the Locust master and two workers, healthy, no swarm yet.

    Checks of Locust itself (its web API, its Prometheus metrics) take this fixture; the
    Locust services are stopped and removed when the module ends.
    """
    stack.up(
        "--scale",
        "locust_worker=2",
        services=(*stack.services, "locust", "locust_worker"),
        profiles=("load",),
    )
    yield stack
    httpx.get(f"{urls.locust}/stop", timeout=10)
    stack.run("--profile", "load", "rm", "--stop", "--force", "locust", "locust_worker")
