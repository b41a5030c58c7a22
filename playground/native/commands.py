"""How each part of the native stack is started: its command, environment and folder.

One function per part of parts.py, found in COMMANDS by the part's name. The configs they
name are rendered first (render.py, grafana.py); the behaviour flags that compose.yaml
sets for Prometheus and Alertmanager are read from it (configs/compose_flags.py).
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from playground.configs.compose_flags import compose_flags
from playground.core.paths import REPO_ROOT
from playground.core.settings import LOOPBACK, PlaygroundSettings
from playground.native.grafana import GrafanaFiles, grafana_command
from playground.native.parts import Part, alertmanagers
from playground.native.run_folder import RunPaths
from playground.native.tools import Tools


@dataclass(frozen=True)
class Launch:
    """What the parts' commands are built from, once per start."""

    settings: PlaygroundSettings
    paths: RunPaths
    tools: Tools
    prometheus_config: Path
    alertmanager_config: Path
    admin_token: str
    grafana: GrafanaFiles | None = None


@dataclass(frozen=True)
class Command:
    """A part's process: what to run, extra environment, and where."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path = REPO_ROOT


def _compose_flags(launch: Launch, service: str) -> list[str]:
    return compose_flags(launch.settings.PLAYGROUND_CONFIG_DIR / "compose.yaml", service)


def _python_package(
    package: str, prefix: str, own_env: Callable[[Launch], dict[str, str]]
) -> Callable[[Part, Launch], Command]:
    """Our own Python packages: ``python -m <package>``, host and port from the environment,
    plus what ``own_env`` adds for this start."""

    def command(part: Part, launch: Launch) -> Command:
        env = {
            f"{prefix}_HOST": LOOPBACK,
            f"{prefix}_PORT": str(part.port(launch.settings)),
            "PYTHONUNBUFFERED": "1",
            **own_env(launch),
        }
        return Command([sys.executable, "-m", package], env)

    return command


def alertmanager(part: Part, launch: Launch) -> Command:
    settings = launch.settings
    executable = launch.tools.alertmanager(launch.paths.tools)
    instances = alertmanagers(settings)
    if settings.PLAYGROUND_HA:
        # Gossip on loopback only; each instance lists every instance (itself too, which
        # Alertmanager skips), as compose's shared name does.
        cluster = [f"--cluster.listen-address={part.cluster_address(settings)}"] + [
            f"--cluster.peer={peer.cluster_address(settings)}" for peer in instances
        ]
    else:
        # Empty: no cluster, so no gossip port to collide on.
        cluster = ["--cluster.listen-address="]
    return Command(
        [
            str(executable.path),
            f"--config.file={launch.alertmanager_config}",
            f"--storage.path={launch.paths.data(part.name)}",
            f"--web.listen-address={part.address(settings)}",
            # As in compose: links in notifications point at the first instance.
            f"--web.external-url={instances[0].url(settings)}/",
            *cluster,
            *_compose_flags(launch, "alertmanager"),
        ],
        cwd=executable.cwd or launch.paths.root,
    )


def prometheus(part: Part, launch: Launch) -> Command:
    settings = launch.settings
    return Command(
        [
            str(launch.tools.prometheus().path),
            f"--config.file={launch.prometheus_config}",
            f"--storage.tsdb.path={launch.paths.data(part.name)}",
            f"--storage.tsdb.retention.time={settings.PROMETHEUS_RETENTION_TIME}",
            f"--storage.tsdb.retention.size={settings.PROMETHEUS_RETENTION_SIZE}",
            f"--web.listen-address={part.address(settings)}",
            # The alerts' generatorURL links point here.
            f"--web.external-url={part.url(settings)}/",
            *_compose_flags(launch, "prometheus"),
        ],
        cwd=launch.paths.root,
    )


def grafana(part: Part, launch: Launch) -> Command:
    del part
    binary = launch.tools.grafana()
    if binary is None or launch.grafana is None:
        raise ValueError("Grafana is not installed; running_parts() leaves it out.")
    return Command(grafana_command(binary, launch.grafana), cwd=launch.grafana.home)


COMMANDS: dict[str, Callable[[Part, Launch], Command]] = {
    "demo_app": _python_package(
        "demo_app", "DEMO_APP", lambda launch: {"DEMO_APP_ADMIN_TOKEN": launch.admin_token}
    ),
    "alert_receiver": _python_package(
        "alert_receiver",
        "ALERT_RECEIVER",
        # Kept across restarts like the TSDB (alert_receiver/README.md).
        lambda launch: {"ALERT_RECEIVER_DB_PATH": str(launch.paths.alert_receiver_db)},
    ),
    "alertmanager": alertmanager,
    "alertmanager_2": alertmanager,
    "prometheus": prometheus,
    "grafana": grafana,
}
