"""GET /health (liveness) and GET /ready (readiness), for probes and the native runner."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from demo_app import paths
from demo_app.errors import error_response

router = APIRouter(tags=["health"])


@router.get(paths.HEALTH)
async def health() -> dict[str, str]:
    """Liveness: the process is up and serving. Does no work, so probes cost nothing."""
    return {"status": "ok"}


@router.get(paths.READY, response_model=None)
async def ready(request: Request) -> dict[str, str] | JSONResponse:
    """Readiness: startup has finished and shutdown has not begun."""
    if not request.app.state.ready:
        return error_response(503, "not_ready", "Starting up or shutting down.")
    return {"status": "ready"}
