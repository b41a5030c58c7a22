"""Fixtures for the Prometheus and Alertmanager config tests: paths, parsed rules, tools.

Tests that run Prometheus, promtool, amtool or Alertmanager take the `tools` fixture; it skips them,
saying how to fix it, only when the binaries are missing (`make setup` always fetches them).
pytest runs in importlib mode, so helpers are handed out as fixtures, not imported.
"""

import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from alert_receiver.paths import RUNBOOKS_PATH
from alert_receiver.settings import Settings as ReceiverSettings
from playground.core.net import free_port
from playground.core.paths import REPO_ROOT
from playground.core.settings import PlaygroundSettings
from playground.native.tools import Tools as PlaygroundTools

RECEIVER_DEFAULT_PORT = ReceiverSettings.model_fields["ALERT_RECEIVER_PORT"].default


@dataclass(frozen=True)
class Repo:
    """Where the configs live, and their parsed contents."""

    root: Path = REPO_ROOT
    profiles: tuple[str, ...] = ("lab", "realistic")
    # Where the alert receiver serves docs/runbooks.md, on its default address.
    runbook_url_base: str = f"http://127.0.0.1:{RECEIVER_DEFAULT_PORT}{RUNBOOKS_PATH}#"

    @property
    def prometheus_config(self) -> Path:
        return self.root / "prometheus" / "prometheus.yml"

    @property
    def alertmanager_config(self) -> Path:
        return self.root / "alertmanager" / "alertmanager.yml"

    @property
    def runbooks(self) -> Path:
        return self.root / "docs" / "runbooks.md"

    def rules_dir(self, profile: str) -> Path:
        return self.root / "prometheus" / "rules" / profile

    def rule_tests_dir(self, profile: str | None = None) -> Path:
        tests_dir = self.root / "prometheus" / "tests"
        return tests_dir / profile if profile else tests_dir

    @staticmethod
    def load(path: Path) -> Any:
        return yaml.safe_load(path.read_text(encoding="utf-8"))

    def rules(self, profile: str) -> list[dict[str, Any]]:
        """Every rule of a profile in file order, tagged with its file and group."""
        return [
            {**rule, "_file": path.name, "_group": group["name"]}
            for path in sorted(self.rules_dir(profile).glob("*.yml"))
            for group in self.load(path)["groups"]
            for rule in group["rules"]
        ]

    def alerts(self, profile: str) -> list[dict[str, Any]]:
        return [rule for rule in self.rules(profile) if "alert" in rule]


@pytest.fixture(scope="session")
def repo() -> Repo:
    return Repo()


@dataclass(frozen=True)
class Tools:
    """Paths of the fetched binaries, and runners that report what failed."""

    prometheus: Path
    promtool: Path
    amtool: Path
    alertmanager: Path

    @staticmethod
    def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run a tool with a deadline; the caller checks the return code."""
        return subprocess.run(
            [str(arg) for arg in args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    @staticmethod
    def explain(result: subprocess.CompletedProcess[str]) -> str:
        """What a failed tool said, for an assertion message."""
        return f"{' '.join(result.args)} exited {result.returncode}\n{result.stdout}{result.stderr}"

    @staticmethod
    def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
        """Poll `url` until it answers 200; fail with the log's tail if it dies or times out."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail(f"{url} did not become ready; log:\n{log.read_text()[-3000:]}")

    @staticmethod
    def stop(process: subprocess.Popen[bytes]) -> None:
        """Terminate a process this test started, and kill it if it lingers."""
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def run_ok(self, *args: str | Path, cwd: Path | None = None) -> str:
        """Run a tool, fail the test with its output unless it exits 0, return stdout+stderr."""
        result = self.run(*args, cwd=cwd)
        assert result.returncode == 0, self.explain(result)
        return result.stdout + result.stderr


@pytest.fixture(scope="session")
def tools(repo: Repo) -> Tools:
    bin_dir = repo.root / ".tools" / "bin"
    found = Tools(
        prometheus=bin_dir / "prometheus",
        promtool=bin_dir / "promtool",
        amtool=bin_dir / "amtool",
        alertmanager=bin_dir / "alertmanager",
    )
    missing = [path.name for path in vars(found).values() if not path.is_file()]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing from {bin_dir}: run `make setup`")
    return found


@pytest.fixture(params=Repo.profiles)
def profile(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def prometheus_dir(tmp_path: Path, repo: Repo, profile: str) -> Path:
    """prometheus.yml laid out as compose and the native runner do: `rules` beside it."""
    config_dir = tmp_path / "prometheus"
    config_dir.mkdir()
    (config_dir / "prometheus.yml").write_bytes(repo.prometheus_config.read_bytes())
    (config_dir / "rules").symlink_to(repo.rules_dir(profile), target_is_directory=True)
    return config_dir


# Seconds Alertmanager may take to answer /-/ready.
ALERTMANAGER_STARTUP_SECONDS = 15.0


@pytest.fixture
def start_alertmanager(
    tools: Tools, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[dict[str, Any]], str]]:
    """Starts real Alertmanagers with the given parsed configs on free ports; returns URLs.

    Started the way the native runner starts it (playground.native.tools copes with Debian's build,
    which reads its templates from a fixed system folder). Every one started is stopped when
    the test ends.
    """
    processes: list[subprocess.Popen[bytes]] = []
    settings = PlaygroundSettings(
        _env_file=None, PLAYGROUND_TOOLS_DIR=tools.alertmanager.parents[1]
    )

    def start(config: dict[str, Any]) -> str:
        work = tmp_path_factory.mktemp("alertmanager")
        executable = PlaygroundTools(settings).alertmanager(work / "tools")
        config_file = work / "alertmanager.yml"
        config_file.write_text(yaml.safe_dump(config))
        url = f"http://127.0.0.1:{free_port()}"
        log = work / "alertmanager.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [
                    str(executable.path),
                    f"--config.file={config_file}",
                    f"--storage.path={work / 'data'}",
                    f"--web.listen-address={url.removeprefix('http://')}",
                    "--cluster.listen-address=",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=executable.cwd,
            )
        processes.append(process)
        tools.wait_ready(f"{url}/-/ready", process, log, ALERTMANAGER_STARTUP_SECONDS)
        return url

    try:
        yield start
    finally:
        for process in processes:
            tools.stop(process)
