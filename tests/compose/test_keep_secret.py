"""The keep-secret wrapper in compose.yaml (Grafana's admin password, demo_app's admin token),
run for real with the system's POSIX shell, as the entrypoints run it in the containers."""

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

SECRET_SERVICES = {
    "grafana": ("/var/lib/grafana/admin-password", "GF_SECURITY_ADMIN_PASSWORD"),
    "demo_app": ("/var/lib/demo_app/admin-token", "DEMO_APP_ADMIN_TOKEN"),
}
# Shells the images use: dash in python:*-slim (Debian), busybox ash in Grafana (Alpine).
SHELLS = [shell for shell in ("sh", "dash", "busybox") if shutil.which(shell)]
VARIABLE = "SOME_SECRET"
# Prints what the wrapped command sees.
SHOW = [sys.executable, "-c", f"import os; print(os.environ.get('{VARIABLE}', '<unset>'))"]


def wrapper_script(service: dict[str, Any]) -> str:
    """The script the service's entrypoint runs (`sh -c SCRIPT ...`)."""
    entrypoint = service["entrypoint"]
    assert entrypoint[:2] == ["/bin/sh", "-c"], entrypoint
    return entrypoint[2]


def run_wrapper(
    shell: str, script: str, secret_file: Path, given: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the wrapper like the entrypoint does, with SHOW as the wrapped command."""
    env = {key: value for key, value in os.environ.items() if key != VARIABLE}
    if given is not None:
        env[VARIABLE] = given
    argv = [shell, "-c", script, "keep-secret", str(secret_file), VARIABLE, *SHOW]
    if shell == "busybox":
        argv.insert(1, "sh")
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=10, check=True)


@pytest.mark.parametrize(("name", "expected"), SECRET_SERVICES.items())
def test_secret_services_run_the_shared_wrapper(
    services: dict[str, Any], name: str, expected: tuple[str, str]
) -> None:
    entrypoint = services[name]["entrypoint"]
    assert entrypoint[3:6] == ["keep-secret", *expected]
    assert wrapper_script(services[name]) == wrapper_script(services["grafana"])


@pytest.fixture(params=SHELLS)
def shell(request: pytest.FixtureRequest) -> str:
    """Each POSIX shell available here."""
    return request.param


@pytest.fixture
def script(services: dict[str, Any]) -> str:
    """The wrapper script, after Compose interpolation."""
    return wrapper_script(services["grafana"])


def test_wrapper_generates_a_random_secret_once_and_reuses_it(
    shell: str, script: str, tmp_path: Path
) -> None:
    secret_file = tmp_path / "admin-password"
    first = run_wrapper(shell, script, secret_file).stdout.strip()
    again = run_wrapper(shell, script, secret_file).stdout.strip()
    assert len(first) == 32 and int(first, 16) >= 0, first
    assert again == first
    assert secret_file.read_text() == first
    assert secret_file.stat().st_mode & 0o077 == 0, "only the service's user may read it"


def test_wrapper_makes_a_different_secret_per_volume(
    shell: str, script: str, tmp_path: Path
) -> None:
    one = run_wrapper(shell, script, tmp_path / "one").stdout
    two = run_wrapper(shell, script, tmp_path / "two").stdout
    assert one != two


def test_wrapper_prefers_a_given_value_and_writes_nothing(
    shell: str, script: str, tmp_path: Path
) -> None:
    secret_file = tmp_path / "admin-token"
    shown = run_wrapper(shell, script, secret_file, given="chosen-by-me-0123456789")
    assert shown.stdout.strip() == "chosen-by-me-0123456789"
    assert not secret_file.exists()


def test_wrapper_treats_an_empty_value_as_unset(shell: str, script: str, tmp_path: Path) -> None:
    # Compose passes ${GRAFANA_ADMIN_PASSWORD:-} as "" when you set nothing.
    shown = run_wrapper(shell, script, tmp_path / "secret", given="").stdout.strip()
    assert len(shown) == 32


def test_replicas_starting_together_agree_on_one_secret(
    shell: str, script: str, tmp_path: Path
) -> None:
    secret_file = tmp_path / "admin-token"
    with ThreadPoolExecutor(max_workers=8) as pool:
        seen = set(pool.map(lambda _: run_wrapper(shell, script, secret_file).stdout, range(8)))
    assert seen == {secret_file.read_text() + "\n"}
    assert [path.name for path in tmp_path.iterdir()] == ["admin-token"], "no leftovers"
