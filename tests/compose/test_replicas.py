"""`docker compose up --scale demo_app=3`: replicas share one fault state through the
demo_app_state volume (DEMO_APP_FAULTS_FILE), so a fault set through the gateway, which
reaches one replica, breaks them all. Proved with real demo_app processes started with the
service's compose environment, the volume being a temporary folder."""

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

TOKEN = "replica-test-token-0123456789abcdef"
READY_DEADLINE_SECONDS = 20.0


def base_url(env: dict[str, str]) -> str:
    return f"http://127.0.0.1:{env['DEMO_APP_PORT']}"


def wait_ready(env: dict[str, str]) -> None:
    """Poll /ready until it answers 200, or fail with what was seen."""
    deadline = time.monotonic() + READY_DEADLINE_SECONDS
    seen: object = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url(env)}/ready", timeout=2)
            if response.status_code == 200:
                return
            seen = response.status_code
        except httpx.TransportError as exc:
            seen = exc
        time.sleep(0.2)
    pytest.fail(f"demo_app on {base_url(env)} never became ready; last: {seen!r}")


def admin(method: str, env: dict[str, str], path: str) -> dict[str, Any]:
    response = httpx.request(
        method,
        f"{base_url(env)}{path}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


@pytest.fixture
def replica_env(services: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    """demo_app's compose environment, with the volume moved to a temporary folder."""
    env = dict(services["demo_app"]["environment"])
    volume = next(m["target"] for m in services["demo_app"]["volumes"] if m["type"] == "volume")
    assert env["DEMO_APP_FAULTS_FILE"].startswith(volume + "/"), "the state must be on the volume"
    env["DEMO_APP_FAULTS_FILE"] = env["DEMO_APP_FAULTS_FILE"].replace(volume, str(tmp_path), 1)
    env["DEMO_APP_ADMIN_TOKEN"] = TOKEN
    return env


def test_a_fault_set_on_one_replica_reaches_the_others(launch_app, replica_env) -> None:
    first, second = launch_app("demo_app", replica_env), launch_app("demo_app", replica_env)
    wait_ready(first)
    wait_ready(second)
    assert admin("GET", second, "/admin/faults")["active_preset"] == "healthy"

    admin("POST", first, "/admin/faults/presets/error-storm")
    assert admin("GET", second, "/admin/faults")["active_preset"] == "error-storm"
    metrics = httpx.get(f"{base_url(second)}/metrics", timeout=5).text
    assert 'demo_app_fault_preset_active{preset="error-storm"} 1.0' in metrics

    admin("DELETE", second, "/admin/faults")
    assert admin("GET", first, "/admin/faults")["active_preset"] == "healthy"


def test_an_added_replica_starts_with_the_current_faults(launch_app, replica_env) -> None:
    first = launch_app("demo_app", replica_env)
    wait_ready(first)
    admin("POST", first, "/admin/faults/presets/slow-llm")
    added = launch_app("demo_app", replica_env)
    wait_ready(added)
    assert admin("GET", added, "/admin/faults")["active_preset"] == "slow-llm"
