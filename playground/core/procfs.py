"""Reading a process's line in /proc/<pid>/stat (Linux), the one place that parses it."""

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/<pid>/stat the playground reads (proc(5))."""

    state: str
    ppid: int
    utime_ticks: int
    stime_ticks: int
    start_ticks: int

    @property
    def cpu_seconds(self) -> float:
        """User + system CPU time used so far."""
        return (self.utime_ticks + self.stime_ticks) / CLOCK_TICKS

    @property
    def is_dead(self) -> bool:
        """A zombie (or dead) process holds no port and runs no code."""
        return self.state in ("Z", "X")


def parse_stat(line: str) -> ProcStat:
    """One /proc/<pid>/stat line. The command name (field 2) may hold spaces and parentheses,
    so the fields are split after its last ")": field 3 (state) is then the first."""
    fields = line.rsplit(")", 1)[1].split()
    return ProcStat(
        state=fields[0],
        ppid=int(fields[1]),
        utime_ticks=int(fields[11]),
        stime_ticks=int(fields[12]),
        start_ticks=int(fields[19]),
    )


def read_stat(pid: int | str, proc: Path = PROC) -> ProcStat | None:
    """``pid``'s stat, or None if it is gone (or /proc is not there)."""
    try:
        return parse_stat((proc / str(pid) / "stat").read_text())
    except OSError:
        return None
