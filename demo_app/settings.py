"""demo_app's settings, read from ``DEMO_APP_*`` environment variables.

Only the environment is read (no .env file): the native runner and compose pass the values
explicitly, so what runs is what they say. This module imports nothing from prometheus_client,
so ``python -m demo_app`` can read it before choosing the metrics mode.
"""

import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from demo_app.labels import Model

# Groq's published on-demand prices, blended (input and output averaged), in USD per
# million tokens. Only used to export llm_price_usd_per_token, so a rule can compute spend.
DEFAULT_PRICES_USD_PER_MILLION_TOKENS: dict[Model, float] = {
    "llama-3.1-8b-instant": 0.065,
    "mixtral-8x7b-32768": 0.24,
}

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]

# An admin token shorter than this is refused: it is the only thing guarding the fault API.
MIN_ADMIN_TOKEN_CHARS = 16


class Settings(BaseSettings):
    """Every setting is named after the environment variable that sets it."""

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    # Loopback by default: the admin API is the only authenticated part.
    DEMO_APP_HOST: str = "127.0.0.1"
    DEMO_APP_PORT: int = Field(default=8000, ge=1, le=65535)
    # uvicorn worker processes. More than 1 switches prometheus-client to multiprocess mode
    # (see DEMO_APP_MULTIPROC_DIR) so that every scrape reports the totals of all workers.
    DEMO_APP_WORKERS: int = Field(default=1, ge=1, le=32)
    DEMO_APP_LOG_LEVEL: LogLevel = "info"
    # One log line per request costs more CPU than the whole instrumentation; off by default
    # so a load test measures the service, not the terminal.
    DEMO_APP_ACCESS_LOG: bool = False

    # Bearer token for /admin/*. Unset: a random one is generated at startup and logged once.
    DEMO_APP_ADMIN_TOKEN: SecretStr | None = None

    # Seeds the simulated LLM, the fault injector and the fake customer profiles.
    DEMO_APP_SEED: int = 42
    # Which LLM provider answers. Only the simulated Groq-like provider exists today; the
    # interface (demo_app.llm.LLMProvider) is where an OpenAI-compatible one would plug in.
    DEMO_APP_LLM_PROVIDER: Literal["simulated"] = "simulated"
    # The model used when a request names none.
    DEMO_APP_DEFAULT_MODEL: Model = "llama-3.1-8b-instant"
    # Multiplies every simulated LLM sleep, including the slow-llm fault's extra latency.
    # Tests set it near 0 to run fast; leave it at 1 anywhere the latencies matter.
    DEMO_APP_LLM_LATENCY_SCALE: float = Field(default=1.0, ge=0.0, le=10.0)
    # Share of LLM calls that fail on their own, by kind: healthy background noise. A turn
    # makes two calls, so about 0.04 % of turns end in a 5xx (timeout, upstream_5xx), under
    # the availability SLO's 0.1 % budget, and 0.2 % in a 429 (rate_limit), which is not a
    # failure of the service.
    DEMO_APP_LLM_RATE_LIMIT_ERROR_RATE: float = Field(default=0.001, ge=0.0, le=1.0)
    DEMO_APP_LLM_TIMEOUT_ERROR_RATE: float = Field(default=0.0001, ge=0.0, le=1.0)
    DEMO_APP_LLM_UPSTREAM_5XX_ERROR_RATE: float = Field(default=0.0001, ge=0.0, le=1.0)
    # JSON object, model -> USD per million tokens, e.g.
    # {"llama-3.1-8b-instant": 0.065, "mixtral-8x7b-32768": 0.24}. Models left out keep
    # their default price.
    DEMO_APP_LLM_PRICES_USD_PER_MILLION_TOKENS: dict[Model, float] = Field(
        default_factory=lambda: dict(DEFAULT_PRICES_USD_PER_MILLION_TOKENS)
    )
    # Exported as llm_hourly_budget_usd for a spend rule. A turn costs about 175 tokens, so
    # the steady load test (10 Locust users, ~6 turns/s, 20 % on mixtral) spends ~0.38 USD/h:
    # well inside 1 USD/h, while a token inflation factor of 3 or more goes over it.
    DEMO_APP_LLM_HOURLY_BUDGET_USD: float = Field(default=1.0, gt=0.0)

    # Who records the HTTP metrics. "instrumentator": prometheus-fastapi-instrumentator's own
    # middleware, the library this playground teaches (about 30 µs of CPU per request here).
    # "lean": demo_app/http_metrics.py, the same series and labels for about 7 µs, for load
    # tests that should measure the service rather than its instrumentation (bench/README.md).
    DEMO_APP_HTTP_METRICS: Literal["instrumentator", "lean"] = "instrumentator"
    # Largest request body accepted (bytes), checked on Content-Length and on the bytes read.
    DEMO_APP_MAX_BODY_BYTES: int = Field(default=16 * 1024, ge=1024, le=10 * 1024 * 1024)
    # Longest customer message (characters). Must fit in the body limit as JSON.
    DEMO_APP_MAX_MESSAGE_CHARS: int = Field(default=4000, ge=1)
    # Customer ids cus_00001 .. cus_<count> exist; every other id is a 404.
    DEMO_APP_CUSTOMER_COUNT: int = Field(default=10_000, ge=1, le=99_999)

    # prometheus-client's multiprocess directory when DEMO_APP_WORKERS > 1. Its *.db files
    # are deleted at startup. Unset: a fresh temporary directory.
    DEMO_APP_MULTIPROC_DIR: Path | None = None
    # Where workers share the fault state. Set by `python -m demo_app` when it starts more
    # than one worker; unset, the fault state lives in the process's memory.
    DEMO_APP_FAULTS_FILE: Path | None = None

    # This process's replica name, which a fault state can name (FaultState.replicas) to
    # break one replica of several. Unset: the host name (in compose, the container's id).
    DEMO_APP_REPLICA: str = Field(default_factory=socket.gethostname, min_length=1, max_length=128)

    # Lab 5 only: start with the intentionally bad per-customer metric switched on
    # (demo_app/cardinality_demo.py; PUT /admin/cardinality-demo switches it at runtime).
    # Never on by default. One worker only.
    DEMO_APP_BAD_CARDINALITY_DEMO: bool = False

    @field_validator("DEMO_APP_ADMIN_TOKEN")
    @classmethod
    def _admin_token_is_long(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < MIN_ADMIN_TOKEN_CHARS:
            raise ValueError(
                f"must be at least {MIN_ADMIN_TOKEN_CHARS} characters; "
                "leave it unset to get a random one"
            )
        return token

    @field_validator("DEMO_APP_LLM_PRICES_USD_PER_MILLION_TOKENS")
    @classmethod
    def _prices_cover_every_model(cls, prices: dict[Model, float]) -> dict[Model, float]:
        if any(price < 0 for price in prices.values()):
            raise ValueError("prices must not be negative")
        return {**DEFAULT_PRICES_USD_PER_MILLION_TOKENS, **prices}

    @model_validator(mode="after")
    def _error_rates_fit(self) -> "Settings":
        total = (
            self.DEMO_APP_LLM_RATE_LIMIT_ERROR_RATE
            + self.DEMO_APP_LLM_TIMEOUT_ERROR_RATE
            + self.DEMO_APP_LLM_UPSTREAM_5XX_ERROR_RATE
        )
        if total > 1.0:
            raise ValueError(f"the three DEMO_APP_LLM_*_ERROR_RATE settings add up to {total} > 1")
        return self

    @model_validator(mode="after")
    def _cardinality_demo_has_one_worker(self) -> "Settings":
        if self.DEMO_APP_BAD_CARDINALITY_DEMO and self.DEMO_APP_WORKERS > 1:
            raise ValueError("DEMO_APP_BAD_CARDINALITY_DEMO needs DEMO_APP_WORKERS=1")
        return self
