"""The support agent's turn: an intent_classifier agent, then a responder agent.

Each agent makes exactly one LLM call and records the agent and LLM metrics once, when that
call ends; nothing here knows whether the answer is then streamed or returned whole.
"""

import time
from dataclasses import dataclass

from demo_app import metrics
from demo_app.labels import Agent, Model
from demo_app.llm import LLMError, LLMProvider, LLMRequest, LLMResponse

# The classifier's allowed answers; the last is the catch-all.
INTENTS: tuple[str, ...] = ("billing", "refund", "technical", "account", "cancellation", "general")

_CLASSIFIER_SYSTEM = (
    "You are the intent classifier of a customer-support desk. Read the customer's message "
    f"and answer with exactly one word from: {', '.join(INTENTS)}."
)
_RESPONDER_SYSTEM = (
    "You are a friendly, concise customer-support agent. The customer's intent is {intent}. "
    "Answer their message in a few sentences; never invent account details."
)


@dataclass(frozen=True)
class AgentTurn:
    """What one agent produced and what it cost."""

    agent: Agent
    model: Model
    response: LLMResponse
    seconds: float


async def run_agent(provider: LLMProvider, agent: Agent, request: LLMRequest) -> AgentTurn:
    """Make one agent's LLM call and record its metrics, failed calls included.

    Raises:
        LLMError: The call failed; its error and latency are recorded first.
    """
    start = time.perf_counter()
    try:
        response = await provider.complete(request)
    except LLMError as error:
        metrics.LLM_ERRORS.labels(request.model, error.kind).inc()
        raise
    finally:
        seconds = time.perf_counter() - start
        metrics.LLM_CALL_DURATION.labels(request.model).observe(seconds)
        metrics.AGENT_TURN_LATENCY.labels(agent).observe(seconds)
    metrics.AGENT_TOKEN_USAGE.labels(agent, request.model).inc(response.total_tokens)
    metrics.LLM_TOKENS_USED.labels(request.model, agent).inc(response.total_tokens)
    metrics.LLM_PROMPT_TOKENS.labels(request.model, agent).inc(response.prompt_tokens)
    metrics.LLM_COMPLETION_TOKENS.labels(request.model, agent).inc(response.completion_tokens)
    return AgentTurn(agent, request.model, response, seconds)


async def classify_intent(provider: LLMProvider, message: str, model: Model) -> AgentTurn:
    """The intent_classifier agent: one of INTENTS for the customer's message."""
    request = LLMRequest(
        model=model,
        system=_CLASSIFIER_SYSTEM,
        prompt=message,
        choices=INTENTS,
        max_completion_words=1,
    )
    return await run_agent(provider, "intent_classifier", request)


async def respond(provider: LLMProvider, message: str, intent: str, model: Model) -> AgentTurn:
    """The responder agent: the reply to the customer."""
    request = LLMRequest(
        model=model, system=_RESPONDER_SYSTEM.format(intent=intent), prompt=message
    )
    return await run_agent(provider, "responder", request)
