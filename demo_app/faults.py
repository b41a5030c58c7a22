"""Injected faults: the state, the named presets, and the store that exports them as gauges.

The state is data (a pydantic model), so the admin API validates it and a dashboard can show
it beside its effects. Where faults act: demo_app.deps (HTTP 500s on the API routes) and
demo_app.llm.FaultInjectingProvider (LLM latency, rate limits, token inflation).
"""

import json
import logging
import os
import random
import tempfile
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from demo_app import metrics
from demo_app.labels import PRESETS, Preset

logger = logging.getLogger(__name__)

# "all" and the templates of demo_app.paths.API_ROUTES (a test keeps the two in step);
# also the `route` values of demo_app_fault_http_error_ratio.
RouteKey = Literal[
    "all", "/api/v1/messages", "/api/v1/messages/stream", "/api/v1/customers/{customer_id}"
]
ROUTE_KEYS: tuple[RouteKey, ...] = get_args(RouteKey)
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


class FaultState(BaseModel):
    """What is broken right now. The defaults are the healthy state."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    http_error_ratio: dict[RouteKey, Ratio] = Field(
        default_factory=dict,
        description=(
            "Share of requests answered with an injected HTTP 500, by route template, or "
            "'all' for every /api/v1 route. A route's own entry wins over 'all'."
        ),
    )
    llm_extra_latency_seconds: float = Field(
        default=0.0, ge=0.0, le=120.0, description="Added to every LLM call."
    )
    llm_rate_limit_ratio: Ratio = Field(
        default=0.0, description="Share of LLM calls failing with a rate-limit error (HTTP 429)."
    )
    token_inflation_factor: float = Field(
        default=1.0, ge=1.0, le=100.0, description="Multiplies every token count."
    )

    def http_error_ratio_for(self, route: str) -> float:
        """The injected HTTP 500 share for one route template."""
        return self.http_error_ratio.get(route, self.http_error_ratio.get("all", 0.0))  # type: ignore[call-overload]


HEALTHY = FaultState()
PRESET_STATES: dict[Preset, FaultState] = {
    "healthy": HEALTHY,
    # 30 % of API requests fail: six times the HighErrorRate threshold (5 %).
    "error-storm": FaultState(http_error_ratio={"all": 0.3}),
    # 12 s on every call puts every call in the (12, 15] bucket, so the p95 of
    # llm_call_duration_seconds reads about 14.9 s, well past the SlowLLM threshold (10 s).
    "slow-llm": FaultState(llm_extra_latency_seconds=12.0),
}


def matching_preset(state: FaultState) -> Preset | None:
    """The preset whose state equals this one, if any."""
    return next((name for name, preset in PRESET_STATES.items() if preset == state), None)


def publish(state: FaultState) -> None:
    """Export a fault state through the demo_app_fault_* gauges."""
    for route in ROUTE_KEYS:
        metrics.FAULT_HTTP_ERROR_RATIO.labels(route).set(state.http_error_ratio.get(route, 0.0))
    metrics.FAULT_LLM_EXTRA_LATENCY.set(state.llm_extra_latency_seconds)
    metrics.FAULT_LLM_RATE_LIMIT_RATIO.set(state.llm_rate_limit_ratio)
    metrics.FAULT_TOKEN_INFLATION.set(state.token_inflation_factor)
    active = matching_preset(state)
    for name in PRESETS:
        metrics.FAULT_PRESET_ACTIVE.labels(name).set(1 if name == active else 0)


class FaultStore:
    """Holds the current fault state and keeps the gauges in step with it.

    Args:
        seed: Seeds the dice that decide which requests get an injected HTTP 500.
        shared_file: Where worker processes share the state. A change written by one worker
            is picked up by the others on their next request (one ``stat`` per request).
            Defaults to None: the state lives in this process only.
    """

    def __init__(self, seed: int, shared_file: Path | None = None) -> None:
        self._state = HEALTHY
        self._shared_file = shared_file
        self._file_version: tuple[int, int] | None = None
        self._dice = random.Random(seed)
        publish(self._state)
        # A worker or replica started later begins with the faults already in force.
        self.current()

    def current(self) -> FaultState:
        """The fault state in force now."""
        if self._shared_file is not None:
            self._reload_if_changed(self._shared_file)
        return self._state

    def replace(self, state: FaultState) -> FaultState:
        """Replace the whole fault state."""
        self._state = state
        if self._shared_file is not None:
            self._write(self._shared_file, state)
        publish(state)
        return state

    def should_fail(self, route: str) -> bool:
        """Roll the dice for one request to an API route template."""
        ratio = self.current().http_error_ratio_for(route)
        return ratio > 0.0 and self._dice.random() < ratio

    def _reload_if_changed(self, path: Path) -> None:
        try:
            stat = path.stat()
        except FileNotFoundError:
            return
        version = (stat.st_mtime_ns, stat.st_ino)
        if version == self._file_version:
            return
        self._file_version = version
        try:
            self._state = FaultState.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as error:
            logger.warning("kept the current faults: cannot read %s: %s", path, error)
            return
        publish(self._state)

    def _write(self, path: Path, state: FaultState) -> None:
        # Write then rename: another worker never reads half a file.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".faults-")
        with os.fdopen(descriptor, "w") as file:
            json.dump(state.model_dump(), file)
        os.replace(temporary, path)
        stat = path.stat()
        self._file_version = (stat.st_mtime_ns, stat.st_ino)
