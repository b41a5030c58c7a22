"""Request and response bodies of the HTTP API."""

import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from demo_app.faults import FaultState
from demo_app.labels import Model, Preset


class MessageRequest(BaseModel):
    """A customer message for one agent turn."""

    model_config = ConfigDict(extra="forbid")

    # The upper length limit is DEMO_APP_MAX_MESSAGE_CHARS, checked by the route. The
    # pattern (one non-space character anywhere) puts "not only whitespace" in the published
    # schema too: min_length alone said " " was valid, then the stripped value was refused.
    message: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"\S")]
    model: Model | None = Field(default=None, description="Defaults to DEMO_APP_DEFAULT_MODEL.")


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class Timings(BaseModel):
    intent_classifier_seconds: float
    responder_seconds: float
    total_seconds: float


class MessageResponse(BaseModel):
    """The agent's reply and what the turn cost."""

    reply: str
    intent: str
    model: Model
    usage: Usage
    timings: Timings


class CustomerProfile(BaseModel):
    """A fake customer; every field is derived from the id and the seed."""

    id: str
    name: str
    email: str
    plan: str
    country: str
    customer_since: datetime.date
    open_tickets: int
    lifetime_value_usd: float


class FaultsView(BaseModel):
    """The fault state in force, and the preset it equals (null for a custom state)."""

    faults: FaultState
    active_preset: Preset | None
    presets: dict[Preset, FaultState]


class ErrorBody(BaseModel):
    """Every 4xx and 5xx response has this shape."""

    error: str = Field(description="A stable, machine-readable code, e.g. validation_error.")
    message: str = Field(description="What went wrong, for a human.")
    details: list[dict[str, Any]] | None = None
