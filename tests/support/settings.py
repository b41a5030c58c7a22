"""The native runner's settings for a test: free loopback ports, a private run folder, no .env."""

from pathlib import Path
from typing import Any

from playground.core.net import free_port
from playground.core.settings import PlaygroundSettings


def settings_on_free_ports(run_dir: Path, **overrides: Any) -> PlaygroundSettings:
    """Settings that ignore .env and .env.override, so a developer's own ports and profile never
    leak in, with every part on a free port and ``run_dir`` for the run folder.

    Keyword arguments override any setting.
    """
    values: dict[str, Any] = {
        "DEMO_APP_PORT": free_port(),
        "ALERT_RECEIVER_PORT": free_port(),
        "PROMETHEUS_PORT": free_port(),
        "ALERTMANAGER_PORT": free_port(),
        "ALERTMANAGER_2_PORT": free_port(),
        "ALERTMANAGER_CLUSTER_PORT": free_port(),
        "ALERTMANAGER_2_CLUSTER_PORT": free_port(),
        "LOCUST_METRICS_PORT": free_port(),
        "PLAYGROUND_RUN_DIR": run_dir,
        **overrides,
    }
    return PlaygroundSettings(_env_file=None, **values)
