"""Helpers for demo_app's tests: test settings, metric readers, a ``python -m demo_app`` process.

Every application in a test process records into prometheus-client's global registry (by
design, see demo_app/metrics.py), so tests compare values before and after what they do
instead of expecting zeros.
"""

import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from demo_app.settings import Settings
from playground.core.polling import wait_until

ADMIN_TOKEN = "test-admin-token-0123456789"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
# In tests the simulated LLM sleeps 1/1000 of its real latency: a turn takes well under 1 ms.
FAST_LLM = 0.001
SERVER_READY_SECONDS = 30.0

Series = tuple[str, tuple[tuple[str, str], ...]]


def make_settings(**overrides: Any) -> Settings:
    """Test settings: a known admin token, a fast LLM that never fails on its own."""
    values: dict[str, Any] = {
        "DEMO_APP_ADMIN_TOKEN": ADMIN_TOKEN,
        "DEMO_APP_LLM_LATENCY_SCALE": FAST_LLM,
        "DEMO_APP_LLM_RATE_LIMIT_ERROR_RATE": 0.0,
        "DEMO_APP_LLM_TIMEOUT_ERROR_RATE": 0.0,
        "DEMO_APP_LLM_UPSTREAM_5XX_ERROR_RATE": 0.0,
    }
    return Settings(**{**values, **overrides})


def sample(name: str, **labels: str) -> float:
    """A sample's current value in the global registry, 0 if it does not exist yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(text: str) -> dict[Series, float]:
    """Every sample of a /metrics body, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def series_names(text: str) -> set[Series]:
    return set(scrape(text))


def poll(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    """Call condition until it returns something truthy, or fail after a deadline."""
    if last := wait_until(condition, seconds, interval=0.05):
        return last
    pytest.fail(f"timed out after {seconds}s waiting for {what}; last seen: {last!r}")


@dataclass
class Server:
    """A ``python -m demo_app`` process on a free loopback port."""

    process: subprocess.Popen[str]
    url: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def metrics(self) -> dict[Series, float]:
        response = httpx.get(f"{self.url}/metrics", timeout=10)
        assert response.status_code == 200
        return scrape(response.text)


def wait_ready(server: Server) -> None:
    def ready() -> bool:
        if server.process.poll() is not None:
            pytest.fail(f"demo_app exited with {server.process.returncode}:\n{server.log()}")
        try:
            return httpx.get(f"{server.url}/ready", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    if wait_until(ready, SERVER_READY_SECONDS):
        return
    pytest.fail(
        f"demo_app at {server.url} not ready after {SERVER_READY_SECONDS}s:\n{server.log()}"
    )
