"""The one table of the native stack's parts: name, port, health path, start order, client.

Everything else reads this table: which processes start and in which waves, which ports
must be free, where each part is healthy, which compose address each part stands for when
the configs are rendered, `playground status`. A part may run as several instances (the
Alertmanager HA pair): each instance is a row, and rows that answer to the same compose
name (``alertmanager:9093``) are all rendered where the configs name it.

To add a part: one row here, and its command in commands.py.
"""

from dataclasses import dataclass

from playground.core.clients import (
    AlertmanagerClient,
    Client,
    DemoAppAdminClient,
    GrafanaClient,
    PrometheusClient,
    ReceiverClient,
)
from playground.core.settings import LOOPBACK, PlaygroundSettings
from playground.native.tools import Tools


@dataclass(frozen=True)
class Part:
    """One process of the native stack.

    Attributes:
        name: Its log file, pid record, data folder and console name.
        port_setting: The setting that holds its port on 127.0.0.1.
        client: Its API client; the client's HEALTH_PATH answers 200 once it is ready.
        wave: Start order. A wave starts when every earlier one is healthy.
        compose_addresses: The compose addresses it stands for in the rendered configs.
        cluster_port_setting: The setting that holds its gossip port (the HA pair).
        ha_only: Runs only with PLAYGROUND_HA (`playground up --ha`).
        optional: Runs only where `make setup` installed it (Grafana).
        startup_timeout_setting: A start deadline of its own, instead of the stack's.
    """

    name: str
    port_setting: str
    client: type[Client]
    wave: int
    compose_addresses: tuple[str, ...] = ()
    cluster_port_setting: str | None = None
    ha_only: bool = False
    optional: bool = False
    startup_timeout_setting: str | None = None

    @property
    def health_path(self) -> str:
        return self.client.HEALTH_PATH

    def port(self, settings: PlaygroundSettings) -> int:
        return getattr(settings, self.port_setting)

    def address(self, settings: PlaygroundSettings) -> str:
        return f"{LOOPBACK}:{self.port(settings)}"

    def url(self, settings: PlaygroundSettings) -> str:
        """Base URL, no trailing slash."""
        return f"http://{self.address(settings)}"

    def cluster_address(self, settings: PlaygroundSettings) -> str | None:
        if self.cluster_port_setting is None:
            return None
        return f"{LOOPBACK}:{getattr(settings, self.cluster_port_setting)}"

    def open_client(self, settings: PlaygroundSettings, admin_token: str) -> Client:
        return self.client.for_stack(self.url(settings), admin_token)


# Start order, in waves: Prometheus after its targets, so its first scrapes find every
# target up and a fresh start raises no alert; Grafana, where installed, last, on its
# datasources.
PARTS: tuple[Part, ...] = (
    Part(
        "demo_app",
        "DEMO_APP_PORT",
        DemoAppAdminClient,
        wave=0,
        compose_addresses=("demo_app:8000",),
    ),
    Part(
        "alert_receiver",
        "ALERT_RECEIVER_PORT",
        ReceiverClient,
        wave=0,
        compose_addresses=("alert_receiver:5001",),
    ),
    Part(
        "alertmanager",
        "ALERTMANAGER_PORT",
        AlertmanagerClient,
        wave=0,
        compose_addresses=("alertmanager:9093",),
        cluster_port_setting="ALERTMANAGER_CLUSTER_PORT",
    ),
    Part(
        "alertmanager_2",
        "ALERTMANAGER_2_PORT",
        AlertmanagerClient,
        wave=0,
        # compose gives it the name `alertmanager` too: where the configs name the
        # Alertmanager, both are meant.
        compose_addresses=("alertmanager:9093",),
        cluster_port_setting="ALERTMANAGER_2_CLUSTER_PORT",
        ha_only=True,
    ),
    Part(
        "prometheus",
        "PROMETHEUS_PORT",
        PrometheusClient,
        wave=1,
        compose_addresses=("prometheus:9090", "localhost:9090"),
    ),
    Part(
        "grafana",
        "GRAFANA_PORT",
        GrafanaClient,
        wave=2,
        optional=True,
        # Its first start creates and migrates its database: far longer than the rest.
        startup_timeout_setting="PLAYGROUND_GRAFANA_STARTUP_TIMEOUT_SECONDS",
    ),
)


def running_parts(settings: PlaygroundSettings) -> tuple[Part, ...]:
    """The parts this stack runs: the HA pair's second Alertmanager only with PLAYGROUND_HA,
    Grafana only where it is installed."""
    installed = Tools(settings).grafana() is not None
    return tuple(
        part
        for part in PARTS
        if (settings.PLAYGROUND_HA or not part.ha_only) and (installed or not part.optional)
    )


def part(name: str) -> Part:
    """The row named ``name``.

    Raises:
        KeyError: No such part.
    """
    for row in PARTS:
        if row.name == name:
            return row
    raise KeyError(name)


def alertmanagers(settings: PlaygroundSettings) -> tuple[Part, ...]:
    """Every Alertmanager this stack runs, the first one first."""
    return tuple(p for p in running_parts(settings) if p.client is AlertmanagerClient)


def stack_ports(settings: PlaygroundSettings) -> dict[str, int]:
    """Each port the native stack listens on, by the setting that holds it."""
    ports = {}
    for row in running_parts(settings):
        ports[row.port_setting] = row.port(settings)
        if settings.PLAYGROUND_HA and row.cluster_port_setting:
            ports[row.cluster_port_setting] = getattr(settings, row.cluster_port_setting)
    return ports


def compose_address_map(settings: PlaygroundSettings) -> dict[str, list[str]]:
    """Each compose address the configs may name, and the native addresses it stands for."""
    addresses: dict[str, list[str]] = {}
    for row in running_parts(settings):
        for compose in row.compose_addresses:
            addresses.setdefault(compose, []).append(row.address(settings))
    return addresses
