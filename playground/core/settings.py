"""The native runner's settings: ports, alert profile and folders, from the environment and .env.

Precedence, highest first: keyword arguments, environment variables, ``.env.override``,
``.env`` (both at the repository root), the defaults below.
"""

from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from playground.core.paths import REPO_ROOT

# Every part binds here: the playground has no authentication worth exposing.
LOOPBACK = "127.0.0.1"

AlertProfile = Literal["lab", "realistic"]
ALERT_PROFILES: tuple[AlertProfile, ...] = get_args(AlertProfile)


class PlaygroundSettings(BaseSettings):
    """Every setting is named after the environment variable that sets it."""

    model_config = SettingsConfigDict(
        env_file=(REPO_ROOT / ".env", REPO_ROOT / ".env.override"),
        env_ignore_empty=True,
        extra="ignore",
    )

    DEMO_APP_PORT: int = Field(default=8000, ge=1, le=65535)
    ALERT_RECEIVER_PORT: int = Field(default=5001, ge=1, le=65535)
    PROMETHEUS_PORT: int = Field(default=9090, ge=1, le=65535)
    ALERTMANAGER_PORT: int = Field(default=9093, ge=1, le=65535)
    # The Alertmanager HA pair (`playground up --ha`, compose profile `ha`): the second
    # instance's API, and each instance's gossip port (loopback only; natively the pair
    # gossips over 127.0.0.1, so two ports where compose uses 9094 in two containers).
    ALERTMANAGER_2_PORT: int = Field(default=9095, ge=1, le=65535)
    ALERTMANAGER_CLUSTER_PORT: int = Field(default=9094, ge=1, le=65535)
    ALERTMANAGER_2_CLUSTER_PORT: int = Field(default=9096, ge=1, le=65535)
    # Grafana: compose's, and the native stack's when `make setup` installed it.
    GRAFANA_PORT: int = Field(default=3000, ge=1, le=65535)
    LOCUST_PORT: int = Field(default=8089, ge=1, le=65535)
    # Where the Locust master that `playground scenario` starts serves its metrics, and so
    # where the native Prometheus scrapes the job `locust` (prometheus.yml's locust:9646).
    # 9646 is the port Prometheus's list of default exporter ports gives Locust exporters.
    LOCUST_METRICS_PORT: int = Field(default=9646, ge=1, le=65535)
    # Which rules Prometheus loads: prometheus/rules/<profile>/.
    ALERT_PROFILE: AlertProfile = "lab"
    # Run Alertmanager as an HA pair that gossips (`playground up --ha` sets it).
    PLAYGROUND_HA: bool = False

    # Runtime state: rendered configs, TSDB, logs, pid records, the admin token.
    PLAYGROUND_RUN_DIR: Path = REPO_ROOT / ".run"
    # Where `make setup` (scripts/fetch-tools.sh) puts bin/prometheus and bin/alertmanager.
    PLAYGROUND_TOOLS_DIR: Path = REPO_ROOT / ".tools"
    # Holds prometheus/ and alertmanager/, the configs shared with compose.
    PLAYGROUND_CONFIG_DIR: Path = REPO_ROOT

    # How long every part together may take to become healthy. Measured: about 2 s for
    # all four on a 2-core machine; the margin covers a cold disk and a busy CI runner.
    PLAYGROUND_STARTUP_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    # How long a part gets after SIGTERM before it is killed. Prometheus needs the most,
    # to close its TSDB head; it takes well under a second at playground sizes.
    PLAYGROUND_STOP_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)
    # Grafana's own start deadline: its first start creates and migrates its SQLite
    # database, which takes far longer than the other parts' whole start.
    PLAYGROUND_GRAFANA_STARTUP_TIMEOUT_SECONDS: float = Field(default=120.0, gt=0)
    # TSDB retention, whichever limit is reached first; the same variables compose reads.
    # 30d: the realistic SLO period, the longest window the drills and dashboards read
    # (why, and the size estimate: .env; tests/configs/test_retention.py).
    PROMETHEUS_RETENTION_TIME: str = "30d"
    PROMETHEUS_RETENTION_SIZE: str = "2GB"

    # The version table (.env): the images' tags are also the releases `make setup`
    # downloads for the native stack (playground/native/downloads.py). No default here: .env
    # is their one source.
    PROMETHEUS_IMAGE: str | None = None
    ALERTMANAGER_IMAGE: str | None = None
    GRAFANA_IMAGE: str | None = None
    # Where the official archives come from; tests point these at a loopback server.
    PLAYGROUND_RELEASES_GITHUB_URL: str = "https://github.com"
    PLAYGROUND_RELEASES_GRAFANA_API_URL: str = "https://grafana.com"
    # A CA bundle for a TLS-intercepting proxy (else SSL_CERT_FILE, else the system's).
    PLAYGROUND_CA_BUNDLE: Path | None = None

    @field_validator("PLAYGROUND_RUN_DIR", "PLAYGROUND_TOOLS_DIR", "PLAYGROUND_CONFIG_DIR")
    @classmethod
    def _relative_to_repo(cls, path: Path) -> Path:
        # `.run` in .env means the repository's .run, wherever the command runs from.
        return (REPO_ROOT / path.expanduser()).resolve()

    def compose_ports(self) -> dict[str, int]:
        """Each host port compose publishes (the `load` and `ha` profiles' included)."""
        return {
            "DEMO_APP_PORT": self.DEMO_APP_PORT,
            "ALERT_RECEIVER_PORT": self.ALERT_RECEIVER_PORT,
            "PROMETHEUS_PORT": self.PROMETHEUS_PORT,
            "ALERTMANAGER_PORT": self.ALERTMANAGER_PORT,
            "ALERTMANAGER_2_PORT": self.ALERTMANAGER_2_PORT,
            "GRAFANA_PORT": self.GRAFANA_PORT,
            "LOCUST_PORT": self.LOCUST_PORT,
        }
