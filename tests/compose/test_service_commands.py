"""The prometheus and alertmanager services' compose commands, run for real with the native
binaries of the same release (.tools/bin), on a copy of the container's file layout: every
flag parses, the mounted configs load, Prometheus finds the profile's rules through the
rules mount, and the two Alertmanagers of the `ha` profile gossip (on loopback ports here,
where compose uses its network)."""

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from playground.core.net import free_ports
from playground.core.paths import REPO_ROOT
from playground.core.settings import PlaygroundSettings
from playground.native.tools import Tools

READY_DEADLINE_SECONDS = 20.0


def container_layout(service: dict[str, Any], root: Path, repo_root: Path) -> Callable[[str], str]:
    """Recreate the service's mounts under ``root``; return a container-path translator.

    Bind mounts become links to the repository's files, volumes become empty folders.
    """
    targets = []
    for mount in service["volumes"]:
        local = root / mount["target"].lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        if mount["type"] == "bind":
            local.symlink_to((repo_root / mount["source"]).resolve())
        else:
            local.mkdir()
        targets.append(mount["target"])

    def translate(argument: str) -> str:
        flag, _, value = argument.partition("=")
        for target in targets:
            if value == target or value.startswith(target + "/"):
                return f"{flag}={root}{value}"
        return argument

    return translate


def local_command(
    service: dict[str, Any], root: Path, repo_root: Path, listen_port: int
) -> list[str]:
    """The compose command's flags, with container paths moved under ``root``."""
    translate = container_layout(service, root, repo_root)
    return [translate(argument) for argument in service["command"]] + [
        f"--web.listen-address=127.0.0.1:{listen_port}"
    ]


@pytest.fixture
def run_binary(tmp_path: Path, processes: list[subprocess.Popen[bytes]]) -> Callable[..., str]:
    """Start a binary with arguments; returns its base URL once /-/ready answers 200."""

    def run(executable: Path, arguments: list[str], port: int, cwd: Path | None = None) -> str:
        log_path = tmp_path / f"{executable.name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [executable, *arguments], cwd=cwd, stdout=log, stderr=subprocess.STDOUT
            )
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_DEADLINE_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"{executable.name} never became ready:\n{log_path.read_text()[-2000:]}")

    return run


@pytest.fixture(scope="module")
def tools() -> Tools:
    if not (REPO_ROOT / ".tools" / "bin" / "prometheus").exists():
        pytest.skip(".tools/bin is missing; run `make setup`")
    return Tools(PlaygroundSettings())


def rule_groups(url: str) -> set[str]:
    groups = httpx.get(f"{url}/api/v1/rules", timeout=5).json()["data"]["groups"]
    return {group["file"].rsplit("/", 1)[-1] for group in groups}


@pytest.mark.tools
def test_prometheus_runs_the_compose_command_and_loads_the_profile_rules(
    services: dict[str, Any],
    dotenv: dict[str, str],
    tmp_path: Path,
    run_binary,
    tools: Tools,
    unused_port: int,
) -> None:
    arguments = local_command(services["prometheus"], tmp_path / "fs", REPO_ROOT, unused_port)
    url = run_binary(tools.prometheus().path, arguments, unused_port)
    flags = httpx.get(f"{url}/api/v1/status/flags", timeout=5).json()["data"]
    assert flags["storage.tsdb.retention.time"] == dotenv["PROMETHEUS_RETENTION_TIME"]
    # Prometheus reads GB as 2^30 bytes and says so.
    size = dotenv["PROMETHEUS_RETENTION_SIZE"]
    assert flags["storage.tsdb.retention.size"] == size.replace("GB", "GiB").replace("MB", "MiB")
    expected = {path.name for path in (REPO_ROOT / "prometheus" / "rules" / "lab").glob("*.yml")}
    assert expected and rule_groups(url) == expected


def on_loopback(arguments: list[str], cluster_port: int, peer_ports: list[int]) -> list[str]:
    """The compose command's cluster flags moved to loopback: its own gossip port, and each
    of ``peer_ports`` where compose names the peers by their shared DNS name."""
    moved = []
    for argument in arguments:
        if argument.startswith("--cluster.listen-address="):
            moved.append(f"--cluster.listen-address=127.0.0.1:{cluster_port}")
        elif argument.startswith("--cluster.peer="):
            moved += [f"--cluster.peer=127.0.0.1:{port}" for port in peer_ports]
        else:
            moved.append(argument)
    return moved


def cluster_peers(url: str) -> int:
    return len(httpx.get(f"{url}/api/v2/status", timeout=5).json()["cluster"]["peers"])


@pytest.mark.tools
def test_alertmanager_pair_runs_the_compose_commands_and_gossips(
    services: dict[str, Any],
    tmp_path: Path,
    run_binary,
    tools: Tools,
) -> None:
    # alertmanager_2 runs alertmanager's command, under alertmanager's name too: the name
    # Prometheus's DNS discovery and the gossip peer flag resolve to both.
    assert services["alertmanager_2"]["command"] == services["alertmanager"]["command"]
    assert "alertmanager" in services["alertmanager_2"]["networks"]["default"]["aliases"]
    executable = tools.alertmanager(tmp_path / "alertmanager-tools")
    ports = free_ports(4)
    cluster_ports, web_ports = ports[:2], ports[2:]
    urls = []
    for index, service in enumerate(("alertmanager", "alertmanager_2")):
        web_port = web_ports[index]
        arguments = local_command(services[service], tmp_path / service, REPO_ROOT, web_port)
        arguments = on_loopback(arguments, cluster_ports[index], cluster_ports)
        urls.append(run_binary(executable.path, arguments, web_port, cwd=executable.cwd))
    deadline = time.monotonic() + READY_DEADLINE_SECONDS
    while time.monotonic() < deadline and {cluster_peers(url) for url in urls} != {2}:
        time.sleep(0.2)
    assert [cluster_peers(url) for url in urls] == [2, 2]
    status = httpx.get(f"{urls[0]}/api/v2/status", timeout=5).json()
    # The mounted config is the one loaded (webhook URLs are shown as <secret>).
    loaded = status["config"]["original"]
    assert all(f"name: {receiver}" in loaded for receiver in ("critical", "warning", "info"))


@pytest.mark.tools
def test_alertmanager_alone_is_a_cluster_of_one(
    services: dict[str, Any], tmp_path: Path, run_binary, tools: Tools
) -> None:
    # Without the `ha` profile the shared name finds only the instance itself.
    executable = tools.alertmanager(tmp_path / "alertmanager-tools")
    cluster_port, web_port = free_ports(2)
    arguments = local_command(services["alertmanager"], tmp_path / "fs", REPO_ROOT, web_port)
    arguments = on_loopback(arguments, cluster_port, [cluster_port])
    url = run_binary(executable.path, arguments, web_port, cwd=executable.cwd)
    assert cluster_peers(url) == 1
