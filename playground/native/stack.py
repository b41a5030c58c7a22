"""NativeStack: demo_app, the alert receiver, Alertmanager and Prometheus as local processes.

    with NativeStack(settings) as stack:      # starts, waits until every part is healthy
        stack.urls.prometheus                 # "http://127.0.0.1:9090"
        stack.demo_app.apply_preset("error-storm")
        stack.prometheus.alerts()

The stack owns its run folder while it runs (a lock file), stops every part on exit, on an
exception and at interpreter exit, and leaves pid records so that `playground down` or the
next start can stop what a crash left behind. See processes.py for how children are kept
from outliving it.
"""

import atexit
import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import IO, Self

import httpx

from playground.core.clients import (
    AlertmanagerClient,
    DemoAppAdminClient,
    PrometheusClient,
    ReceiverClient,
    StackApiError,
)
from playground.core.errors import (
    PlaygroundError,
    ProcessExitedError,
    StackRunningError,
    StartupError,
)
from playground.core.paths import REPO_ROOT
from playground.core.polling import wait_until
from playground.core.settings import LOOPBACK, PlaygroundSettings
from playground.native.grafana import grafana_command, render_grafana
from playground.native.ports import check_ports
from playground.native.processes import (
    ManagedProcess,
    PidRecord,
    process_start_ticks,
    stop_processes,
    stop_records,
)
from playground.native.render import RenderedConfigs, render_configs
from playground.native.tools import Executable, Tools

# Start order, in waves: Prometheus after its targets, so its first scrapes find every
# target up; Grafana, when installed, last, on its datasources.
PARTS = ("demo_app", "alert_receiver", "alertmanager", "prometheus")
OPTIONAL_PARTS = ("grafana",)
HEALTH_PATHS = {
    "demo_app": "/ready",
    "alert_receiver": "/health",
    "alertmanager": "/-/ready",
    "prometheus": "/-/ready",
    "grafana": "/api/health",
}
_HEALTH_POLL_SECONDS = 0.1
_LOG_TAIL_LINES = 25


@dataclass(frozen=True)
class StackUrls:
    """Base URL of each part (no trailing slash)."""

    demo_app: str
    alert_receiver: str
    alertmanager: str
    prometheus: str
    grafana: str

    @classmethod
    def from_settings(cls, settings: PlaygroundSettings) -> "StackUrls":
        return cls(
            demo_app=f"http://{LOOPBACK}:{settings.DEMO_APP_PORT}",
            alert_receiver=f"http://{LOOPBACK}:{settings.ALERT_RECEIVER_PORT}",
            alertmanager=f"http://{LOOPBACK}:{settings.ALERTMANAGER_PORT}",
            prometheus=f"http://{LOOPBACK}:{settings.PROMETHEUS_PORT}",
            grafana=f"http://{LOOPBACK}:{settings.GRAFANA_PORT}",
        )


@dataclass(frozen=True)
class RunPaths:
    """The layout of the run folder."""

    root: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def lock(self) -> Path:
        return self.root / "stack.lock"

    @property
    def admin_token(self) -> Path:
        return self.root / "admin-token"

    @property
    def prometheus_data(self) -> Path:
        return self.root / "prometheus" / "data"

    @property
    def alertmanager_data(self) -> Path:
        return self.root / "alertmanager" / "data"

    @property
    def alert_receiver_db(self) -> Path:
        """The receiver's notifications (SQLite), kept across restarts like the TSDB."""
        return self.root / "alert_receiver" / "notifications.sqlite3"

    @property
    def tools(self) -> Path:
        return self.root / "tools"

    def log(self, part: str) -> Path:
        return self.logs / f"{part}.log"


def _write_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        # O_CREAT's mode does not apply to a file that already exists.
        os.fchmod(file.fileno(), 0o600)
        file.write(secret + "\n")


def read_admin_token(settings: PlaygroundSettings) -> str:
    """The admin token of the stack that runs (or last ran) from this run folder.

    Raises:
        PlaygroundError: No stack has written one yet.
    """
    path = RunPaths(settings.PLAYGROUND_RUN_DIR).admin_token
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise PlaygroundError(
            f"No admin token at {path}: start the stack (`playground up`)."
        ) from None


class NativeStack:
    """The four parts of the playground, run natively on 127.0.0.1.

    Args:
        settings: Ports, profile and folders. Defaults to ``PlaygroundSettings()`` (the
            environment, .env.override and .env).
        fresh: Should the Prometheus, Alertmanager and receiver data of earlier runs be deleted
            first? Defaults to False (history survives a restart).
        extra_env: Variables added to one part's environment, by part name, e.g.
            ``{"demo_app": {"DEMO_APP_SEED": "7"}}``.
        report: Receives one line per step (starting, healthy...). Defaults to silence.
    """

    def __init__(
        self,
        settings: PlaygroundSettings | None = None,
        *,
        fresh: bool = False,
        extra_env: Mapping[str, Mapping[str, str]] | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings or PlaygroundSettings()
        self.fresh = fresh
        self.extra_env = {name: dict(env) for name, env in (extra_env or {}).items()}
        self.report = report or (lambda _line: None)
        self.urls = StackUrls.from_settings(self.settings)
        self.paths = RunPaths(self.settings.PLAYGROUND_RUN_DIR)
        self.processes: dict[str, ManagedProcess] = {}
        self._admin_token: str | None = None
        self._lock_file: IO[str] | None = None

    # --- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Self:
        """Start every part and wait until each is healthy.

        Raises:
            StackRunningError: Another stack owns this run folder.
            MissingToolError: A binary is missing (run `make setup`).
            PortInUseError: A port is taken.
            ConfigError: A config cannot be rendered.
            StartupError: A part exited or stayed unhealthy; has its log's last lines.
        """
        if self._lock_file is not None:
            raise StackRunningError("This stack is already started.")
        self._take_run_folder()
        atexit.register(self.stop)
        try:
            self._start_parts()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every part (SIGTERM, then SIGKILL after the stop timeout). Idempotent."""
        atexit.unregister(self.stop)
        stop_processes(self.processes.values(), self.settings.PLAYGROUND_STOP_TIMEOUT_SECONDS)
        for name in ("prometheus", "alertmanager", "receiver", "demo_app"):
            if client := self.__dict__.pop(name, None):
                client.close()
        self._release_run_folder()

    def _take_run_folder(self) -> None:
        self.paths.root.mkdir(parents=True, exist_ok=True)
        lock_file = open(self.paths.lock, "a+")  # noqa: SIM115 - held until stop()
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            owner = _lock_owner(self.paths)
            who = f" (pid {owner.pid})" if owner else ""
            raise StackRunningError(
                f"A stack is already running from {self.paths.root}{who}. Stop it with "
                "`playground down`, or use another PLAYGROUND_RUN_DIR."
            ) from None
        me = PidRecord(
            "playground", os.getpid(), process_start_ticks(os.getpid()), " ".join(sys.argv)
        )
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(json.dumps(asdict(me)))
        lock_file.flush()
        self._lock_file = lock_file

    def _release_run_folder(self) -> None:
        if self._lock_file is not None:
            self._lock_file.truncate(0)
            self._lock_file.close()
            self._lock_file = None

    def _start_parts(self) -> None:
        settings, paths = self.settings, self.paths
        timeout = settings.PLAYGROUND_STOP_TIMEOUT_SECONDS
        if leftovers := stop_records(PidRecord.load_all(paths.pids), paths.pids, timeout):
            self.report(f"stopped leftovers of an earlier run: {', '.join(leftovers)}")
        tools = Tools(settings)
        prometheus, alertmanager = tools.prometheus(), tools.alertmanager(paths.tools)
        grafana = tools.grafana()
        if grafana is None:
            self.report(
                "no Grafana in .tools (Debian's packages have none): running without it; "
                "`PLAYGROUND_TOOLS_SOURCE=official make setup` installs it"
            )
        check_ports(native_ports(settings))
        if self.fresh:
            for data in (
                paths.prometheus_data,
                paths.alertmanager_data,
                paths.alert_receiver_db.parent,
            ):
                shutil.rmtree(data, ignore_errors=True)
        rendered = render_configs(settings)
        self._admin_token = secrets.token_urlsafe(32)
        _write_secret(paths.admin_token, self._admin_token)
        self.processes = self._define_processes(rendered, prometheus, alertmanager)
        if grafana is not None:
            files = render_grafana(settings, grafana)
            self.processes["grafana"] = self._process(
                "grafana", grafana_command(grafana, files), {}, files.home
            )
        deadline = time.monotonic() + settings.PLAYGROUND_STARTUP_TIMEOUT_SECONDS
        for wave in (("demo_app", "alert_receiver", "alertmanager"), ("prometheus",)):
            self._start_wave(wave, deadline)
        if grafana is not None:
            # Its own deadline: a first start creates and migrates Grafana's database.
            self._start_wave(
                ("grafana",), time.monotonic() + settings.PLAYGROUND_GRAFANA_STARTUP_TIMEOUT_SECONDS
            )

    def _start_wave(self, wave: tuple[str, ...], deadline: float) -> None:
        for name in wave:
            self.report(f"starting {name}")
            self.processes[name].start()
        self._wait_healthy(wave, deadline)

    def _process(
        self, name: str, argv: list[str], env: dict[str, str], cwd: Path
    ) -> ManagedProcess:
        return ManagedProcess(
            name,
            argv,
            env={**env, **self.extra_env.get(name, {})},
            cwd=cwd,
            log_path=self.paths.log(name),
            record_dir=self.paths.pids,
        )

    def _define_processes(
        self, rendered: RenderedConfigs, prometheus: Executable, alertmanager: Executable
    ) -> dict[str, ManagedProcess]:
        """One process per part, in start order, not yet started."""
        settings, paths = self.settings, self.paths
        token = self.admin_token
        python = [sys.executable, "-m"]
        commands: dict[str, tuple[list[str], dict[str, str], Path]] = {
            "demo_app": (
                [*python, "demo_app"],
                {
                    "DEMO_APP_HOST": LOOPBACK,
                    "DEMO_APP_PORT": str(settings.DEMO_APP_PORT),
                    "DEMO_APP_ADMIN_TOKEN": token,
                    "PYTHONUNBUFFERED": "1",
                },
                REPO_ROOT,
            ),
            "alert_receiver": (
                [*python, "alert_receiver"],
                {
                    "ALERT_RECEIVER_HOST": LOOPBACK,
                    "ALERT_RECEIVER_PORT": str(settings.ALERT_RECEIVER_PORT),
                    "ALERT_RECEIVER_DB_PATH": str(paths.alert_receiver_db),
                    "PYTHONUNBUFFERED": "1",
                },
                REPO_ROOT,
            ),
            "alertmanager": (
                [
                    str(alertmanager.path),
                    f"--config.file={rendered.alertmanager_config}",
                    f"--storage.path={paths.alertmanager_data}",
                    f"--web.listen-address={LOOPBACK}:{settings.ALERTMANAGER_PORT}",
                    f"--web.external-url={self.urls.alertmanager}/",
                    # Empty: no cluster, so no gossip port to collide on.
                    "--cluster.listen-address=",
                ],
                {},
                alertmanager.cwd or paths.root,
            ),
            "prometheus": (
                [
                    str(prometheus.path),
                    f"--config.file={rendered.prometheus_config}",
                    f"--storage.tsdb.path={paths.prometheus_data}",
                    f"--storage.tsdb.retention.time={settings.PROMETHEUS_RETENTION_TIME}",
                    f"--storage.tsdb.retention.size={settings.PROMETHEUS_RETENTION_SIZE}",
                    f"--web.listen-address={LOOPBACK}:{settings.PROMETHEUS_PORT}",
                    # The alerts' generatorURL links point here.
                    f"--web.external-url={self.urls.prometheus}/",
                ],
                {},
                paths.root,
            ),
        }
        return {
            name: self._process(name, argv, env, cwd) for name, (argv, env, cwd) in commands.items()
        }

    def _wait_healthy(self, names: tuple[str, ...], deadline: float) -> None:
        pending = set(names)
        last_seen = dict.fromkeys(names, "no answer yet")
        started = time.monotonic()

        def poll_once() -> bool:
            for name in sorted(pending):
                process = self.processes[name]
                if process.returncode is not None:
                    raise StartupError(
                        f"{name} exited with code {process.returncode} while starting.\n"
                        + self._log_excerpt(name)
                    )
                url = getattr(self.urls, name) + HEALTH_PATHS[name]
                try:
                    response = http.get(url)
                except httpx.TransportError as exc:
                    last_seen[name] = f"{type(exc).__name__}: {exc}"
                    continue
                if response.status_code == 200:
                    pending.discard(name)
                    self.report(f"{name} is healthy ({time.monotonic() - started:.1f} s)")
                else:
                    last_seen[name] = f"HTTP {response.status_code}: {response.text[:200]}"
            return not pending

        with httpx.Client(timeout=1.0, trust_env=False) as http:
            if wait_until(poll_once, max(0.0, deadline - time.monotonic()), _HEALTH_POLL_SECONDS):
                return
        name = sorted(pending)[0]
        raise StartupError(
            f"{name} did not become healthy at {getattr(self.urls, name)}{HEALTH_PATHS[name]} "
            f"within {self.settings.PLAYGROUND_STARTUP_TIMEOUT_SECONDS:g} s "
            f"(last answer: {last_seen[name]}).\n" + self._log_excerpt(name)
        )

    # --- while running ---------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """Whether start() succeeded and stop() has not been called since."""
        return self._lock_file is not None and bool(self.processes)

    def check_alive(self) -> None:
        """Raise if a part has exited.

        Raises:
            ProcessExitedError: With the part's exit code and its log's last lines.
        """
        for name, process in self.processes.items():
            if process.returncode is not None:
                raise ProcessExitedError(
                    f"{name} exited with code {process.returncode}.\n" + self._log_excerpt(name)
                )

    def supervise(self, interval: float = 0.5) -> None:
        """Block while every part runs (until Ctrl-C or a signal handler raises).

        Raises:
            ProcessExitedError: A part exited.
        """
        while True:
            self.check_alive()
            time.sleep(interval)

    def log_tail(self, name: str, lines: int = _LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of a part's log."""
        return self.processes[name].log_tail(lines)

    def _log_excerpt(self, name: str) -> str:
        return self.processes[name].log_excerpt(_LOG_TAIL_LINES)

    @property
    def pids(self) -> dict[str, int]:
        """The pid of each started part."""
        return {name: p.pid for name, p in self.processes.items() if p.pid is not None}

    @property
    def admin_token(self) -> str:
        """demo_app's admin token for this run (also in ``<run>/admin-token``)."""
        if self._admin_token is None:
            raise PlaygroundError("The stack has not been started.")
        return self._admin_token

    # --- clients ---------------------------------------------------------------------

    # Created on first use, closed by stop().

    @cached_property
    def prometheus(self) -> PrometheusClient:
        return PrometheusClient(self.urls.prometheus)

    @cached_property
    def alertmanager(self) -> AlertmanagerClient:
        return AlertmanagerClient(self.urls.alertmanager)

    @cached_property
    def receiver(self) -> ReceiverClient:
        return ReceiverClient(self.urls.alert_receiver)

    @cached_property
    def demo_app(self) -> DemoAppAdminClient:
        """demo_app's fault API, with this run's admin token."""
        return DemoAppAdminClient(self.urls.demo_app, self.admin_token)

    def diagnostics(self) -> str:
        """What Prometheus, Alertmanager and the receiver see now, for a failing test.

        Targets with their health, rules with their health and state, active alerts in
        Prometheus and Alertmanager, and the latest notifications. Never raises.
        """
        sections: list[tuple[str, Callable[[], list[str]]]] = [
            (
                "Prometheus targets",
                lambda: [
                    f"{t['labels'].get('job')} {t['scrapeUrl']} {t['health']} {t['lastError']}"
                    for t in self.prometheus.targets()
                ],
            ),
            (
                "Prometheus rules",
                lambda: [
                    f"{r['name']} health={r['health']} state={r.get('state', '-')} "
                    f"{r.get('lastError', '')}"
                    for r in self.prometheus.rules()
                ],
            ),
            (
                "Prometheus alerts",
                lambda: [
                    f"{a['labels'].get('alertname')} {a['state']} since {a.get('activeAt')} "
                    f"value={a.get('value')}"
                    for a in self.prometheus.alerts()
                ],
            ),
            (
                "Alertmanager alerts",
                lambda: [
                    f"{a['labels'].get('alertname')} {a['status']['state']} "
                    f"receivers={[r['name'] for r in a['receivers']]}"
                    for a in self.alertmanager.alerts()
                ],
            ),
            (
                "Receiver notifications (newest first)",
                lambda: [
                    f"#{n['id']} {n['received_at']} {n['status']} "
                    f"{sorted({a['labels'].get('alertname', '?') for a in n['alerts']})}"
                    for n in self.receiver.notifications(limit=20)
                ],
            ),
        ]
        lines = []
        for title, read in sections:
            lines.append(f"== {title}")
            try:
                lines.extend(f"  {line}" for line in read() or ["(none)"])
            except StackApiError as exc:
                lines.append(f"  unavailable: {exc}")
        return "\n".join(lines)


def _lock_owner(paths: RunPaths) -> PidRecord | None:
    with contextlib.suppress(OSError, ValueError, TypeError):
        return PidRecord(**json.loads(paths.lock.read_text()))
    return None


def _run_folder_is_locked(paths: RunPaths) -> bool:
    try:
        with open(paths.lock) as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True
    return False


def stop_stack(settings: PlaygroundSettings, report: Callable[[str], None]) -> list[str]:
    """`playground down`: stop the stack that runs from this run folder, and any leftovers.

    A running `playground up` is asked to stop with SIGTERM, so it stops its parts in
    order; if it does not let go of the run folder in time, it is killed (its parts get
    SIGTERM from the kernel). Then every recorded part still alive is stopped.

    Returns:
        The names of what was stopped.
    """
    paths = RunPaths(settings.PLAYGROUND_RUN_DIR)
    timeout = settings.PLAYGROUND_STOP_TIMEOUT_SECONDS
    stopped = []
    owner = _lock_owner(paths)
    if _run_folder_is_locked(paths) and owner and owner.is_alive():
        report(f"asking playground (pid {owner.pid}) to stop")
        os.kill(owner.pid, signal.SIGTERM)
        if not wait_until(lambda: not _run_folder_is_locked(paths), timeout + 5):
            report(f"playground (pid {owner.pid}) did not stop in time; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.kill(owner.pid, signal.SIGKILL)
        stopped.append("playground")
    stopped += stop_records(PidRecord.load_all(paths.pids), paths.pids, timeout)
    return stopped


def native_ports(settings: PlaygroundSettings) -> dict[str, int]:
    """Every port `playground up` listens on: Grafana's too where it is installed."""
    ports = settings.ports()
    if Tools(settings).grafana() is not None:
        ports["GRAFANA_PORT"] = settings.GRAFANA_PORT
    return ports


@dataclass(frozen=True)
class PartStatus:
    """One line of `playground status`."""

    name: str
    url: str
    pid: int | None
    healthy: bool
    detail: str


def stack_status(settings: PlaygroundSettings) -> list[PartStatus]:
    """Each part's recorded pid (if it still runs) and whether its health check passes."""
    paths = RunPaths(settings.PLAYGROUND_RUN_DIR)
    urls = StackUrls.from_settings(settings)
    records = {r.name: r for r in PidRecord.load_all(paths.pids) if r.is_alive()}
    # Grafana is a part only where it is installed.
    names = PARTS + tuple(n for n in OPTIONAL_PARTS if n in records or Tools(settings).grafana())
    statuses = []
    with httpx.Client(timeout=1.0, trust_env=False) as http:
        for name in names:
            url = getattr(urls, name)
            try:
                response = http.get(url + HEALTH_PATHS[name])
                healthy = response.status_code == 200
                detail = f"HTTP {response.status_code} from {HEALTH_PATHS[name]}"
            except httpx.TransportError as exc:
                healthy, detail = False, f"not answering ({type(exc).__name__})"
            record = records.get(name)
            statuses.append(PartStatus(name, url, record.pid if record else None, healthy, detail))
    return statuses
