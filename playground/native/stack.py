"""NativeStack: demo_app, the alert receiver, Alertmanager and Prometheus as local processes.

    with NativeStack(settings) as stack:      # starts, waits until every part is healthy
        stack.urls.prometheus                 # "http://127.0.0.1:9090"
        stack.demo_app.apply_preset("error-storm")
        stack.prometheus.alerts()

The stack owns its run folder while it runs (a lock file), stops every part on exit, on an
exception and at interpreter exit, and leaves pid records so that `playground down` or the
next start can stop what a crash left behind. See processes.py for how children are kept
from outliving it. While it runs, supervise() restarts a part that dies (supervision.py).
What the stack runs is the table in parts.py; how each part starts is commands.py.
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
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Self, cast

import httpx

from playground.core.clients import (
    AlertmanagerClient,
    Client,
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
from playground.core.polling import wait_until
from playground.core.settings import PlaygroundSettings
from playground.native.commands import COMMANDS, Launch
from playground.native.grafana import render_grafana
from playground.native.parts import PARTS, Part, alertmanagers, part, running_parts, stack_ports
from playground.native.ports import check_ports
from playground.native.processes import (
    ManagedProcess,
    PidRecord,
    process_start_ticks,
    stop_processes,
    stop_records,
)
from playground.native.render import render_configs
from playground.native.run_folder import RunPaths
from playground.native.supervision import Supervisor
from playground.native.tools import Tools

_HEALTH_POLL_SECONDS = 0.1
_LOG_TAIL_LINES = 25
# How far back diagnostics() shows the 5xx of every scraped job, in minutes.
_ERRORS_MINUTES = 10
_ERRORS_PER_MINUTE = (
    'sum by (job, handler, status) (increase(http_requests_total{status=~"5.."}[1m]))'
)
_SUPERVISE_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class StackUrls:
    """Base URL of each part (no trailing slash); alertmanager_2 is the HA pair's second."""

    demo_app: str
    alert_receiver: str
    alertmanager: str
    alertmanager_2: str
    prometheus: str
    grafana: str

    @classmethod
    def from_settings(cls, settings: PlaygroundSettings) -> "StackUrls":
        return cls(**{row.name: row.url(settings) for row in PARTS})


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
        self.parts = running_parts(self.settings)
        self.processes: dict[str, ManagedProcess] = {}
        self._clients: dict[str, Client] = {}
        self._admin_token: str | None = None
        self._lock_file: IO[str] | None = None
        self._supervisor: Supervisor | None = None
        # Held while the supervisor restarts a part and while stop() stops them all, so a
        # part is never restarted after the stack was told to stop.
        self._lifecycle = threading.Lock()
        self._stopping = threading.Event()
        self._supervising: threading.Thread | None = None

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
        self._stopping.set()
        with self._lifecycle:
            stop_processes(self.processes.values(), self.settings.PLAYGROUND_STOP_TIMEOUT_SECONDS)
        if self._supervising is not None:
            self._supervising.join()
            self._supervising = None
        for client in self._clients.values():
            client.close()
        self._clients.clear()
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
        grafana = tools.grafana()
        if grafana is None:
            self.report(
                "no Grafana in .tools (Debian's packages have none): running without it; "
                "`PLAYGROUND_TOOLS_SOURCE=official make setup` installs it"
            )
        check_ports(stack_ports(settings))
        if self.fresh:
            # Grafana's database is not playground data: its dashboards are provisioned.
            data = [paths.data(row.name) for row in self.parts if row.name != "grafana"]
            for folder in [*data, paths.alert_receiver_db.parent]:
                shutil.rmtree(folder, ignore_errors=True)
        rendered = render_configs(settings)
        self._admin_token = secrets.token_urlsafe(32)
        _write_secret(paths.admin_token, self._admin_token)
        launch = Launch(
            settings,
            paths,
            tools,
            rendered.prometheus_config,
            rendered.alertmanager_config,
            self._admin_token,
            render_grafana(settings, grafana) if grafana is not None else None,
        )
        # Every command is built (and every binary found) before anything starts.
        self.processes = {row.name: self._process(row, launch) for row in self.parts}
        self._stopping.clear()
        deadline = time.monotonic() + settings.PLAYGROUND_STARTUP_TIMEOUT_SECONDS
        for wave in sorted({row.wave for row in self.parts}):
            rows = [row for row in self.parts if row.wave == wave]
            wave_deadline = deadline
            for row in rows:
                if row.startup_timeout_setting:
                    # Its own deadline (Grafana's first start migrates its database).
                    own = getattr(settings, row.startup_timeout_setting)
                    wave_deadline = max(wave_deadline, time.monotonic() + own)
            for row in rows:
                self.report(f"starting {row.name}")
                self.processes[row.name].start()
            self._wait_healthy(tuple(row.name for row in rows), wave_deadline)
        self._supervisor = Supervisor(self.processes, self.report)

    def _process(self, row: Part, launch: Launch) -> ManagedProcess:
        command = COMMANDS[row.name](row, launch)
        return ManagedProcess(
            row.name,
            command.argv,
            env={**command.env, **self.extra_env.get(row.name, {})},
            cwd=command.cwd,
            log_path=self.paths.log(row.name),
            record_dir=self.paths.pids,
        )

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
                row = part(name)
                url = row.url(self.settings) + row.health_path
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
        row = part(name)
        raise StartupError(
            f"{name} did not become healthy at {row.url(self.settings)}{row.health_path} "
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

    def supervise(self, interval: float = _SUPERVISE_POLL_SECONDS) -> None:
        """Restart parts that die, until stop() (or Ctrl-C, or a signal handler raises).

        Call it from the thread that started the stack: the kernel stops a child when the
        thread that started it ends (processes.py), so restarted parts belong to it too.
        """
        while not self._stopping.wait(interval):
            self.supervise_once()

    def supervise_once(self) -> list[str]:
        """One supervision pass: restart what died and is due; the names restarted."""
        with self._lifecycle:
            if self._supervisor is None or self._stopping.is_set():
                return []
            return self._supervisor.poll()

    def supervise_in_background(self) -> None:
        """supervise() on a thread of its own, which ends with stop() (tests use this)."""
        if self._supervising is None:
            self._supervising = threading.Thread(
                target=self.supervise, name="playground-supervisor", daemon=True
            )
            self._supervising.start()

    @property
    def restarts(self) -> dict[str, int]:
        """How often each part was restarted since start()."""
        return dict(self._supervisor.restarts) if self._supervisor else {}

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

    def client(self, name: str) -> Client:
        """The API client of the part ``name``, made on first use, closed by stop()."""
        if name not in self._clients:
            self._clients[name] = part(name).open_client(self.settings, self.admin_token)
        return self._clients[name]

    @property
    def prometheus(self) -> PrometheusClient:
        return cast(PrometheusClient, self.client("prometheus"))

    @property
    def alertmanager(self) -> AlertmanagerClient:
        return cast(AlertmanagerClient, self.client("alertmanager"))

    @property
    def receiver(self) -> ReceiverClient:
        return cast(ReceiverClient, self.client("alert_receiver"))

    @property
    def demo_app(self) -> DemoAppAdminClient:
        """demo_app's fault API, with this run's admin token."""
        return cast(DemoAppAdminClient, self.client("demo_app"))

    def alertmanager_clients(self) -> list[AlertmanagerClient]:
        """Every Alertmanager this stack runs (two with the HA pair), the first one first."""
        return [
            cast(AlertmanagerClient, self.client(row.name)) for row in alertmanagers(self.settings)
        ]

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
                    f"value={a.get('value')} {_labels(a['labels'])}"
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
                f"5xx by job, last {_ERRORS_MINUTES} min (UTC time=count in the minute to it)",
                self._errors,
            ),
            ("demo_app's log, last lines", self._demo_app_log),
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

    def _demo_app_log(self) -> list[str]:
        """Its last lines (the fault changes are logged there), or why there are none."""
        try:
            return self.log_tail("demo_app", 12).splitlines()
        except (KeyError, OSError) as exc:
            return [f"unreadable: {exc!r}"]

    def _errors(self) -> list[str]:
        """5xx counts by job, route and status, minute by minute: an alert that will not go
        quiet after its fault was reset shows here whether errors are still arriving, when,
        and from which job (the rules read http_requests_total of every job)."""
        now = time.time()
        series = self.prometheus.query_range(
            _ERRORS_PER_MINUTE,
            now - 60 * _ERRORS_MINUTES,
            now,
            60,
        )
        return [
            f"{s['metric'].get('job')} {s['metric'].get('handler')} {s['metric'].get('status')}: "
            + " ".join(
                f"{time.strftime('%H:%M:%S', time.gmtime(at))}={float(count):.0f}"
                for at, count in s["values"]
            )
            for s in series
        ]


def _labels(labels: Mapping[str, str]) -> str:
    """An alert's labels but its name, as PromQL writes them: which job, which rule."""
    return (
        "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "alertname") + "}"
    )


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
    """Every port `playground up` listens on (Grafana's where it is installed, the HA pair's
    with PLAYGROUND_HA): the parts table's, parts.stack_ports."""
    return stack_ports(settings)


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
    records = {r.name: r for r in PidRecord.load_all(paths.pids) if r.is_alive()}
    # What this stack runs, and any part still recorded (an HA run's second Alertmanager).
    shown = set(running_parts(settings)) | {row for row in PARTS if row.name in records}
    statuses = []
    with httpx.Client(timeout=1.0, trust_env=False) as http:
        for row in (row for row in PARTS if row in shown):
            name, url = row.name, row.url(settings)
            try:
                response = http.get(url + row.health_path)
                healthy = response.status_code == 200
                detail = f"HTTP {response.status_code} from {row.health_path}"
            except httpx.TransportError as exc:
                healthy, detail = False, f"not answering ({type(exc).__name__})"
            record = records.get(name)
            statuses.append(PartStatus(name, url, record.pid if record else None, healthy, detail))
    return statuses
