"""The native runner's settings for a test: free loopback ports, a private run folder, no .env."""

from pathlib import Path
from typing import Any

from playground.core.net import free_ports
from playground.core.settings import PlaygroundSettings


def settings_on_free_ports(run_dir: Path, **overrides: Any) -> PlaygroundSettings:
    """Settings that ignore .env and .env.override, so a developer's own ports and profile never
    leak in, with every part on a free port and ``run_dir`` for the run folder.

    Keyword arguments override any setting.
    """
    parts = (
        "DEMO_APP_PORT",
        "ALERT_RECEIVER_PORT",
        "PROMETHEUS_PORT",
        "ALERTMANAGER_PORT",
        "ALERTMANAGER_2_PORT",
        "ALERTMANAGER_CLUSTER_PORT",
        "ALERTMANAGER_2_CLUSTER_PORT",
        "LOCUST_METRICS_PORT",
    )
    values: dict[str, Any] = {
        **dict(zip(parts, free_ports(len(parts)), strict=True)),
        "PLAYGROUND_RUN_DIR": run_dir,
        **overrides,
    }
    return PlaygroundSettings(_env_file=None, **values)
