"""demo_app/llm.py: the seeded simulated provider, and the fault wrapper around any provider."""

import asyncio
import math
import statistics
from collections import Counter

import pytest

from demo_app.faults import PRESET_STATES, FaultState, FaultStore
from demo_app.llm import (
    FaultInjectingProvider,
    LLMError,
    LLMRequest,
    LLMResponse,
    SimulatedGroqProvider,
    count_tokens,
)
from demo_app.metrics import LLM_CALL_BUCKETS

LLAMA = "llama-3.1-8b-instant"
MIXTRAL = "mixtral-8x7b-32768"
NO_ERRORS: dict = {}
# prometheus-client's default histogram buckets, which end at 10 s.
CLIENT_DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)


class SleepRecorder:
    """An asyncio.sleep that only writes down how long it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def request(prompt: str = "Why was I billed twice?", model: str = LLAMA) -> LLMRequest:
    return LLMRequest(model=model, system="You are a support agent.", prompt=prompt)  # type: ignore[arg-type]


def histogram_quantile(q: float, bounds: tuple[float, ...], values: list[float]) -> float:
    """Prometheus' histogram_quantile over observations put in these buckets."""
    counts = [sum(1 for value in values if value <= bound) for bound in bounds]
    rank = q * len(values)
    for index, count in enumerate(counts):
        if count >= rank:
            if math.isinf(bounds[index]):
                return bounds[index - 1]  # in +Inf: the highest finite bound
            lower = bounds[index - 1] if index else 0.0
            below = counts[index - 1] if index else 0
            return lower + (bounds[index] - lower) * (rank - below) / (count - below)
    raise AssertionError("the +Inf bucket holds every observation")


def test_the_same_seed_gives_the_same_calls() -> None:
    first, second = (SimulatedGroqProvider(7, {"timeout": 0.2}) for _ in range(2))
    prompts = [f"message {n}" for n in range(200)]
    assert [first.plan(request(p)) for p in prompts] == [second.plan(request(p)) for p in prompts]


def test_another_seed_gives_other_calls() -> None:
    first, second = SimulatedGroqProvider(7, NO_ERRORS), SimulatedGroqProvider(8, NO_ERRORS)
    assert [first.plan(request()) for _ in range(20)] != [second.plan(request()) for _ in range(20)]


def test_tokens_are_counted_from_the_text() -> None:
    assert count_tokens("abcd" * 10) == 10
    assert count_tokens("") == 1
    sleep = SleepRecorder()
    provider = SimulatedGroqProvider(1, NO_ERRORS, sleep=sleep)
    long, short = request("word " * 200), request("hi")
    long_answer = asyncio.run(provider.complete(long))
    assert long_answer.prompt_tokens == count_tokens(long.system) + count_tokens(long.prompt)
    assert long_answer.completion_tokens == count_tokens(long_answer.text)
    assert asyncio.run(provider.complete(short)).prompt_tokens < long_answer.prompt_tokens


def test_errors_come_at_their_configured_rates() -> None:
    rates = {"rate_limit": 0.1, "timeout": 0.05, "upstream_5xx": 0.15}
    provider = SimulatedGroqProvider(3, rates)  # type: ignore[arg-type]
    calls = 5000
    seen = Counter(provider.plan(request()).error for _ in range(calls))
    for kind, rate in rates.items():
        assert seen[kind] / calls == pytest.approx(rate, abs=0.02), seen
    assert seen[None] / calls == pytest.approx(0.7, abs=0.02)


@pytest.mark.parametrize("kind", ["rate_limit", "timeout", "upstream_5xx"])
def test_a_failed_call_raises_its_kind_after_its_latency(kind: str) -> None:
    sleep = SleepRecorder()
    provider = SimulatedGroqProvider(4, {kind: 1.0}, sleep=sleep)  # type: ignore[dict-item]
    with pytest.raises(LLMError) as raised:
        asyncio.run(provider.complete(request(model=MIXTRAL)))
    assert (raised.value.kind, raised.value.model) == (kind, MIXTRAL)
    assert len(sleep.calls) == 1 and sleep.calls[0] > 0


def test_each_model_has_its_own_latency_in_tens_to_hundreds_of_ms() -> None:
    provider = SimulatedGroqProvider(5, NO_ERRORS)
    llama = statistics.median(
        provider.plan(request(model=LLAMA)).latency_seconds for _ in range(500)
    )
    mixtral = statistics.median(
        provider.plan(request(model=MIXTRAL)).latency_seconds for _ in range(500)
    )
    assert 0.01 < llama < mixtral < 0.5


def test_latency_scale_multiplies_the_sleep() -> None:
    sleep = SleepRecorder()
    twin = SimulatedGroqProvider(6, NO_ERRORS)
    scaled = SimulatedGroqProvider(6, NO_ERRORS, latency_scale=0.25, sleep=sleep)
    asyncio.run(scaled.complete(request()))
    assert sleep.calls == [pytest.approx(twin.plan(request()).latency_seconds * 0.25)]


def test_choices_constrain_the_answer_and_the_last_is_the_catch_all() -> None:
    provider = SimulatedGroqProvider(1, NO_ERRORS, sleep=SleepRecorder())

    def answer(prompt: str) -> str:
        choices = ("billing", "refund", "general")
        constrained = LLMRequest(model=LLAMA, system="pick", prompt=prompt, choices=choices)
        return asyncio.run(provider.complete(constrained)).text

    assert answer("I was BILLED twice") == "billing"
    assert answer("I want a refund") == "refund"
    assert answer("hello there") == "general"


class CountingProvider:
    """A provider that answers fixed text and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        return LLMResponse(text="ok", prompt_tokens=10, completion_tokens=3)


def _wrapped(state: FaultState, latency_scale: float = 1.0):
    faults = FaultStore(seed=1)
    faults.replace(state)
    inner, sleep = CountingProvider(), SleepRecorder()
    provider = FaultInjectingProvider(inner, faults, 2, latency_scale=latency_scale, sleep=sleep)
    return provider, inner, sleep


def test_healthy_faults_pass_calls_through_untouched() -> None:
    provider, inner, sleep = _wrapped(FaultState())
    assert asyncio.run(provider.complete(request())) == LLMResponse("ok", 10, 3)
    assert (inner.calls, sleep.calls) == (1, [])


def test_rate_limit_faults_fail_fast_without_calling_the_llm() -> None:
    provider, inner, sleep = _wrapped(FaultState(llm_rate_limit_ratio=1.0))
    with pytest.raises(LLMError) as raised:
        asyncio.run(provider.complete(request()))
    assert raised.value.kind == "rate_limit"
    assert (inner.calls, sleep.calls) == (0, [])


def test_extra_latency_is_slept_before_the_call_and_scaled() -> None:
    provider, inner, sleep = _wrapped(FaultState(llm_extra_latency_seconds=12.0), 0.5)
    asyncio.run(provider.complete(request()))
    assert (inner.calls, sleep.calls) == (1, [6.0])


def test_token_inflation_multiplies_both_counts() -> None:
    provider, _, _ = _wrapped(FaultState(token_inflation_factor=2.5))
    assert asyncio.run(provider.complete(request())) == LLMResponse("ok", 25, 8)


def test_slow_llm_puts_the_p95_past_ten_seconds_only_with_buckets_past_ten() -> None:
    """Unscaled slow-llm latencies, as the histogram's buckets would see them."""
    sleep = SleepRecorder()
    faults = FaultStore(seed=1)
    faults.replace(PRESET_STATES["slow-llm"])
    inner = SimulatedGroqProvider(9, NO_ERRORS, sleep=sleep)
    provider = FaultInjectingProvider(inner, faults, 2, sleep=sleep)
    for _ in range(500):
        asyncio.run(provider.complete(request()))
    per_call = [
        extra + latency for extra, latency in zip(sleep.calls[::2], sleep.calls[1::2], strict=True)
    ]

    assert statistics.quantiles(per_call, n=20)[-1] > 12
    estimate = histogram_quantile(0.95, (*LLM_CALL_BUCKETS, math.inf), per_call)
    assert 12 < estimate <= 15
    # With prometheus-client's default buckets the estimate is stuck at 10: "> 10" never fires.
    assert histogram_quantile(0.95, (*CLIENT_DEFAULT_BUCKETS, math.inf), per_call) == 10
