"""Injected faults: the state, the named presets, and the store that exports them as gauges.

The state is data (a pydantic model), so the admin API validates it and a dashboard can show
it beside its effects. Where faults act: demo_app.deps (HTTP 500s and a blocked event loop on
the API routes, a slow /metrics) and demo_app.llm.FaultInjectingProvider (LLM latency, rate
limits, token inflation, optionally on some models only).

A state can be shaped over time (a ramp, or flapping on and off) and scoped to some replicas;
FaultState.effective() turns it into what is in force at one moment on one replica. The
shape is computed from the wall clock and a start time stored in the state, so every worker
and replica sharing the state agrees on it without talking to each other.

``hidden``: while an incident game runs (`playground incident`), the state is kept out of
every observable surface: the gauges read healthy, GET /admin/faults answers 403, and the
responses and logs a fault causes look like natural failures.
"""

import json
import logging
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from demo_app import cardinality_demo, metrics
from demo_app.labels import MODELS, PRESETS, Model, Preset

logger = logging.getLogger(__name__)

# "all" and the templates of demo_app.paths.API_ROUTES (a test keeps the two in step);
# also the `route` values of demo_app_fault_http_error_ratio.
RouteKey = Literal[
    "all", "/api/v1/messages", "/api/v1/messages/stream", "/api/v1/customers/{customer_id}"
]
ROUTE_KEYS: tuple[RouteKey, ...] = get_args(RouteKey)
Ratio = Annotated[float, Field(ge=0.0, le=1.0)]


class FaultShape(BaseModel):
    """How a fault's strength changes over time, from 0 (off) to 1 (as configured).

    steady: full strength at once. ramp: grows linearly from 0 to 1 over ``seconds``, then
    stays (latency that creeps up). flap: full strength for the first half of every period of
    ``seconds``, off for the second half (an intermittent fault).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["steady", "ramp", "flap"] = "steady"
    seconds: float = Field(default=60.0, gt=0.0, le=3600.0, description="Ramp or flap period.")
    started_at: float | None = Field(
        default=None,
        description="Epoch seconds the shape starts from; set by demo_app when left out.",
    )

    def strength(self, now: float) -> float:
        """The share of the fault in force at ``now`` (epoch seconds)."""
        if self.kind == "steady" or self.started_at is None:
            return 1.0
        elapsed = max(0.0, now - self.started_at)
        if self.kind == "ramp":
            return min(1.0, elapsed / self.seconds)
        return 1.0 if elapsed % self.seconds < self.seconds / 2 else 0.0


STEADY = FaultShape()


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
    llm_models: tuple[Model, ...] = Field(
        default=(),
        description=(
            "The models the three LLM faults above hit; empty (the default) for every model."
        ),
    )
    event_loop_block_seconds: float = Field(
        default=0.0,
        ge=0.0,
        le=2.0,
        description=(
            "Blocking (synchronous) sleep in every API request: the event loop stalls, so "
            "every request of the process waits, /metrics included."
        ),
    )
    metrics_extra_latency_seconds: float = Field(
        default=0.0,
        ge=0.0,
        le=60.0,
        description="Added to every /metrics scrape; past the scrape timeout Prometheus sees up=0.",
    )
    cardinality_leak: bool = Field(
        default=False,
        description="Switches on lab 5's per-customer metric (one worker only).",
    )
    replicas: tuple[str, ...] = Field(
        default=(),
        description=(
            "The replicas (DEMO_APP_REPLICA) the faults hit; empty (the default) for every one."
        ),
    )
    shape: FaultShape = Field(default=STEADY, description="How the faults change over time.")
    hidden: bool = Field(
        default=False,
        description=(
            "Keep this state out of the gauges, GET /admin/faults, responses and logs "
            "(an incident game is running)."
        ),
    )

    def http_error_ratio_for(self, route: str) -> float:
        """The injected HTTP 500 share for one route template."""
        return self.http_error_ratio.get(route, self.http_error_ratio.get("all", 0.0))  # type: ignore[call-overload]

    def hits_model(self, model: str) -> bool:
        """Whether the LLM faults apply to calls to this model."""
        return not self.llm_models or model in self.llm_models

    def effective(self, now: float, replica: str) -> "FaultState":
        """What is in force at ``now`` on ``replica``: the shape and the scope applied."""
        if self.replicas and replica not in self.replicas:
            return HEALTHY.model_copy(update={"hidden": self.hidden})
        strength = self.shape.strength(now)
        if strength == 1.0:
            return self
        return self.model_copy(
            update={
                "http_error_ratio": {
                    route: ratio * strength for route, ratio in self.http_error_ratio.items()
                },
                "llm_extra_latency_seconds": self.llm_extra_latency_seconds * strength,
                "llm_rate_limit_ratio": self.llm_rate_limit_ratio * strength,
                "token_inflation_factor": 1.0 + (self.token_inflation_factor - 1.0) * strength,
                "event_loop_block_seconds": self.event_loop_block_seconds * strength,
                "metrics_extra_latency_seconds": self.metrics_extra_latency_seconds * strength,
                "cardinality_leak": self.cardinality_leak and strength > 0.0,
            }
        )


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


def publish(state: FaultState, strength: float = 1.0, this_replica: bool = True) -> None:
    """Export a fault state through the demo_app_fault_* gauges.

    A hidden state is exported as the healthy one, so neither the gauges nor
    DemoAppFaultActive (which reads demo_app_fault_preset_active) give it away.
    """
    if state.hidden:
        state, strength, this_replica = HEALTHY, 1.0, True
    for route in ROUTE_KEYS:
        metrics.FAULT_HTTP_ERROR_RATIO.labels(route).set(state.http_error_ratio.get(route, 0.0))
    metrics.FAULT_LLM_EXTRA_LATENCY.set(state.llm_extra_latency_seconds)
    metrics.FAULT_LLM_RATE_LIMIT_RATIO.set(state.llm_rate_limit_ratio)
    metrics.FAULT_TOKEN_INFLATION.set(state.token_inflation_factor)
    for model in MODELS:
        metrics.FAULT_LLM_MODEL.labels(model).set(1 if state.hits_model(model) else 0)
    metrics.FAULT_EVENT_LOOP_BLOCK.set(state.event_loop_block_seconds)
    metrics.FAULT_METRICS_EXTRA_LATENCY.set(state.metrics_extra_latency_seconds)
    metrics.FAULT_CARDINALITY_LEAK.set(1 if state.cardinality_leak else 0)
    metrics.FAULT_STRENGTH.set(strength)
    metrics.FAULT_THIS_REPLICA.set(1 if this_replica else 0)
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
        replica: This process's replica name, matched against FaultState.replicas.
            Defaults to "" (a state scoped to named replicas leaves it alone).
        clock: Epoch seconds now; tests pass their own. Defaults to time.time.
    """

    def __init__(
        self,
        seed: int,
        shared_file: Path | None = None,
        replica: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._state = HEALTHY
        self._shared_file = shared_file
        self._file_version: tuple[int, int] | None = None
        self._dice = random.Random(seed)
        self.replica = replica
        self._clock = clock
        self._apply(HEALTHY)
        # A worker or replica started later begins with the faults already in force.
        self.current()

    def current(self) -> FaultState:
        """The fault state as set (shape and scope not applied)."""
        if self._shared_file is not None:
            self._reload_if_changed(self._shared_file)
        return self._state

    def effective(self) -> FaultState:
        """What is in force now on this replica (see FaultState.effective)."""
        return self.current().effective(self._clock(), self.replica)

    def replace(self, state: FaultState) -> FaultState:
        """Replace the whole fault state; a shape without a start time starts now."""
        if state.shape.kind != "steady" and state.shape.started_at is None:
            shape = state.shape.model_copy(update={"started_at": self._clock()})
            state = state.model_copy(update={"shape": shape})
        if self._shared_file is not None:
            self._write(self._shared_file, state)
        self._apply(state)
        return state

    def publish(self) -> None:
        """Refresh the gauges (a shaped fault's strength changes between scrapes)."""
        state = self.current()
        scoped = not state.replicas or self.replica in state.replicas
        publish(state, state.shape.strength(self._clock()), scoped)

    def should_fail(self, route: str) -> bool:
        """Roll the dice for one request to an API route template."""
        ratio = self.effective().http_error_ratio_for(route)
        return ratio > 0.0 and self._dice.random() < ratio

    def _apply(self, state: FaultState) -> None:
        previous, self._state = self._state, state
        # Only a change of the fault switches lab 5's metric, so the lab's own switch
        # (PUT /admin/cardinality-demo) is left alone otherwise.
        if state.cardinality_leak != previous.cardinality_leak:
            cardinality_demo.switch(state.cardinality_leak)
        self.publish()

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
            state = FaultState.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as error:
            logger.warning("kept the current faults: cannot read %s: %s", path, error)
            return
        self._apply(state)

    def _write(self, path: Path, state: FaultState) -> None:
        # Write then rename: another worker never reads half a file.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".faults-")
        with os.fdopen(descriptor, "w") as file:
            json.dump(state.model_dump(mode="json"), file)
        os.replace(temporary, path)
        stat = path.stat()
        self._file_version = (stat.st_mtime_ns, stat.st_ino)
