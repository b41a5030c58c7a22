"""The fault API under /admin/faults: read, replace, apply a preset, reset. Bearer token.

While the state is hidden (an incident game runs) it can be replaced or reset but not read:
GET answers 403, and the change is logged without its content.
"""

import logging

from fastapi import APIRouter, Depends

from demo_app import paths
from demo_app.deps import AdminRoute, FaultsDep, SettingsDep, refuse_while_hidden, require_admin
from demo_app.errors import ApiError
from demo_app.faults import PRESET_STATES, FaultState, FaultStore, matching_preset
from demo_app.labels import PRESETS
from demo_app.schemas import ErrorBody, FaultsView

logger = logging.getLogger(__name__)
router = APIRouter(
    tags=["admin"],
    route_class=AdminRoute,
    dependencies=[Depends(require_admin)],
    responses={401: {"model": ErrorBody}},
)


def _view(state: FaultState) -> FaultsView:
    return FaultsView(faults=state, active_preset=matching_preset(state), presets=PRESET_STATES)


def _replace(faults: FaultStore, state: FaultState) -> FaultsView:
    state = faults.replace(state)
    view = _view(state)
    if state.hidden:
        logger.info("faults replaced (hidden: an incident game is running)")
    else:
        logger.info(
            "faults now %s (preset: %s)", state.model_dump(), view.active_preset or "custom"
        )
    return view


@router.get(paths.ADMIN_FAULTS, responses={403: {"model": ErrorBody}})
async def get_faults(faults: FaultsDep) -> FaultsView:
    """The fault state in force (403 while it is hidden)."""
    refuse_while_hidden(faults)
    return _view(faults.current())


@router.put(paths.ADMIN_FAULTS, responses={409: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def put_faults(state: FaultState, faults: FaultsDep, settings: SettingsDep) -> FaultsView:
    """Replace the whole fault state; fields left out take their healthy value."""
    if state.cardinality_leak and settings.DEMO_APP_WORKERS > 1:
        raise ApiError(
            409,
            "single_worker_only",
            "cardinality_leak uses lab 5's per-customer metric, which runs with one worker: "
            "restart demo_app with DEMO_APP_WORKERS=1 to use it.",
        )
    return _replace(faults, state)


@router.delete(paths.ADMIN_FAULTS)
async def reset_faults(faults: FaultsDep) -> FaultsView:
    """Back to healthy."""
    return _replace(faults, PRESET_STATES["healthy"])


@router.post(paths.ADMIN_PRESET, responses={404: {"model": ErrorBody}})
async def apply_preset(preset: str, faults: FaultsDep) -> FaultsView:
    """Replace the fault state with a named preset: healthy, error-storm or slow-llm."""
    if preset not in PRESET_STATES:
        raise ApiError(
            404,
            "unknown_preset",
            f"No preset {preset[:40]!r}. Presets: {', '.join(PRESETS)}.",
            presets=list(PRESETS),
        )
    return _replace(faults, PRESET_STATES[preset])  # type: ignore[index]
