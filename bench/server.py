"""One benchmark server: a uvicorn process serving one variant, pinned to one CPU.

``python -m bench.server VARIANT PORT CPU`` is the child; ServerProcess starts it from the
benchmark, waits until it answers, reads its CPU time from /proc and stops it. The uvicorn
settings are those of ``python -m demo_app`` with one worker: httptools (with demo_app's
bounded head) and uvloop (from uvicorn[standard]), access log off, keep-alive.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import BenchError
from bench.loadgen import fetch
from playground.core.procfs import read_stat

HOST = "127.0.0.1"
READY_SECONDS = 30.0


def pin_to_cpu(cpu: int | None) -> None:
    """Run this process (and threads it starts later) on one CPU only; None: leave it."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used, from /proc/<pid>/stat."""
    stat = read_stat(pid)
    if stat is None:
        raise BenchError(f"process {pid} is gone: no /proc/{pid}/stat")
    return stat.cpu_seconds


@dataclass
class ServerProcess:
    """A running ``python -m bench.server``."""

    variant: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.process.pid)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _child_environment() -> dict[str, str]:
    # demo_app's defaults, whatever the calling shell sets; one process, no multiprocess mode.
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DEMO_APP_") and name != "PROMETHEUS_MULTIPROC_DIR"
    }


def start_server(
    variant: str, port: int, cpu: int | None, log_dir: Path, probe_path: str
) -> ServerProcess:
    """Start a server and return once ``probe_path`` answers 200.

    Raises:
        BenchError: It exited, or did not answer within READY_SECONDS; the message
            holds its log.
    """
    log_path = log_dir / f"{variant.replace(':', '-')}-{port}.log"
    command = [sys.executable, "-m", "bench.server", variant, str(port)]
    if cpu is not None:
        command.append(str(cpu))
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parents[1],
            env=_child_environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(variant, port, process, log_path)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{variant} server exited with {process.returncode}:\n{server.log()}")
        try:
            status = next(fetch(HOST, port, probe_path, 1))[0]
        except OSError:
            time.sleep(0.05)
            continue
        if status == 200:
            return server
        server.stop()
        raise BenchError(f"{variant} answered {status} on {probe_path}:\n{server.log()}")
    server.stop()
    raise BenchError(f"{variant} not ready after {READY_SECONDS}s:\n{server.log()}")


def main(argv: list[str] | None = None) -> None:
    """The child: pin, then serve until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("variant")
    parser.add_argument("port", type=int)
    parser.add_argument("cpu", type=int, nargs="?")
    args = parser.parse_args(argv)
    pin_to_cpu(args.cpu)
    import uvicorn

    from demo_app.http_protocol import DemoAppHttpProtocol

    # A bare name is one of bench.apps' factories; "module:factory" names any other (to try
    # a change without editing bench/apps.py).
    target = args.variant if ":" in args.variant else f"bench.apps:{args.variant}"
    uvicorn.run(
        target,
        factory=True,
        host=HOST,
        port=args.port,
        log_level="warning",
        access_log=False,
        http=DemoAppHttpProtocol,
    )


if __name__ == "__main__":
    main()
