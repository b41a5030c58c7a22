"""A closed-loop HTTP/1.1 load generator: raw asyncio sockets, keep-alive, no pipelining.

Each connection sends one request, waits for the whole response, then sends the next, so
the number of connections is the number of requests in flight. Requests are prebuilt byte
strings cycled in order; a response is framed by its ``content-length`` (every route the
benchmark hits sends one). Callbacks on ``asyncio.Protocol`` (no streams, no futures per
request) keep the client's own CPU per request a small fraction of the server's, so one
client core can saturate one server core; ``python -m bench`` checks that against a
trivial endpoint.
"""

import asyncio
import contextlib
import itertools
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

_HEADER_END = b"\r\n\r\n"
_CONTENT_LENGTH = b"\r\ncontent-length:"


class ProtocolError(Exception):
    """A response the generator cannot frame (no content-length, bad status line)."""


def build_requests(paths: Sequence[str], host: str, port: int) -> list[bytes]:
    """One prebuilt keep-alive GET request per path."""
    return [f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode() for path in paths]


def split_response(buffer: bytes) -> tuple[int, bytes, bytes] | None:
    """Take the first complete response off the front of a buffer.

    Returns:
        ``(status, body, rest)``, or None while the response is incomplete.

    Raises:
        ProtocolError: The headers are complete but carry no content-length.
    """
    end = buffer.find(_HEADER_END)
    if end < 0:
        return None
    head = buffer[:end].lower()
    start = head.find(_CONTENT_LENGTH)
    if start < 0:
        raise ProtocolError(f"no content-length in {buffer[:end]!r}")
    start += len(_CONTENT_LENGTH)
    stop = head.find(b"\r\n", start)
    length = int(head[start:] if stop < 0 else head[start:stop])
    body_start = end + len(_HEADER_END)
    total = body_start + length
    if len(buffer) < total:
        return None
    try:
        status = int(buffer[9:12])
    except ValueError as exc:
        raise ProtocolError(f"bad status line in {buffer[:end]!r}") from exc
    return status, buffer[body_start:total], buffer[total:]


@dataclass
class LoadResult:
    """What one run measured, inside its measurement window only."""

    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    client_cpu_seconds: float
    # Requests completed over the whole run, warm-up included (the server saw them all).
    total_requests: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


class _Run:
    """State shared by the connections of one run."""

    def __init__(self, requests: Sequence[bytes], limit: int | None) -> None:
        self.next_request: Callable[[], bytes] = itertools.cycle(requests).__next__
        self.limit = limit
        self.started = 0
        self.completed = 0
        self.measuring = False
        self.stopping = False
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.error: BaseException | None = None
        self.done = asyncio.get_running_loop().create_future()
        self.open_connections = 0

    def may_send(self) -> bool:
        if self.stopping:
            return False
        if self.limit is not None and self.started >= self.limit:
            return False
        self.started += 1
        return True

    def record(self, status: int, latency: float) -> None:
        self.completed += 1
        if self.measuring:
            self.latencies.append(latency)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def fail(self, error: BaseException) -> None:
        if self.error is None:
            self.error = error
        self.stopping = True
        self.connection_closed()

    def connection_closed(self) -> None:
        self.open_connections -= 1
        if self.open_connections <= 0 and not self.done.done():
            self.done.set_result(None)


class _Connection(asyncio.Protocol):
    def __init__(self, run: _Run) -> None:
        self.run = run
        self.transport: asyncio.Transport | None = None
        self.buffer = b""
        self.sent_at = 0.0
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, hence no isinstance check.
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        if not self.run.may_send():
            self.transport.close()
            return
        request = self.run.next_request()
        self.sent_at = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer = self.buffer + data if self.buffer else data
        try:
            parsed = split_response(self.buffer)
        except ProtocolError as exc:
            self._fail(exc)
            return
        if parsed is None:
            return
        status, _body, rest = parsed
        if rest:
            self._fail(ProtocolError(f"{len(rest)} unexpected bytes after a response"))
            return
        self.buffer = b""
        self.run.record(status, time.perf_counter() - self.sent_at)
        self._send()

    def _fail(self, error: BaseException) -> None:
        assert self.transport is not None
        self.closed = True
        self.transport.abort()
        self.run.fail(error)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closed:
            return
        self.closed = True
        if self.run.stopping or (self.run.limit is not None and self.run.started >= self.run.limit):
            self.run.connection_closed()
        else:
            self.run.fail(exc or ConnectionError("the server closed a keep-alive connection"))


async def run_load(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int,
    duration: float | None = None,
    warmup: float = 0.0,
    limit: int | None = None,
    on_window: Callable[[str], None] | None = None,
    timeout: float = 600.0,
) -> LoadResult:
    """Drive a server with ``connections`` keep-alive connections.

    Either for ``warmup + duration`` seconds (measuring only the last ``duration``), or
    until ``limit`` requests have been sent (measuring them all).

    Args:
        host: Server address.
        port: Server port.
        requests: Prebuilt requests (see build_requests), cycled in order.
        connections: Concurrent connections, each with one request in flight.
        duration: Seconds measured, after the warm-up. Defaults to None (use ``limit``).
        warmup: Seconds run before measuring. Defaults to 0.
        limit: Requests to send in all. Defaults to None (use ``duration``).
        on_window: Called with ``"start"`` and ``"stop"`` at the measurement window's
            edges, e.g. to read the server's CPU time. Defaults to None.
        timeout: Seconds after which a run that has not finished is an error (a server
            that stopped answering). Defaults to 600.

    Raises:
        ProtocolError, OSError: A response could not be framed, or a connection failed.
        TimeoutError: The run did not finish within ``timeout``.
    """
    if (duration is None) == (limit is None):
        raise ValueError("give exactly one of duration and limit")
    loop = asyncio.get_running_loop()
    run = _Run(requests, limit)
    run.open_connections = connections
    window: dict[str, float] = {}

    def edge(name: str) -> None:
        window[name] = time.perf_counter()
        window[name + "_cpu"] = time.process_time()
        if on_window is not None:
            on_window(name)

    def start_measuring() -> None:
        edge("start")
        run.measuring = True

    def stop_measuring() -> None:
        run.measuring = False
        run.stopping = True
        edge("stop")

    handles: list[asyncio.TimerHandle] = []
    if duration is not None:
        handles.append(loop.call_later(warmup, start_measuring))
        handles.append(loop.call_later(warmup + duration, stop_measuring))
    else:
        start_measuring()
    try:
        for _ in range(connections):
            await loop.create_connection(lambda: _Connection(run), host, port)
        await asyncio.wait_for(asyncio.shield(run.done), timeout)
    finally:
        for handle in handles:
            handle.cancel()
    if run.error is not None:
        raise run.error
    if "stop" not in window:
        stop_measuring()
    return LoadResult(
        seconds=window["stop"] - window["start"],
        latencies=run.latencies,
        statuses=run.statuses,
        client_cpu_seconds=window["stop_cpu"] - window["start_cpu"],
        total_requests=run.completed,
    )


def fetch(host: str, port: int, path: str, times: int) -> Iterator[tuple[int, bytes, float]]:
    """GET one path ``times`` times over one keep-alive connection, blocking.

    Yields:
        ``(status, body, seconds)`` per request, seconds from send to last byte.
    """
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = build_requests([path], host, port)[0]
        for _ in range(times):
            started = time.perf_counter()
            sock.sendall(request)
            buffer = b""
            parsed = None
            while parsed is None:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError(f"the server closed the connection during {path}")
                buffer += chunk
                parsed = split_response(buffer)
            status, body, _rest = parsed
            yield status, body, time.perf_counter() - started


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when it is installed (uvicorn[standard] brings it), else asyncio's own."""
    with contextlib.suppress(ImportError):
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()
