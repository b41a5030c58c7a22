"""FastAPI dependencies: the running application's parts, admin auth, HTTP fault injection."""

import asyncio
import secrets
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from demo_app.errors import ApiError
from demo_app.faults import FaultStore
from demo_app.llm import LLMProvider
from demo_app.settings import Settings


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _faults(request: Request) -> FaultStore:
    return request.app.state.faults


async def _provider(request: Request) -> LLMProvider:
    return request.app.state.provider


SettingsDep = Annotated[Settings, Depends(_settings)]
FaultsDep = Annotated[FaultStore, Depends(_faults)]
ProviderDep = Annotated[LLMProvider, Depends(_provider)]

_bearer = HTTPBearer(auto_error=False, description="DEMO_APP_ADMIN_TOKEN")


def check_admin_token(request: Request) -> None:
    """Raise a 401 unless the request has ``Authorization: Bearer <DEMO_APP_ADMIN_TOKEN>``."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected: str = request.app.state.admin_token
    # compare_digest: the time taken does not tell how much of the token was right.
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        raise ApiError(
            401,
            "unauthorized",
            "Send Authorization: Bearer <DEMO_APP_ADMIN_TOKEN>.",
            headers={"WWW-Authenticate": "Bearer"},
        )


async def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The admin check as a dependency, so the OpenAPI document shows the bearer scheme.

    AdminRoute has already run the same check before the body was read.
    """
    check_admin_token(request)


class AdminRoute(APIRoute):
    """A route that checks the admin token before anything else, the body included.

    FastAPI reads and parses the body before it solves dependencies, so with the check as a
    dependency only, malformed JSON from a client without the token got a 400 that told it
    about the body before the 401.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_after_auth(request: Request) -> Response:
            check_admin_token(request)
            return await handle(request)

        return handle_after_auth


def refuse_while_hidden(faults: FaultStore) -> None:
    """403 while an incident game hides the fault state (FaultState.hidden)."""
    if faults.current().hidden:
        raise ApiError(
            403,
            "faults_hidden",
            "The fault state is hidden while an incident game runs; find the fault from the "
            "telemetry. `playground incident stop` ends the game and reveals it.",
        )


async def refresh_faults(faults: FaultsDep) -> None:
    """Before a scrape: pick up faults set by another worker or replica, refresh the gauges
    (a shaped fault's strength moves), then add the slow-/metrics fault's delay."""
    faults.publish()
    delay = faults.effective().metrics_extra_latency_seconds
    if delay > 0:
        await asyncio.sleep(delay)


async def inject_http_fault(request: Request, faults: FaultsDep) -> None:
    """Apply the request-level faults to this API request: a blocked event loop, then a 500
    if the dice say so."""
    state = faults.effective()
    if state.event_loop_block_seconds > 0:
        # Deliberately synchronous: the whole event loop stalls, as a blocking call in an
        # async handler does, so every request in this process waits, not just this one.
        time.sleep(state.event_loop_block_seconds)
    route = request.scope["route"].path
    if not faults.should_fail(route):
        return
    if state.hidden:
        # An incident game: the same body as any unexpected error (demo_app.errors).
        raise ApiError(500, "internal_error", "Something went wrong on our side.")
    ratio = state.http_error_ratio_for(route)
    raise ApiError(
        500,
        "injected_fault",
        f"HTTP 500 injected on purpose: http_error_ratio for {route} is {ratio}. "
        "See GET /admin/faults.",
    )
