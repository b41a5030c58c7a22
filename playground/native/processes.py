"""Child processes of the native stack, and the records that find them again after a crash.

Each child runs in its own session (so a terminal's Ctrl-C reaches only the runner, which
then stops the children in order), writes stdout and stderr to one log file, and on Linux
is told by the kernel to exit when the runner dies (PR_SET_PDEATHSIG). A JSON record per
child (pid plus the kernel's start time, which tells a reused pid apart) lets
`playground down` and the next `playground up` clean up whatever a crash left behind.
"""

import contextlib
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from playground.core.polling import wait_until
from playground.core.procfs import read_stat

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.05
_LOG_READ_BYTES = 256 * 1024
_EARLIER_ERRORS = 5
# Lines worth showing even when they scrolled out of the tail.
_ERROR_LINE = re.compile(
    r"^(error|fatal|panic)|level=(error|fatal)|traceback \(most recent call last\)", re.IGNORECASE
)
# Loaded before any fork: the child must not load a library between fork and exec.
_LIBC = ctypes.CDLL(None, use_errno=True)
_IS_LINUX = sys.platform == "linux"
_HAS_PROC = Path("/proc/self/stat").exists()
# Ignored signals stay ignored across exec. A runner that ignores these (nohup, a shell,
# a test that called the CLI) must not hand that on: the children are stopped with SIGTERM.
_DEFAULT_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def default_stop_signals() -> None:
    """A preexec_fn: SIGTERM, SIGINT and SIGHUP handled by default in the child.

    Only libc is called here: Python's signal module is not safe between fork and exec.
    """
    for signum in _DEFAULT_SIGNALS:
        _LIBC.signal(signum, signal.SIG_DFL)


def _prepare_child(parent_pid: int) -> Callable[[], None]:
    """A preexec_fn: default signal handling, and on Linux SIGTERM when the runner dies.

    The kernel sends the death signal when the *thread* that started the child exits, so
    start the stack from a thread that lives as long as the stack (normally the main one).
    Only libc is called here: Python's signal module is not safe between fork and exec.
    """
    libc = _LIBC

    def prepare() -> None:
        default_stop_signals()
        if _IS_LINUX:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            # The runner may have died between fork and prctl: then nobody would signal us.
            if os.getppid() != parent_pid:
                os._exit(1)

    return prepare


def process_start_ticks(pid: int) -> int | None:
    """When ``pid`` started, as a number that tells a reused pid apart; None if it is gone.

    Linux: the kernel's start time (clock ticks since boot) from /proc. Elsewhere (macOS has
    no /proc): ``ps``'s start time, to the second. A zombie counts as gone: it holds no
    port and runs no code.
    """
    if not _HAS_PROC:
        return _ps_start_seconds(pid)
    stat = read_stat(pid)
    return None if stat is None or stat.is_dead else stat.start_ticks


def _ps_start_seconds(pid: int) -> int | None:
    """``pid``'s start time in seconds since the epoch, from ``ps`` (POSIX; macOS too)."""
    # LC_ALL=C: lstart is printed as `Mon Nov 30 14:35:38 2026` whatever the user's locale.
    result = subprocess.run(
        ["ps", "-o", "stat=", "-o", "lstart=", "-p", str(pid)],
        capture_output=True,
        text=True,
        timeout=10,
        env={**os.environ, "LC_ALL": "C"},
    )
    fields = result.stdout.split(None, 1)
    if result.returncode != 0 or len(fields) != 2 or fields[0].startswith("Z"):
        return None
    started = time.strptime(" ".join(fields[1].split()), "%a %b %d %H:%M:%S %Y")
    return int(time.mktime(started))


@dataclass(frozen=True)
class PidRecord:
    """What is written to ``<record_dir>/<name>.json`` while a child runs."""

    name: str
    pid: int
    start_ticks: int | None
    command: str

    def is_alive(self) -> bool:
        """Whether this very process (not a later one with the same pid) still runs."""
        return self.start_ticks is not None and process_start_ticks(self.pid) == self.start_ticks

    def save(self, record_dir: Path) -> None:
        record_dir.mkdir(parents=True, exist_ok=True)
        (record_dir / f"{self.name}.json").write_text(json.dumps(asdict(self)))

    def forget(self, record_dir: Path) -> None:
        (record_dir / f"{self.name}.json").unlink(missing_ok=True)

    @classmethod
    def load_all(cls, record_dir: Path) -> list["PidRecord"]:
        """Every readable record in ``record_dir``; unreadable ones are dropped."""
        records = []
        for path in sorted(record_dir.glob("*.json")):
            try:
                records.append(cls(**json.loads(path.read_text())))
            except (OSError, ValueError, TypeError):
                path.unlink(missing_ok=True)
        return records


def _signal_group(pid: int, signum: int) -> None:
    # Each child leads its own process group, so this reaches anything it started too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def stop_records(records: Iterable[PidRecord], record_dir: Path, timeout: float) -> list[str]:
    """Stop the still-running processes of ``records`` (SIGTERM, then SIGKILL); forget all.

    Returns:
        The names of the processes that were running.
    """
    records = list(records)
    alive = [r for r in records if r.is_alive()]
    for record in alive:
        _signal_group(record.pid, signal.SIGTERM)
    wait_until(lambda: not any(r.is_alive() for r in alive), timeout, _POLL_SECONDS)
    for record in alive:
        if record.is_alive():
            _signal_group(record.pid, signal.SIGKILL)
    wait_until(lambda: not any(r.is_alive() for r in alive), timeout, _POLL_SECONDS)
    for record in records:
        record.forget(record_dir)
    return [r.name for r in alive]


class ManagedProcess:
    """One child of the stack.

    Args:
        name: Short name, used for the log file and the pid record (``demo_app``).
        argv: The command.
        env: Variables added to the runner's environment.
        cwd: Working directory.
        log_path: Receives stdout and stderr, appended: a restart or the next run adds a
            marked section, so what led to a crash is still there.
        record_dir: Where the pid record is written.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        cwd: Path,
        log_path: Path,
        record_dir: Path,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.cwd = cwd
        self.log_path = log_path
        self.record_dir = record_dir
        self._popen: subprocess.Popen[bytes] | None = None
        self._record: PidRecord | None = None
        # Where this start's section of the log begins: excerpts read from here on.
        self._log_offset = 0
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen else None

    @property
    def returncode(self) -> int | None:
        """None while running (or never started), else the exit code (negative: signal)."""
        return self._popen.poll() if self._popen else None

    def is_running(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def start(self) -> None:
        """Start the child (again, if it ran before) and record it."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with open(self.log_path, "ab") as log:
            self._log_offset = log.tell()
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            log.write(f"==== {stamp} playground: starting {self.name} ====\n".encode())
            log.flush()
            self._popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                start_new_session=True,
                preexec_fn=_prepare_child(os.getpid()),
            )
        self._record = PidRecord(
            name=self.name,
            pid=self._popen.pid,
            start_ticks=process_start_ticks(self._popen.pid),
            command=" ".join(self.argv),
        )
        self._record.save(self.record_dir)

    def _log_lines(self) -> list[str]:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(self._log_offset, log.tell() - _LOG_READ_BYTES))
                return log.read().decode(errors="replace").splitlines()
        except OSError:
            return []

    def log_tail(self, lines: int = 25) -> str:
        """The last ``lines`` lines of this start's section of the log ("" if none)."""
        return "\n".join(self._log_lines()[-lines:])

    def log_excerpt(self, lines: int = 25) -> str:
        """The log's last lines, preceded by error lines from before them.

        A Go binary given a bad flag prints the error first and 200 lines of usage after.
        """
        all_lines = self._log_lines()
        earlier = [line for line in all_lines[:-lines] if _ERROR_LINE.search(line)]
        excerpt = "\n".join(all_lines[-lines:]) or "(empty)"
        if earlier:
            excerpt = "\n".join([*earlier[-_EARLIER_ERRORS:], "...", excerpt])
        return f"Last lines of {self.log_path}:\n{excerpt}"

    def _forget(self) -> None:
        if self._record:
            self._record.forget(self.record_dir)


def stop_processes(processes: Iterable[ManagedProcess], timeout: float) -> None:
    """Stop all at once: SIGTERM to every process group, SIGKILL after ``timeout``.

    Safe to call twice, and on processes that never started or already exited.
    """
    started = [p for p in processes if p._popen is not None]
    running = [p for p in started if p.is_running()]
    for process in running:
        _signal_group(process._popen.pid, signal.SIGTERM)  # type: ignore[union-attr]
    wait_until(lambda: not any(p.is_running() for p in running), timeout, _POLL_SECONDS)
    for process in running:
        if process.is_running():
            _signal_group(process._popen.pid, signal.SIGKILL)  # type: ignore[union-attr]
            process._popen.wait()  # type: ignore[union-attr]
    for process in started:
        process._forget()
