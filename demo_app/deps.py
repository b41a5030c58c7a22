"""FastAPI dependencies: the running application's parts, admin auth, HTTP fault injection."""

import asyncio
import secrets
import time
from typing import Annotated

from fastapi import Depends, Request
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


async def require_admin(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Let the request through only with ``Authorization: Bearer <DEMO_APP_ADMIN_TOKEN>``."""
    expected: str = request.app.state.admin_token
    if credentials is None or not secrets.compare_digest(
        credentials.credentials.encode(), expected.encode()
    ):
        raise ApiError(
            401,
            "unauthorized",
            "Send Authorization: Bearer <DEMO_APP_ADMIN_TOKEN>.",
            headers={"WWW-Authenticate": "Bearer"},
        )


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
