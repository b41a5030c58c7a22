"""FastAPI dependencies: the running application's parts, admin auth, HTTP fault injection."""

import secrets
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


async def refresh_faults(faults: FaultsDep) -> None:
    """Pick up faults set by another worker or replica, so a scrape's gauges are current."""
    faults.current()


async def inject_http_fault(request: Request, faults: FaultsDep) -> None:
    """Fail this API request with a 500 if the fault state says so (the dice decide)."""
    route = request.scope["route"].path
    if faults.should_fail(route):
        ratio = faults.current().http_error_ratio_for(route)
        raise ApiError(
            500,
            "injected_fault",
            f"HTTP 500 injected on purpose: http_error_ratio for {route} is {ratio}. "
            "See GET /admin/faults.",
        )
