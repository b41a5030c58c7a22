"""Helpers of the compose checks (tests/compose_live): the project, its URLs, polling."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from playground.core.paths import REPO_ROOT

PROJECT = "observability-playground-test"
# The services of compose.yaml's default profile, and the API's replica count under test.
DEFAULT_SERVICES = (
    "demo_app",
    "demo_app_gateway",
    "alert_receiver",
    "prometheus",
    "alertmanager",
    "grafana",
)
REPLICAS = 3
# Grafana has no Debian package to build a stand-in from, and a fake would prove nothing.
NO_STANDIN = ("grafana",)
# Host ports compose publishes, each replaced by a free one for the test.
PORT_VARIABLES = (
    "DEMO_APP_PORT",
    "ALERT_RECEIVER_PORT",
    "PROMETHEUS_PORT",
    "ALERTMANAGER_PORT",
    "ALERTMANAGER_2_PORT",
    "GRAFANA_PORT",
    "LOCUST_PORT",
)
# Building (first run) and starting in dependency order; compose's own healthcheck timing
# gives each service up to two minutes.
UP_TIMEOUT_SECONDS = 600
WAIT_TIMEOUT_SECONDS = 240
ENABLED = os.environ.get("PLAYGROUND_TEST_COMPOSE") == "1"


@dataclass(frozen=True)
class StandIn:
    """An image built locally under a pinned name, and what it really is."""

    image: str
    description: str


def read_standins() -> list[StandIn]:
    """The stand-ins scripts/standins/build-images.sh built; none with real images."""
    listing = os.environ.get("PLAYGROUND_COMPOSE_STANDINS_LIST")
    if not listing:
        return []
    rows = [line.split("\t", 1) for line in Path(listing).read_text().splitlines() if line]
    if not rows:
        raise RuntimeError(f"{listing} lists no stand-in images: the stand-in build failed")
    return [StandIn(image, description) for image, description in rows]


STANDINS = read_standins() if ENABLED else []
STANDIN_CAVEATS = (
    "A STAND-IN RUN PROVES compose.yaml's wiring (build, healthchecks, order, DNS, volumes,",
    "limits, users, ports, gateway) and the project's own code in containers. IT DOES NOT PROVE:",
    "  - the pinned images themselves: each stand-in is Debian's build, whose version may",
    "    differ from the pin, and the Python base is Debian's python3, not python:<pin>;",
    "  - any web UI: Debian builds Prometheus and Alertmanager without one (APIs only);",
    "  - Grafana at all: there is no stand-in, so it is left out of `up` (its checks skip).",
    "The GitHub workflow (.github/workflows/compose-e2e.yml) runs these checks on real images.",
)


def standin_banner() -> list[str]:
    if not STANDINS:
        return []
    width = max(len(line) for line in STANDIN_CAVEATS) + 4
    lines = ["!" * width, "STAND-IN IMAGES (built here from Debian packages, not pulled):"]
    lines += [f"  {standin.image:38} {standin.description}" for standin in STANDINS]
    lines += ["  grafana: NOT RUN (no stand-in)", *STANDIN_CAVEATS, "!" * width]
    return lines


@dataclass
class Compose:
    """`docker compose` for the test's project: compose.yaml as it is, and the environment
    a user would give it (ports, nothing else)."""

    env: dict[str, str]
    services: tuple[str, ...]
    log: list[str] = field(default_factory=list)

    def run(
        self, *args: str, timeout: float = 120, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        argv = ["docker", "compose", "--project-name", PROJECT, *args]
        started = time.monotonic()
        result = subprocess.run(
            argv,
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        shown = " ".join(arg if len(arg) < 60 and "\n" not in arg else "..." for arg in args)
        self.log.append(f"{time.monotonic() - started:6.1f}s  {shown}")
        if check and result.returncode != 0:
            raise AssertionError(
                f"`docker compose {' '.join(args)}` exited {result.returncode}\n"
                f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
            )
        return result

    def up(
        self, *extra: str, services: tuple[str, ...] | None = None, profiles: tuple[str, ...] = ()
    ) -> None:
        """Build, start and wait until healthy, at the tested replica count."""
        chosen = self.services if services is None else services
        flags = [arg for profile in profiles for arg in ("--profile", profile)]
        self.run(
            *flags,
            "up",
            "--build",
            "--detach",
            "--wait",
            "--wait-timeout",
            str(WAIT_TIMEOUT_SECONDS),
            "--scale",
            f"demo_app={REPLICAS}",
            *extra,
            *chosen,
            timeout=UP_TIMEOUT_SECONDS,
        )

    def containers(self, *profiles: str) -> list[dict[str, Any]]:
        """`docker compose ps --all` as a list of dicts (Service, Name, State, Health...)."""
        flags = [arg for profile in profiles for arg in ("--profile", profile)]
        out = self.run(*flags, "ps", "--all", "--format", "json").stdout
        # Compose prints one JSON object per line (older releases: one array).
        text = out.strip()
        if text.startswith("["):
            return json.loads(text)
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def replicas(self) -> list[str]:
        """The container names of demo_app's replicas, by index."""
        names = [c["Name"] for c in self.containers() if c["Service"] == "demo_app"]
        return sorted(names, key=lambda name: int(name.rsplit("-", 1)[1]))

    def exec(self, service: str, index: int, *argv: str) -> str:
        return self.run(
            "exec", "--no-TTY", "--index", str(index), service, *argv, timeout=60
        ).stdout

    def diagnostics(self) -> str:
        """What a failed check saw: every container's state and the last log lines."""
        state = self.run("--profile", "load", "--profile", "ha", "ps", "--all", check=False).stdout
        logs = self.run(
            "--profile",
            "load",
            "--profile",
            "ha",
            "logs",
            "--no-color",
            "--tail",
            "30",
            check=False,
        ).stdout
        return f"docker compose ps --all:\n{state}\nlast log lines:\n{logs[-8000:]}"


def docker(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(
        ["docker", *args], env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout


@dataclass(frozen=True)
class Urls:
    demo_app: str
    prometheus: str
    alertmanager: str
    alert_receiver: str
    grafana: str
    locust: str


def wait_for(what: str, probe: Callable[[], Any], timeout: float, interval: float = 1.0) -> Any:
    """Poll ``probe`` until it returns something truthy; fail with its last answer."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = probe()
        except (httpx.HTTPError, OSError, ValueError, KeyError) as error:
            last = repr(error)
        else:
            if last and not isinstance(last, str):
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s; last seen: {last!r}")
        time.sleep(interval)


def prometheus_query(base: str, query: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{base}/api/v1/query", params={"query": query}, timeout=10)
    response.raise_for_status()
    return response.json()["data"]["result"]


# One replica's own counter of requests to a handler, read inside the replica.
_COUNTER_CODE = """
import sys, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:8000/metrics", timeout=5).read().decode()
label = sys.argv[1]
print(sum(
    float(line.rsplit(" ", 1)[1])
    for line in text.splitlines()
    if line.startswith("http_requests_total{") and label in line
))
"""


def replica_request_counts(project: Compose, handler: str) -> dict[str, float]:
    """Each replica's own http_requests_total for ``handler``, summed over its labels."""
    label = f'handler="{handler}"'
    return {
        name: float(project.exec("demo_app", index, "python", "-c", _COUNTER_CODE, label))
        for index, name in enumerate(project.replicas(), start=1)
    }
