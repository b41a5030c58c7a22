"""scripts/fetch-tools.sh accepts the native binaries Debian ships from the minimums in .env
on, within the same major version, so `make setup` keeps working the day sid moves on, and
says which versions it has."""

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "fetch-tools.sh"


def _dotenv(name: str) -> str:
    match = re.search(rf"^{name}=(\S+)$", (REPO_ROOT / ".env").read_text(), re.M)
    assert match, f"{name} is not in .env"
    return match.group(1)


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )


def _accepts(name: str, version: str, **env: str) -> bool:
    return _run("--accepts", name, version, **env).returncode == 0


def test_the_minimums_come_from_the_version_table_in_env() -> None:
    assert _dotenv("PROMETHEUS_MIN_VERSION") == "3.5.0"
    assert _dotenv("ALERTMANAGER_MIN_VERSION") == "0.33.0"
    # Raising the minimum in the environment moves the gate: the script reads no other number.
    assert _accepts("prometheus", "3.5.3")
    assert not _accepts("prometheus", "3.5.3", PROMETHEUS_MIN_VERSION="3.6.0")


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("prometheus", "3.5.3"),  # Debian sid today
        ("prometheus", "3.13.3"),  # the pinned image
        ("prometheus", "3.14.0"),  # sid moving on
        ("prometheus", "3.40.1"),  # numeric, not text, order
        ("promtool", "3.5.3"),
        ("alertmanager", "0.33.1"),
        ("alertmanager", "0.34.1"),
        ("alertmanager", "0.100.0"),
    ],
)
def test_releases_from_the_minimum_on_are_accepted(name: str, version: str) -> None:
    assert _accepts(name, version)


@pytest.mark.parametrize(
    ("name", "version", "reason"),
    [
        ("prometheus", "3.4.9", "older than 3.5.0"),
        ("prometheus", "2.53.1", "not a 3.x release"),
        ("prometheus", "4.0.0", "not a 3.x release"),
        ("alertmanager", "0.32.3", "older than 0.33.0"),
        ("alertmanager", "1.0.0", "not a 0.x release"),
        ("prometheus", "unknown", "no version"),
    ],
)
def test_older_releases_and_other_majors_are_refused_with_the_reason(
    name: str, version: str, reason: str
) -> None:
    result = _run("--accepts", name, version)
    assert result.returncode == 1
    assert reason in result.stderr


def _fake_tools(tools_dir: Path, prometheus: str, alertmanager: str) -> None:
    """Stand-in binaries that print a version line the way the real ones do."""
    bin_dir = tools_dir / "bin"
    bin_dir.mkdir(parents=True)
    lines = {
        "prometheus": f"prometheus, version {prometheus} (branch: debian/sid)",
        "promtool": f"promtool, version {prometheus} (branch: debian/sid)",
        "alertmanager": f"alertmanager, version {alertmanager} (branch: debian/sid)",
        "amtool": f"amtool, version {alertmanager} (branch: debian/sid)",
    }
    for name, line in lines.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\necho '{line}'\n")
        path.chmod(0o755)


def test_newer_binaries_already_in_place_are_kept_and_named(tmp_path: Path) -> None:
    # The day sid ships 3.14 and 0.35: `make setup` keeps them, touches no network, says so.
    _fake_tools(tmp_path, "3.14.0", "0.35.0")

    result = _run(PLAYGROUND_TOOLS_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert "using Prometheus 3.14.0 and Alertmanager 0.35.0" in result.stderr
    assert not (tmp_path / "apt").exists()
