"""Restart a part that dies, the way compose's `restart: unless-stopped` does.

Docker's restart policy waits before each restart, doubling the wait from 100 ms, up to
a minute, and forgets the doubling once a container has run for 10 s (Docker's docs on
restart policies; daemon's restartmanager). The native stack does the same with its
processes, so a part that crashes comes back at once, and one that crashes at every
start (a bad flag, a port taken) retries a minute apart instead of spinning.
"""

import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from playground.native.processes import ManagedProcess


@dataclass(frozen=True)
class Backoff:
    """The waits before restarts, in seconds."""

    first: float = 0.1
    longest: float = 60.0
    # A part that ran this long before it died is restarted after ``first`` again.
    reset_after: float = 10.0


def exit_description(returncode: int) -> str:
    """``code 1``, or ``signal SIGKILL`` for a negative return code."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"code {returncode}"


class Supervisor:
    """Restarts the processes that exited, one poll at a time.

    Args:
        processes: The stack's processes, by name; each was started once already.
        report: Receives one line per exit and per restart.
        backoff: The waits between restarts.
        clock: Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self,
        processes: Mapping[str, ManagedProcess],
        report: Callable[[str], None],
        backoff: Backoff = Backoff(),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.processes = processes
        self.report = report
        self.backoff = backoff
        self.clock = clock
        now = clock()
        self._started_at = dict.fromkeys(processes, now)
        self._wait = dict.fromkeys(processes, backoff.first)
        self._due: dict[str, float] = {}
        self.restarts = dict.fromkeys(processes, 0)

    def poll(self) -> list[str]:
        """Notice exits and restart what is due; returns the names restarted now."""
        restarted = []
        for name, process in self.processes.items():
            now = self.clock()
            returncode = process.returncode
            if returncode is None:
                continue
            if name not in self._due:
                if now - self._started_at[name] >= self.backoff.reset_after:
                    self._wait[name] = self.backoff.first
                self._due[name] = now + self._wait[name]
                self.report(
                    f"{name} exited ({exit_description(returncode)}); "
                    f"restarting in {self._wait[name]:g} s"
                )
            if now >= self._due[name]:
                del self._due[name]
                process.start()
                self._started_at[name] = now
                self._wait[name] = min(self._wait[name] * 2, self.backoff.longest)
                self.restarts[name] += 1
                self.report(
                    f"restarted {name} (pid {process.pid}; restart {self.restarts[name]}); "
                    f"log: {process.log_path}"
                )
                restarted.append(name)
        return restarted
