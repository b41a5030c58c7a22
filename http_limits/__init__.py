"""Bounded request heads for demo_app and alert_receiver: at most 16 KiB and 100 fields.

Why not uvicorn's own limit: uvicorn has two HTTP implementations. h11 bounds the head
(``h11_max_incomplete_event_size``, 16 KiB by default, uvicorn#1514), but it is pure Python
and costs tens of microseconds a request more than httptools, which would dominate demo_app's
own cost in every load test. httptools (the default with uvicorn[standard]) has no bound
that uvicorn exposes (uvicorn#157), so a 100 MB header was read whole before any code of
ours ran. ``HeadLimitedHttpToolsProtocol`` keeps httptools and counts the bytes of a head
that has not ended yet: past the limit it answers 431 and closes the connection, so a flood
costs at most one read (uvloop reads up to 256 KiB) on top of 16 KiB.

The field count is checked after parsing, in ``HeaderCountLimit``: the byte bound already
caps the work, so counting afterwards costs nothing (as h11's maintainers argue in h11#155).
"""

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEAD_BYTES = 16 * 1024
MAX_HEADER_FIELDS = 100
HEAD_TOO_LARGE = (
    f"The request line and headers are over {MAX_HEAD_BYTES} bytes or {MAX_HEADER_FIELDS} fields."
)


class HeadLimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing request heads over ``MAX_HEAD_BYTES``, and
    answering the errors it raises itself (431 here, 400 for a request httptools cannot
    parse) in JSON.

    Subclasses override ``error_body`` to give the JSON their app's error shape. Pass the
    class as uvicorn's ``http`` setting.
    """

    @staticmethod
    def error_body(status_code: int, message: str) -> bytes:
        """The JSON body of an error answered here; FastAPI's shape by default."""
        return json.dumps({"detail": message}).encode()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Bytes received since the current head began; None while a body is read.
        self._head_bytes: int | None = 0

    def data_received(self, data: bytes) -> None:
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still inside the same head after this chunk: every byte counted belongs to it.
        if self._head_bytes is not None and self._head_bytes > MAX_HEAD_BYTES:
            self._refuse()

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # A pipelined request may begin in the chunk that ended this one; its first bytes
        # go uncounted, so the bound is 16 KiB plus at most one read.
        self._head_bytes = 0

    def _refuse(self) -> None:
        self._answer_and_close(431, HEAD_TOO_LARGE)

    def send_400_response(self, msg: str) -> None:
        # uvicorn's own answer to a request httptools cannot parse is text/plain.
        self._answer_and_close(400, msg)

    def _answer_and_close(self, status_code: int, message: str) -> None:
        if self.transport.is_closing():
            return
        body = self.error_body(status_code, message)
        self.transport.write(
            f"HTTP/1.1 {status_code} {HTTPStatus(status_code).phrase}\r\n".encode()
            + b"content-type: application/json\r\n"
            + f"content-length: {len(body)}\r\n".encode()
            + b"connection: close\r\n\r\n"
            + body
        )
        self.transport.close()


class HeaderCountLimit:
    """ASGI middleware: a request with more than ``MAX_HEADER_FIELDS`` fields gets a 431.

    Args:
        app: The application to protect.
        respond: Builds the 431 response in the app's own error shape from a message.
    """

    def __init__(self, app: ASGIApp, respond: Callable[[int, str], Response]) -> None:
        self.app = app
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(scope["headers"]) > MAX_HEADER_FIELDS:
            await self.respond(431, HEAD_TOO_LARGE)(scope, receive, send)
            return
        await self.app(scope, receive, send)
