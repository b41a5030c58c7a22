"""Locust as a child process: headless, following one scenario, reports into a folder.

The runner starts it, reads its log to learn when the load shape started and when each
phase began (the log lines carry Locust's own timestamps), reads its CSV history for the
progress lines, and stops it as Ctrl-C would, so that it still writes its HTML and CSV
reports. Each process runs in its own session (a terminal's Ctrl-C reaches only the runner)
and is told by the kernel to exit if the runner dies (playground.native.processes).
"""

import contextlib
import csv
import os
import re
import signal
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from loadtest.scenarios import PhaseLengths
from playground.core.errors import PlaygroundError
from playground.core.net import free_port
from playground.core.paths import REPO_ROOT
from playground.core.polling import wait_until
from playground.native.processes import ManagedProcess, stop_processes

LOCUSTFILE = REPO_ROOT / "loadtest" / "locustfile.py"
LOCUST_CONF = REPO_ROOT / "loadtest" / "locust.conf"
# How long Locust may take to import and start its load shape (about 1 s when idle).
LOCUST_START_TIMEOUT = 60.0
# After SIGINT Locust writes its HTML and CSV reports and exits; this long at most.
LOCUST_STOP_TIMEOUT = 20.0
# Locust usually exits within a second of SIGINT; past this it is sent again (see stop()).
# More than a scrape interval: a master serving its final metrics lingers that long.
SIGINT_RESEND_SECONDS = 8.0
_LOG_TIME = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\]")


def parse_log_time(line: str) -> float | None:
    """Epoch seconds of a Locust log line's timestamp (local time), if it has one."""
    match = _LOG_TIME.match(line)
    if match is None:
        return None
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()


class LocustRun:
    """Locust headless as child processes (a master and N workers, or one process).

    Reports go to ``<folder>/locust_*.csv``, ``locust.html`` and ``locust.log``.

    Args:
        folder: The run's results folder.
        scenario: The scenario name (``--scenario``).
        lengths: The phase lengths to pass on.
        host: demo_app's base URL.
        profile: The alert profile (``--alert-profile``).
        workers: Worker processes; 0 for a single process.
        metrics_port: Where the master serves its metrics for Prometheus (loadtest/metrics.py);
            None for none.
        metrics_linger_seconds: How long the master keeps serving them after the test, so
            Prometheus's next scrape reads the final totals.
    """

    def __init__(
        self,
        folder: Path,
        scenario: str,
        lengths: PhaseLengths,
        host: str,
        profile: str,
        workers: int = 0,
        metrics_port: int | None = None,
        metrics_linger_seconds: float = 0.0,
    ) -> None:
        self.folder = folder
        self.log_path = folder / "locust.log"
        self.csv_prefix = folder / "locust"
        self.html_path = folder / "locust.html"
        common = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--config",
            str(LOCUST_CONF),
            "--scenario",
            scenario,
            "--alert-profile",
            profile,
            *(
                arg
                for name in ("warmup", "incident", "recovery", "steady")
                if (value := getattr(lengths, name))
                for arg in (f"--{name}-seconds", f"{value:g}")
            ),
        ]
        master = [
            *common,
            "--headless",
            "--host",
            host,
            "--only-summary",
            "--csv",
            str(self.csv_prefix),
            "--html",
            str(self.html_path),
            "--logfile",
            str(self.log_path),
        ]
        if metrics_port is not None:
            master += ["--metrics-port", str(metrics_port)]
            master += ["--metrics-linger-seconds", f"{metrics_linger_seconds:g}"]
        self.processes: list[ManagedProcess] = []
        if workers:
            port = free_port()
            master += [
                "--master",
                "--master-bind-host",
                "127.0.0.1",
                "--master-bind-port",
                str(port),
                "--expect-workers",
                str(workers),
            ]
            for index in range(workers):
                worker = [*common, "--worker", "--master-host", "127.0.0.1"]
                worker += [
                    "--master-port",
                    str(port),
                    "--logfile",
                    str(folder / f"worker{index}.log"),
                ]
                self.processes.append(self._process(f"locust-worker{index}", worker))
        self.processes.insert(0, self._process("locust", master))

    def _process(self, name: str, argv: list[str]) -> ManagedProcess:
        return ManagedProcess(
            name,
            argv,
            env={"PYTHONUNBUFFERED": "1"},
            cwd=REPO_ROOT,
            log_path=self.folder / f"{name}.out",
            record_dir=self.folder / ".pids",
        )

    @property
    def master(self) -> ManagedProcess:
        return self.processes[0]

    def start(self) -> None:
        for process in self.processes:
            process.start()

    def is_running(self) -> bool:
        return self.master.is_running()

    def log_lines(self) -> list[str]:
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def logged_at(self, text: str) -> float | None:
        """When Locust's log first said ``text`` (epoch seconds), or None."""
        for line in self.log_lines():
            if text in line:
                return parse_log_time(line)
        return None

    def wait_logged(self, text: str, timeout: float = 3.0) -> float | None:
        """Wait up to ``timeout`` seconds for Locust to log ``text``; when it did, or None."""
        return wait_until(lambda: self.logged_at(text), timeout, interval=0.05)

    def wait_for_shape(self, timeout: float = LOCUST_START_TIMEOUT) -> float:
        """Wait until the load shape starts; its start time (epoch seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = self.logged_at("Shape test starting")
            if started is not None:
                return started
            if not self.is_running():
                break
            time.sleep(0.1)
        raise PlaygroundError(
            "Locust did not start its load shape"
            + (f" (exit code {self.master.returncode})" if not self.is_running() else "")
            + f".\n{self.master.log_excerpt()}"
        )

    def progress(self) -> dict[str, float] | None:
        """The latest row of Locust's stats history: users, req/s, failures/s, totals."""
        try:
            with open(f"{self.csv_prefix}_stats_history.csv", newline="") as file:
                rows = list(csv.DictReader(file))
        except OSError:
            return None
        if not rows:
            return None
        row = rows[-1]
        try:
            return {
                "users": float(row["User Count"]),
                "rps": float(row["Requests/s"]),
                "failures_per_second": float(row["Failures/s"]),
                "requests": float(row["Total Request Count"]),
                "failures": float(row["Total Failure Count"]),
            }
        except (KeyError, ValueError):
            return None

    def stop(self) -> None:
        """Ask Locust to stop as after Ctrl-C (it writes its reports), then make sure."""
        running = [p for p in self.processes if p.is_running()]
        deadline = time.monotonic() + LOCUST_STOP_TIMEOUT
        while running and time.monotonic() < deadline:
            # Again every few seconds: Python turns SIGINT into a KeyboardInterrupt wherever
            # the process is, and one raised inside a weakref callback is printed
            # ("Exception ignored in ... KeyboardInterrupt") and dropped, so Locust keeps
            # running. Only SIGINT makes it write its HTML report (SIGTERM does not).
            for process in running:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGINT)  # type: ignore[arg-type]
            resend = time.monotonic() + SIGINT_RESEND_SECONDS
            while any(p.is_running() for p in running) and time.monotonic() < min(resend, deadline):
                time.sleep(0.1)
            running = [p for p in running if p.is_running()]
        stop_processes(self.processes, timeout=5.0)
        with contextlib.suppress(OSError):
            (self.folder / ".pids").rmdir()

    def summary(self) -> dict[str, Any]:
        """Requests and failures per endpoint, from locust_stats.csv."""
        path = Path(f"{self.csv_prefix}_stats.csv")
        endpoints = []
        total: dict[str, Any] = {}
        try:
            with open(path, newline="") as file:
                for row in csv.DictReader(file):
                    entry = {
                        "method": row["Type"],
                        "name": row["Name"],
                        "requests": int(row["Request Count"]),
                        "failures": int(row["Failure Count"]),
                        "median_ms": _number(row["Median Response Time"]),
                        "p95_ms": _number(row["95%"]),
                        "rps": _number(row["Requests/s"]),
                    }
                    if row["Name"] == "Aggregated":
                        total = entry
                    else:
                        endpoints.append(entry)
        except (OSError, KeyError, ValueError):
            return {"available": False}
        if not total:
            # Locust opens its CSV files before it starts; one that failed to start (its
            # metrics port taken, say) leaves them empty.
            return {"available": False}
        files = sorted(p.name for p in self.folder.glob("locust*") if p.is_file())
        return {"available": True, "total": total, "endpoints": endpoints, "files": files}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
