"""The LLM behind the agents: a small provider interface and a simulated Groq-like provider.

The simulated provider needs no key and no network. Its latency is drawn from a per-model
distribution, its token counts come from the text, and it fails at configurable rates; for a
given seed and the same sequence of calls it answers identically. Faults (demo_app.faults)
wrap any provider, so a real OpenAI-compatible one would take them too.
"""

import asyncio
import math
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from demo_app.faults import FaultStore
from demo_app.labels import LLM_ERROR_KINDS, LLMErrorKind, Model
from demo_app.settings import Settings

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class LLMRequest:
    """One chat completion: instructions, the user's text, optional allowed answers."""

    model: Model
    system: str
    prompt: str
    # When set, the answer must be exactly one of these (a constrained, enum-like output).
    choices: tuple[str, ...] = ()
    max_completion_words: int = 60


@dataclass(frozen=True)
class LLMResponse:
    """The answer and what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class LLMError(Exception):
    """A failed LLM call, of one of the kinds in demo_app.labels.LLM_ERROR_KINDS."""

    def __init__(self, kind: LLMErrorKind, model: Model, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.model = model
        self.detail = detail


class LLMProvider(Protocol):
    """What the agents need from an LLM."""

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Answer one request, or raise LLMError."""
        ...


def count_tokens(text: str) -> int:
    """Approximate a tokenizer: about four characters of English per token."""
    return max(1, math.ceil(len(text) / 4))


@dataclass(frozen=True)
class ModelProfile:
    """How fast a simulated model answers: log-normal base latency plus generation time."""

    median_seconds: float
    # Spread of the log-normal: p99 is median * exp(2.33 * sigma), about 2x for 0.3.
    sigma: float
    seconds_per_completion_token: float


# Fast enough that a healthy turn (two calls) stays well under the 500 ms SLO and a load
# test stays quick; mixtral is the slower, larger model, as on Groq.
MODEL_PROFILES: dict[Model, ModelProfile] = {
    "llama-3.1-8b-instant": ModelProfile(0.04, 0.3, 0.0005),
    "mixtral-8x7b-32768": ModelProfile(0.08, 0.3, 0.001),
}

# What the simulated model says when free to answer: support-desk sentences.
_SENTENCES = (
    "Thanks for reaching out, I can help with that.",
    "I have looked at your account and everything is in order.",
    "I understand how frustrating this must be.",
    "Here is what I suggest we do next.",
    "Could you confirm the e-mail address on your account?",
    "I have opened a ticket and our team will follow up within one business day.",
    "You can change this any time under Settings, then Billing.",
    "The charge should disappear from your statement within three to five days.",
    "Restarting the app and signing in again usually clears this up.",
    "I have applied the change; it takes effect immediately.",
    "Is there anything else I can help you with today?",
)


@dataclass(frozen=True)
class SimulatedCall:
    """What one simulated call will do, decided before it sleeps."""

    latency_seconds: float
    error: LLMErrorKind | None
    text: str


class SimulatedGroqProvider:
    """A Groq-like provider that answers from a seeded random generator.

    Args:
        seed: Seeds the generator; the same seed and calls give the same answers.
        error_rates: Share of calls failing, by kind; together at most 1.
        latency_scale: Multiplies every sleep (tests use a small value).
        sleep: How to wait. Defaults to asyncio.sleep.
    """

    def __init__(
        self,
        seed: int,
        error_rates: Mapping[LLMErrorKind, float],
        latency_scale: float = 1.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._random = random.Random(seed)
        self._error_rates = [(kind, error_rates.get(kind, 0.0)) for kind in LLM_ERROR_KINDS]
        self._latency_scale = latency_scale
        self._sleep = sleep

    def plan(self, request: LLMRequest) -> SimulatedCall:
        """Draw the latency, the outcome and the answer of the next call."""
        text = self._answer(request)
        profile = MODEL_PROFILES[request.model]
        latency = profile.median_seconds * math.exp(self._random.gauss(0.0, profile.sigma))
        latency += profile.seconds_per_completion_token * count_tokens(text)
        draw = self._random.random()
        error: LLMErrorKind | None = None
        for kind, rate in self._error_rates:
            if draw < rate:
                error = kind
                break
            draw -= rate
        return SimulatedCall(latency, error, text)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Sleep for the drawn latency, then answer or fail."""
        call = self.plan(request)
        await self._sleep(call.latency_seconds * self._latency_scale)
        if call.error is not None:
            raise LLMError(call.error, request.model, f"simulated {call.error} from the LLM")
        return LLMResponse(
            text=call.text,
            prompt_tokens=count_tokens(request.system) + count_tokens(request.prompt),
            completion_tokens=count_tokens(call.text),
        )

    def _answer(self, request: LLMRequest) -> str:
        if request.choices:
            return _pick_choice(request.choices, request.prompt)
        target_words = self._random.randint(12, max(12, request.max_completion_words))
        sentences: list[str] = []
        words = 0
        while words < target_words:
            sentence = self._random.choice(_SENTENCES)
            sentences.append(sentence)
            words += len(sentence.split())
        return " ".join(sentences)


def _pick_choice(choices: tuple[str, ...], prompt: str) -> str:
    """A constrained answer: the first choice whose stem (4 letters) the prompt mentions.

    Without a match, the last choice, which callers make their catch-all.
    """
    lowered = prompt.lower()
    return next((choice for choice in choices if choice[:4].lower() in lowered), choices[-1])


class FaultInjectingProvider:
    """Wraps a provider with the LLM faults of the current fault state.

    Rate-limit faults fail fast, before the call; extra latency is slept before the call;
    token inflation multiplies the counts of the answer. Calls to models the faults do not
    name (FaultState.llm_models) pass through untouched.

    Args:
        inner: The provider that really answers.
        faults: Where the fault state in force is read, once per call.
        seed: Seeds the dice for rate-limit faults.
        latency_scale: Multiplies the extra latency (as it does the simulated latency).
        sleep: How to wait. Defaults to asyncio.sleep.
    """

    def __init__(
        self,
        inner: LLMProvider,
        faults: FaultStore,
        seed: int,
        latency_scale: float = 1.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._inner = inner
        self._faults = faults
        self._dice = random.Random(seed)
        self._latency_scale = latency_scale
        self._sleep = sleep

    async def complete(self, request: LLMRequest) -> LLMResponse:
        state = self._faults.effective()
        if not state.hits_model(request.model):
            return await self._inner.complete(request)
        if state.llm_rate_limit_ratio > 0 and self._dice.random() < state.llm_rate_limit_ratio:
            # Hidden (an incident game): worded as the provider's own rate limits are.
            detail = (
                "simulated rate_limit from the LLM"
                if state.hidden
                else "injected rate limit (fault)"
            )
            raise LLMError("rate_limit", request.model, detail)
        if state.llm_extra_latency_seconds > 0:
            await self._sleep(state.llm_extra_latency_seconds * self._latency_scale)
        response = await self._inner.complete(request)
        factor = state.token_inflation_factor
        if factor == 1.0:
            return response
        return replace(
            response,
            prompt_tokens=math.ceil(response.prompt_tokens * factor),
            completion_tokens=math.ceil(response.completion_tokens * factor),
        )


def build_provider(settings: Settings, faults: FaultStore) -> LLMProvider:
    """The provider DEMO_APP_LLM_PROVIDER names, wrapped with the fault injector."""
    # DEMO_APP_LLM_PROVIDER is validated to "simulated", the only provider so far.
    inner = SimulatedGroqProvider(
        seed=settings.DEMO_APP_SEED,
        error_rates={
            "rate_limit": settings.DEMO_APP_LLM_RATE_LIMIT_ERROR_RATE,
            "timeout": settings.DEMO_APP_LLM_TIMEOUT_ERROR_RATE,
            "upstream_5xx": settings.DEMO_APP_LLM_UPSTREAM_5XX_ERROR_RATE,
        },
        latency_scale=settings.DEMO_APP_LLM_LATENCY_SCALE,
    )
    return FaultInjectingProvider(
        inner,
        faults,
        seed=settings.DEMO_APP_SEED + 1,
        latency_scale=settings.DEMO_APP_LLM_LATENCY_SCALE,
    )
