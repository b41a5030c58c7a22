"""One JSON shape for every error, and the handlers and body limit that produce it.

Every error response is ``{"error": <code>, "message": <text>, "details": [...]?}``: bad
input gets a 4xx with a clear message, never a 500 (a 500 only comes from an injected fault
or a real bug).
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from demo_app.http_protocol import HEAD_TOO_LARGE_CODE
from demo_app.llm import LLMError

logger = logging.getLogger(__name__)

# The code of an HTTPException that the framework raises (unknown route, wrong method...).
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    431: HEAD_TOO_LARGE_CODE,
}
# An LLM failure, as our client sees it: a rate limit is passed on as a 429 with a hint to
# retry; a timeout or an upstream failure is a gateway error (5xx).
_LLM_ERROR_STATUS = {"rate_limit": 429, "timeout": 504, "upstream_5xx": 502}
# Request text echoed in a message is cut to this length.
_ECHO_CHARS = 100


class ApiError(StarletteHTTPException):
    """An error with a stable code, raised anywhere, answered as JSON.

    Args:
        status_code: The HTTP status.
        code: The machine-readable ``error`` field.
        message: The human-readable ``message`` field.
        headers: Extra response headers.
        extra: Extra top-level fields of the body.
    """

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status_code, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.extra = extra


def error_response(
    status_code: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The one shape of every error body."""
    return JSONResponse({"error": code, "message": message, **extra}, status_code, headers)


def error_status_response(status_code: int, message: str) -> JSONResponse:
    """The one shape for a status the framework knows by number (``_CODES``)."""
    return error_response(status_code, _CODES.get(status_code, "http_error"), message)


def _echo(text: str) -> str:
    return text if len(text) <= _ECHO_CHARS else text[:_ECHO_CHARS] + "..."


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.code, exc.message, exc.headers, **exc.extra)


_HTTP_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}


def _allowed_methods(request: Request, starlettes: str) -> str:
    """Every method some route of this path accepts.

    Starlette's 405 names only the methods of the first route whose path matched
    (``starlettes``), so on a path served by several routes (GET, PUT and DELETE
    /admin/faults) it said GET. The OpenAPI document lists every operation of every path;
    its templates are matched with Starlette's own compile_path.
    """
    methods = {method.strip() for method in starlettes.split(",") if method.strip()}
    app: FastAPI = request.app
    for template, operations in app.openapi()["paths"].items():
        regex, _, _ = compile_path(template)
        if regex.match(request.url.path):
            methods |= {key.upper() for key in operations} & _HTTP_METHODS
    return ", ".join(sorted(methods))


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    target = f"{_echo(request.method)} {_echo(request.url.path)}"
    if status == 404:
        message = f"No route matches {target}. The API is described at /docs."
    elif status == 405:
        allowed = _allowed_methods(request, (exc.headers or {}).get("Allow", ""))
        headers = {**(exc.headers or {}), "Allow": allowed}
        message = f"{target}: method not allowed here. Allowed: {allowed}."
        return error_response(status, _CODES[status], message, headers)
    else:
        message = str(exc.detail)
    return error_response(status, _CODES.get(status, "http_error"), message, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error["type"] == "json_invalid" for error in errors):
        ctx = errors[0].get("ctx", {})
        return error_response(
            400,
            "malformed_json",
            f"The body is not valid JSON: {ctx.get('error', 'decode error')}.",
        )
    details = [
        {"field": ".".join(str(part) for part in error["loc"]), "problem": error["msg"]}
        for error in errors
    ]
    summary = "; ".join(f"{detail['field']}: {detail['problem']}" for detail in details)
    return error_response(422, "validation_error", _echo(summary), details=details)


async def _llm_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LLMError)
    status = _LLM_ERROR_STATUS[exc.kind]
    headers = {"Retry-After": "1"} if exc.kind == "rate_limit" else None
    return error_response(
        status, f"llm_{exc.kind}", f"The LLM call failed ({exc.model}): {exc.detail}.", headers
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "Something went wrong on our side.")


def add_exception_handlers(app: FastAPI) -> None:
    """Answer every error, framework-made or ours, with the one JSON shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LLMError, _llm_error)
    app.add_exception_handler(Exception, _unhandled)


class BodyLimitMiddleware:
    """Refuse request bodies larger than a limit with a JSON 413.

    A declared Content-Length over the limit is refused before the body is read; a body
    without one (chunked) is counted as it is read and refused when it passes the limit.
    Starlette's own limit answers in plain text, hence this one.

    Args:
        app: The application to protect.
        max_body_bytes: The largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def _too_large(self) -> ApiError:
        return ApiError(
            413, "payload_too_large", f"The request body is over {self.max_body_bytes} bytes."
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_body_bytes:
                    error = self._too_large()
                    response = error_response(413, error.code, error.message)
                    await response(scope, receive, send)
                    return
                break
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # An HTTPException, so FastAPI's body reader passes it on to our handler.
                    raise self._too_large()
            return message

        await self.app(scope, counting_receive, send)
