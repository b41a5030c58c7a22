"""demo_app/agents.py: one LLM call per agent, its metrics recorded once, failures included."""

import asyncio

import pytest

from demo_app.agents import INTENTS, classify_intent, respond
from demo_app.llm import LLMError, LLMRequest, LLMResponse
from tests.support.demo_app import sample

MODEL = "mixtral-8x7b-32768"


class ScriptedProvider:
    """Answers with fixed token counts, or fails, and keeps every request."""

    def __init__(self, error: str | None = None) -> None:
        self.error = error
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        if self.error:
            raise LLMError(self.error, request.model, "scripted failure")  # type: ignore[arg-type]
        text = request.choices[0] if request.choices else "Sure, happy to help."
        return LLMResponse(text=text, prompt_tokens=40, completion_tokens=7)


def _agent_samples(agent: str) -> dict[str, float]:
    return {
        "agent_tokens": sample("agent_token_usage_total", agent=agent, model=MODEL),
        "llm_tokens": sample("llm_tokens_used_total", model=MODEL, agent=agent),
        "prompt": sample("llm_prompt_tokens_total", model=MODEL, agent=agent),
        "completion": sample("llm_completion_tokens_total", model=MODEL, agent=agent),
        "turns": sample("agent_turn_latency_seconds_count", agent=agent),
        "calls": sample("llm_call_duration_seconds_count", model=MODEL),
        "timeouts": sample("llm_errors_total", model=MODEL, kind="timeout"),
    }


def _delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in before}


def test_a_successful_agent_records_its_tokens_and_latency_once() -> None:
    provider = ScriptedProvider()
    before = _agent_samples("responder")
    turn = asyncio.run(respond(provider, "Where is my order?", "account", MODEL))
    assert _delta(before, _agent_samples("responder")) == {
        "agent_tokens": 47,
        "llm_tokens": 47,
        "prompt": 40,
        "completion": 7,
        "turns": 1,
        "calls": 1,
        "timeouts": 0,
    }
    assert len(provider.requests) == 1
    assert turn.response.text == "Sure, happy to help."
    assert "account" in provider.requests[0].system


def test_a_failed_agent_records_its_error_and_latency_but_no_tokens() -> None:
    before = _agent_samples("intent_classifier")
    with pytest.raises(LLMError):
        asyncio.run(classify_intent(ScriptedProvider("timeout"), "hello", MODEL))
    assert _delta(before, _agent_samples("intent_classifier")) == {
        "agent_tokens": 0,
        "llm_tokens": 0,
        "prompt": 0,
        "completion": 0,
        "turns": 1,
        "calls": 1,
        "timeouts": 1,
    }


def test_the_classifier_asks_for_one_of_the_intents() -> None:
    provider = ScriptedProvider()
    turn = asyncio.run(classify_intent(provider, "I want to cancel", MODEL))
    assert provider.requests[0].choices == INTENTS
    assert provider.requests[0].prompt == "I want to cancel"
    assert turn.agent == "intent_classifier"
