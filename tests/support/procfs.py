"""What the kernel says about a process, read from /proc (not what the process reports)."""

from pathlib import Path


def rss_bytes(pid: int) -> int:
    """The resident set size (VmRSS) of a running process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")
