"""POST /api/v1/messages and POST /api/v1/messages/stream: one support-agent turn.

The streamed turn classifies the intent before the stream opens, so a failure there still
gets a proper status code and the HTTP latency histogram measures time to first byte. The
agent metrics are recorded by demo_app.agents, once per agent call, never per event.
"""

import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from demo_app import paths
from demo_app.agents import AgentTurn, classify_intent, respond
from demo_app.deps import ProviderDep, SettingsDep, inject_http_fault
from demo_app.errors import ApiError
from demo_app.labels import Model
from demo_app.llm import LLMError, LLMProvider
from demo_app.schemas import ErrorBody, MessageRequest, MessageResponse, Timings, Usage
from demo_app.settings import Settings

router = APIRouter(
    tags=["messages"],
    dependencies=[Depends(inject_http_fault)],
    responses={status: {"model": ErrorBody} for status in (400, 413, 422, 429, 500, 502, 504)},
)

# Words per `token` event of the stream.
_WORDS_PER_EVENT = 3


def _message_and_model(body: MessageRequest, settings: Settings) -> tuple[str, Model]:
    limit = settings.DEMO_APP_MAX_MESSAGE_CHARS
    if len(body.message) > limit:
        problem = f"at most {limit} characters, got {len(body.message)}"
        raise ApiError(
            422,
            "validation_error",
            f"body.message: {problem}",
            details=[{"field": "body.message", "problem": problem}],
        )
    return body.message, body.model or settings.DEMO_APP_DEFAULT_MODEL


def _usage(*turns: AgentTurn) -> Usage:
    prompt = sum(turn.response.prompt_tokens for turn in turns)
    completion = sum(turn.response.completion_tokens for turn in turns)
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _timings(intent: AgentTurn, reply: AgentTurn, start: float) -> Timings:
    return Timings(
        intent_classifier_seconds=round(intent.seconds, 6),
        responder_seconds=round(reply.seconds, 6),
        total_seconds=round(time.perf_counter() - start, 6),
    )


async def _classify(
    body: MessageRequest, settings: Settings, provider: LLMProvider
) -> tuple[float, str, Model, AgentTurn]:
    """Start a turn: check the message, pick the model, classify the intent."""
    start = time.perf_counter()
    message, model = _message_and_model(body, settings)
    return start, message, model, await classify_intent(provider, message, model)


@router.post(paths.MESSAGES)
async def post_message(
    body: MessageRequest, settings: SettingsDep, provider: ProviderDep
) -> MessageResponse:
    """Run one agent turn: classify the intent, then answer."""
    start, message, model, intent = await _classify(body, settings, provider)
    reply = await respond(provider, message, intent.response.text, model)
    return MessageResponse(
        reply=reply.response.text,
        intent=intent.response.text,
        model=model,
        usage=_usage(intent, reply),
        timings=_timings(intent, reply, start),
    )


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


@router.post(
    paths.MESSAGES_STREAM,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE events"}},
)
async def stream_message(
    body: MessageRequest, settings: SettingsDep, provider: ProviderDep
) -> StreamingResponse:
    """The same turn as Server-Sent Events: intent, token..., then done (or error)."""
    start, message, model, intent = await _classify(body, settings, provider)

    async def events() -> AsyncIterator[str]:
        yield _event("intent", {"intent": intent.response.text, "model": model})
        try:
            reply = await respond(provider, message, intent.response.text, model)
        except LLMError as error:
            yield _event("error", {"error": f"llm_{error.kind}", "message": error.detail})
            return
        words = reply.response.text.split()
        for index in range(0, len(words), _WORDS_PER_EVENT):
            yield _event("token", {"text": " ".join(words[index : index + _WORDS_PER_EVENT])})
        done = {
            "usage": _usage(intent, reply).model_dump(),
            "timings": _timings(intent, reply, start).model_dump(),
        }
        yield _event("done", done)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
