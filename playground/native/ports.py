"""Port checks: is a loopback port free, and if not, which process holds it.

Finding the holder reads /proc (Linux); elsewhere, or for another user's process, the
message just leaves the holder out.
"""

import contextlib
import os
import socket
from collections.abc import Iterable, Mapping
from pathlib import Path

from playground.core.errors import PortInUseError
from playground.core.net import free_port
from playground.core.settings import LOOPBACK

_TCP_LISTEN = "0A"
_MAX_CMDLINE_CHARS = 120


def is_port_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:``port`` now.

    SO_REUSEADDR as the servers set it (uvicorn, Go's net.Listen): a port whose old
    connections linger in TIME_WAIT counts as free, one with a listener does not.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as lines:
            next(lines, None)
            for line in lines:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and fields[3] == _TCP_LISTEN:
                    inodes.add(fields[9])
    return inodes


def _command_line(pid: int) -> str:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    command = raw.replace(b"\0", b" ").decode(errors="replace").strip()
    if len(command) > _MAX_CMDLINE_CHARS:
        command = command[: _MAX_CMDLINE_CHARS - 1] + "…"
    return command


def port_holder(port: int) -> str | None:
    """``pid N (command line)`` of the process listening on ``port``, when it can be known."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not sockets:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in sockets:
                    return f"pid {proc.name} ({_command_line(int(proc.name))})"
    return None


def port_problems(ports: Mapping[str, int], command: str = "playground up") -> list[str]:
    """What stops these ports from being used: clashes between them, and busy ports.

    Args:
        ports: Each port by the environment variable that sets it.
        command: The command the suggested fix shows (``DEMO_APP_PORT=8001 <command>``).

    Returns:
        One message per problem, naming the port, its holder when known and the variable to
        change; empty when every port is distinct and free on 127.0.0.1.
    """
    problems = []
    by_port: dict[int, list[str]] = {}
    for env_var, port in ports.items():
        by_port.setdefault(port, []).append(env_var)
    for port, env_vars in by_port.items():
        if len(env_vars) > 1:
            problems.append(
                f"{' and '.join(env_vars)} are all set to {port}; give each part its own port "
                "in .env.override or the environment."
            )
    for env_var, port in ports.items():
        if is_port_free(port):
            continue
        holder = port_holder(port)
        held_by = f" by {holder}" if holder else ""
        problems.append(
            f"Port {port} on {LOOPBACK} ({env_var}) is already in use{held_by}.\n"
            f"Stop that process, or choose another port: set {env_var} in .env.override "
            f"or the environment, e.g. `{env_var}={_suggest(port, ports.values())} {command}`."
        )
    return problems


def check_ports(ports: Mapping[str, int]) -> None:
    """Raise unless every port is distinct and free on 127.0.0.1.

    Args:
        ports: Each port by the environment variable that sets it.

    Raises:
        PortInUseError: The first problem port_problems() finds.
    """
    if problems := port_problems(ports):
        raise PortInUseError(problems[0])


def _suggest(port: int, taken: Iterable[int]) -> int:
    taken = set(taken)
    for candidate in range(port + 1, min(port + 100, 65536)):
        if candidate not in taken and is_port_free(candidate):
            return candidate
    return free_port()
