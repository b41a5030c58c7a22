"""processes.py: children are stopped with their whole group, die with the runner, and
leftover records stop only the very process they name."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from playground.core.polling import wait_until
from playground.native.processes import (
    ManagedProcess,
    PidRecord,
    process_start_ticks,
    stop_processes,
)


def _alive(pid: int) -> bool:
    return process_start_ticks(pid) is not None


def _group_members(pgid: int) -> list[int]:
    members = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.getpgid(int(proc.name)) == pgid and _alive(int(proc.name)):
                    members.append(int(proc.name))
            except ProcessLookupError:
                pass
    return members


def _shell(tmp_path: Path, script: str, name: str = "sh") -> ManagedProcess:
    return ManagedProcess(
        name,
        ["sh", "-c", script],
        env={},
        cwd=tmp_path,
        log_path=tmp_path / f"{name}.log",
        record_dir=tmp_path / "pids",
    )


def test_stop_ends_the_child_and_everything_it_started(tmp_path: Path) -> None:
    process = _shell(tmp_path, "sleep 60 & echo started; wait")
    process.start()
    assert wait_until(lambda: "started" in process.log_tail(), 5)
    assert len(_group_members(process.pid)) == 2

    stop_processes([process], timeout=5)

    assert process.returncode is not None
    assert wait_until(lambda: not _group_members(process.pid), 2)
    assert not (tmp_path / "pids" / "sh.json").exists()


def test_child_ignoring_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    process = _shell(tmp_path, "trap '' TERM; echo trapped; sleep 60")
    process.start()
    assert wait_until(lambda: "trapped" in process.log_tail(), 5)

    started = time.monotonic()
    stop_processes([process], timeout=0.5)

    assert process.returncode == -9
    assert time.monotonic() - started < 3


def test_child_gets_sigterm_when_the_runner_dies(tmp_path: Path) -> None:
    runner = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from playground.native.processes import ManagedProcess
        child = ManagedProcess("sleeper", ["sleep", "60"], env={{}}, cwd=Path({str(tmp_path)!r}),
                               log_path=Path({str(tmp_path)!r}) / "sleeper.log",
                               record_dir=Path({str(tmp_path)!r}) / "pids")
        child.start()
        print(child.pid, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", runner], capture_output=True, text=True, timeout=30
    )
    child_pid = int(result.stdout)

    assert wait_until(lambda: not _alive(child_pid), 5), "the child outlived its runner"
    # The record stays behind for `playground down`, and no longer matches a live process.
    [record] = PidRecord.load_all(tmp_path / "pids")
    assert record.pid == child_pid
    assert not record.is_alive()


def test_record_of_a_reused_pid_does_not_match(tmp_path: Path) -> None:
    me = os.getpid()
    ticks = process_start_ticks(me)
    assert ticks is not None

    assert PidRecord("me", me, ticks, "pytest").is_alive()
    assert not PidRecord("me", me, ticks - 1, "an older process with my pid").is_alive()


def test_log_tail_returns_the_last_lines(tmp_path: Path) -> None:
    process = _shell(tmp_path, "for i in $(seq 1 100); do echo line $i; done")
    process.start()
    assert wait_until(lambda: process.returncode is not None, 5)

    assert process.log_tail(3).splitlines() == ["line 98", "line 99", "line 100"]


def test_child_stops_on_sigterm_even_when_the_runner_ignores_it(tmp_path: Path) -> None:
    # An ignored signal stays ignored across exec; the child must not inherit that.
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        process = _shell(tmp_path, "echo started; exec sleep 60")
        process.start()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert wait_until(lambda: "started" in process.log_tail(), 5)

    stop_processes([process], timeout=5)

    assert process.returncode == -signal.SIGTERM


def test_without_proc_the_start_time_comes_from_ps(monkeypatch: pytest.MonkeyPatch) -> None:
    # macOS has no /proc: the same record logic must hold with ps's start time.
    from playground.native import processes

    monkeypatch.setattr(processes, "_HAS_PROC", False)
    me = os.getpid()
    started = process_start_ticks(me)
    assert started is not None and abs(started - time.time()) < 24 * 3600 * 365
    assert process_start_ticks(me) == started
    assert PidRecord("me", me, started, "pytest").is_alive()
    finished = subprocess.Popen(["true"])
    finished.wait()
    assert process_start_ticks(finished.pid) is None
