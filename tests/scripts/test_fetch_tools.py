"""scripts/fetch-tools.sh (`make setup`): the official release archives first, from a real
HTTP server on loopback here; Debian's packages only when those cannot be reached and this
is Debian, failing over within seconds and never trying the network again once installed;
PLAYGROUND_TOOLS_SOURCE forces one. Debian's binaries are accepted from the minimums in
.env on, within the same major version, so `make setup` keeps working the day sid moves on."""

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.core.paths import REPO_ROOT
from playground.core.settings import PlaygroundSettings
from playground.native.downloads import pinned_versions
from tests.support.releases import Releases, serving

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
    assert "Prometheus 3.14.0 and Alertmanager 0.35.0" in result.stderr
    assert not (tmp_path / "apt").exists()


DEBIAN_SOURCES = """Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: {keyring}

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: {keyring}
"""
# What Ubuntu 24.04 ships in /etc/apt/sources.list.d/ubuntu.sources.
UBUNTU_SOURCES = """Types: deb
URIs: http://archive.ubuntu.com/ubuntu
Suites: noble noble-updates noble-backports
Components: main restricted universe multiverse
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
"""


def _system(tmp_path: Path, os_id: str, sources: str, keyring: bool = True) -> dict[str, str]:
    """A fake /etc/os-release, /etc/apt and keyring for the script, as environment overrides."""
    apt = tmp_path / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    keyring_path = tmp_path / "debian-archive-keyring.gpg"
    if keyring:
        keyring_path.write_bytes(b"keyring")
    (apt / "sources.list.d" / "system.sources").write_text(sources.format(keyring=keyring_path))
    os_release = tmp_path / "os-release"
    os_release.write_text(f'PRETTY_NAME="{os_id}"\nID={os_id}\nID_LIKE=debian\n')
    return {
        "PLAYGROUND_OS_RELEASE": str(os_release),
        "PLAYGROUND_APT_DIR": str(apt),
        "PLAYGROUND_DEBIAN_KEYRING": str(keyring_path),
    }


def test_on_debian_the_sid_line_uses_the_systems_own_mirror(tmp_path: Path) -> None:
    env = _system(tmp_path, "debian", DEBIAN_SOURCES)

    result = _run("--debian-line", **env)

    assert result.returncode == 0, result.stderr
    keyring = env["PLAYGROUND_DEBIAN_KEYRING"]
    assert result.stdout == f"deb [signed-by={keyring}] http://mirror.example/debian sid main\n"


def test_an_ubuntu_sources_file_never_produces_a_sid_line(tmp_path: Path) -> None:
    result = _run("--debian-line", **_system(tmp_path, "ubuntu", UBUNTU_SOURCES))

    assert result.returncode == 1
    assert "sid" not in result.stdout
    assert "ubuntu, not Debian" in result.stderr


def test_ubuntu_sources_on_a_system_claiming_debian_still_give_no_line(tmp_path: Path) -> None:
    # Signed by Ubuntu's keyring, not Debian's: not a Debian archive, whatever os-release says.
    result = _run("--debian-line", **_system(tmp_path, "debian", UBUNTU_SOURCES))

    assert result.returncode == 1
    assert result.stdout == ""
    assert "no Debian mirror" in result.stderr


def test_without_debians_keyring_there_is_no_line(tmp_path: Path) -> None:
    result = _run("--debian-line", **_system(tmp_path, "debian", DEBIAN_SOURCES, keyring=False))

    assert result.returncode == 1
    assert "keyring" in result.stderr


# --- official archives first -------------------------------------------------------------

PINS = pinned_versions(PlaygroundSettings())


@pytest.fixture
def releases() -> Releases:
    found = Releases()
    found.publish(versions=PINS)
    return found


@pytest.fixture
def release_host(releases: Releases) -> Iterator[str]:
    with serving(releases) as url:
        yield url


def _official_env(tools: Path, base: str, **extra: str) -> dict[str, str]:
    """Environment for the script: a private tools folder, releases from `base`."""
    return {
        "PLAYGROUND_TOOLS_DIR": str(tools),
        "PLAYGROUND_PYTHON": sys.executable,
        "PLAYGROUND_RELEASES_GITHUB_URL": base,
        "PLAYGROUND_RELEASES_GRAFANA_API_URL": base,
        "HTTP_PROXY": "",
        "HTTPS_PROXY": "",
        **extra,
    }


def test_official_archives_are_installed_first_and_a_second_run_stays_offline(
    releases: Releases, release_host: str, tmp_path: Path
) -> None:
    env = _official_env(tmp_path, release_host)

    first = _run(**env)

    assert first.returncode == 0, first.stderr
    assert "official releases, web UIs included" in first.stderr
    assert (tmp_path / "source").read_text() == "official\n"
    version = subprocess.run(
        [tmp_path / "bin" / "prometheus", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert f"version {PINS['prometheus']}" in version
    assert (tmp_path / "bin" / "grafana").exists()
    asked = len(releases.requests)

    second = _run(**env)

    assert second.returncode == 0, second.stderr
    assert "using the official Prometheus" in second.stderr
    assert len(releases.requests) == asked


def _unreachable(tmp_path: Path, os_id: str, **extra: str) -> dict[str, str]:
    # A closed loopback port: refused at once, as where the hosts do not resolve.
    return {
        **_official_env(tmp_path / "tools", "http://127.0.0.1:9", **extra),
        **_system(tmp_path, os_id, UBUNTU_SOURCES if os_id == "ubuntu" else DEBIAN_SOURCES),
    }


def test_unreachable_archives_on_ubuntu_end_in_a_clear_error_within_seconds(tmp_path: Path) -> None:
    started = time.monotonic()

    result = _run(**_unreachable(tmp_path, "ubuntu"))

    assert time.monotonic() - started < 15
    assert result.returncode == 1
    assert "cannot be reached" in result.stderr
    assert "ubuntu, not Debian" in result.stderr
    assert not (tmp_path / "tools" / "apt").exists()  # no sid line, no apt run


def test_forcing_official_never_falls_back_to_debian(tmp_path: Path) -> None:
    result = _run(**_unreachable(tmp_path, "debian", PLAYGROUND_TOOLS_SOURCE="official"))

    assert result.returncode == 1
    assert "trying Debian" not in result.stderr
    assert not (tmp_path / "tools" / "apt").exists()


def test_a_checksum_mismatch_stops_setup_instead_of_falling_back(tmp_path: Path) -> None:
    bad = Releases()
    bad.publish(versions=PINS, corrupt="prometheus")
    with serving(bad) as url:
        result = _run(**_official_env(tmp_path, url))

    assert result.returncode == 1
    assert "is not the published" in result.stderr
    assert "trying Debian" not in result.stderr
    assert not (tmp_path / "bin" / "prometheus").exists()


def test_debian_tools_in_place_are_kept_without_asking_the_network(
    releases: Releases, release_host: str, tmp_path: Path
) -> None:
    _fake_tools(tmp_path, "3.5.3", "0.33.1")
    (tmp_path / "source").write_text("debian\n")

    result = _run(**_official_env(tmp_path, release_host))

    assert result.returncode == 0, result.stderr
    assert "using Debian's Prometheus 3.5.3" in result.stderr
    assert "no web UIs" in result.stderr and "no Grafana" in result.stderr
    assert releases.requests == []


def test_forcing_official_replaces_debian_tools(
    releases: Releases, release_host: str, tmp_path: Path
) -> None:
    _fake_tools(tmp_path, "3.5.3", "0.33.1")
    (tmp_path / "source").write_text("debian\n")

    result = _run(**_official_env(tmp_path, release_host, PLAYGROUND_TOOLS_SOURCE="official"))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "source").read_text() == "official\n"
    assert (tmp_path / "bin" / "prometheus").is_symlink()


def test_an_unknown_source_is_refused(tmp_path: Path) -> None:
    result = _run(PLAYGROUND_TOOLS_DIR=str(tmp_path), PLAYGROUND_TOOLS_SOURCE="docker")

    assert result.returncode == 2
    assert "must be official, debian or empty" in result.stderr
