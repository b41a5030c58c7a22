"""GET and PUT /admin/cardinality-demo: lab 5's switch for the intentionally bad metric."""

import logging

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from demo_app import cardinality_demo, paths
from demo_app.deps import FaultsDep, SettingsDep, refuse_while_hidden, require_admin
from demo_app.errors import ApiError
from demo_app.schemas import ErrorBody

logger = logging.getLogger(__name__)
router = APIRouter(
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses={401: {"model": ErrorBody}},
)


class CardinalityDemoSwitch(BaseModel):
    """Switch the bad metric on or off."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool


class CardinalityDemoView(BaseModel):
    """Whether the bad metric is on, and how many series it holds."""

    enabled: bool
    metric: str = cardinality_demo.METRIC_NAME
    series: int
    max_series: int = cardinality_demo.MAX_SERIES


def _view() -> CardinalityDemoView:
    return CardinalityDemoView(
        enabled=cardinality_demo.is_enabled(), series=cardinality_demo.series_count()
    )


@router.get(paths.ADMIN_CARDINALITY_DEMO, responses={403: {"model": ErrorBody}})
async def get_cardinality_demo(faults: FaultsDep) -> CardinalityDemoView:
    """Whether lab 5's per-customer metric is on (403 while an incident game hides faults)."""
    refuse_while_hidden(faults)
    return _view()


@router.put(paths.ADMIN_CARDINALITY_DEMO, responses={409: {"model": ErrorBody}})
async def put_cardinality_demo(
    switch: CardinalityDemoSwitch, settings: SettingsDep
) -> CardinalityDemoView:
    """Switch lab 5's per-customer metric on (at most 500 series) or off (its series go)."""
    if switch.enabled and settings.DEMO_APP_WORKERS > 1:
        raise ApiError(
            409,
            "single_worker_only",
            "The cardinality demo runs with one worker: restart demo_app with "
            "DEMO_APP_WORKERS=1 to use it.",
        )
    cardinality_demo.switch(switch.enabled)
    logger.warning(
        "cardinality demo %s: %s is %s",
        "ON" if switch.enabled else "off",
        cardinality_demo.METRIC_NAME,
        "labelled by customer id" if switch.enabled else "gone",
    )
    return _view()
