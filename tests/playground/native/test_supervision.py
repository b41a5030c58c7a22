"""supervision.py: restarts with compose's backoff (100 ms doubling to 1 min, reset after 10 s)."""

from pathlib import Path

from playground.native.supervision import Backoff, Supervisor, exit_description


class FakeProcess:
    """Stands in for a ManagedProcess: exits when told to, counts its starts."""

    def __init__(self) -> None:
        self.returncode: int | None = None
        self.starts = 0
        self.pid = 100
        self.log_path = Path("x.log")

    def start(self) -> None:
        self.starts += 1
        self.pid += 1
        self.returncode = None


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def crash_and_restart(supervisor: Supervisor, process: FakeProcess, clock: Clock) -> float:
    """Let the process die now; the seconds the supervisor waits before restarting it."""
    process.returncode = -9
    supervisor.poll()
    died = clock.now
    while process.returncode is not None:
        clock.now += 1 / 64  # exact in binary: no drift over a minute of steps
        supervisor.poll()
    return round(clock.now - died, 1)


def test_waits_double_from_100_ms_up_to_a_minute() -> None:
    process, clock, lines = FakeProcess(), Clock(), []
    supervisor = Supervisor({"am": process}, lines.append, Backoff(), clock)  # type: ignore[dict-item]

    waits = [crash_and_restart(supervisor, process, clock) for _ in range(12)]

    assert waits[:4] == [0.1, 0.2, 0.4, 0.8]
    assert max(waits) == 60.0
    assert waits[-1] == 60.0
    assert process.starts == 12
    assert supervisor.restarts == {"am": 12}


def test_a_part_that_ran_10_s_is_restarted_after_100_ms_again() -> None:
    process, clock, lines = FakeProcess(), Clock(), []
    supervisor = Supervisor({"am": process}, lines.append, Backoff(), clock)  # type: ignore[dict-item]
    for _ in range(5):
        crash_and_restart(supervisor, process, clock)

    clock.now += 10.0

    assert crash_and_restart(supervisor, process, clock) == 0.1


def test_each_exit_and_restart_is_reported() -> None:
    process, clock, lines = FakeProcess(), Clock(), []
    supervisor = Supervisor({"am": process}, lines.append, Backoff(), clock)  # type: ignore[dict-item]

    crash_and_restart(supervisor, process, clock)

    assert lines[0] == "am exited (signal SIGKILL); restarting in 0.1 s"
    assert lines[1].startswith("restarted am (pid 101; restart 1)")


def test_a_running_part_is_left_alone() -> None:
    process, clock = FakeProcess(), Clock()
    supervisor = Supervisor({"am": process}, print, Backoff(), clock)  # type: ignore[dict-item]
    clock.now = 100.0

    assert supervisor.poll() == []
    assert process.starts == 0


def test_exit_codes_and_signals_are_named() -> None:
    assert exit_description(1) == "code 1"
    assert exit_description(-15) == "signal SIGTERM"
