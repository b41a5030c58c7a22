"""POST /api/v1/messages and /stream: the turn, its metrics once per request, bad input."""

import json
import re
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from demo_app.main import create_application
from tests.support.demo_app import ADMIN_HEADERS, make_settings, sample

MESSAGES = "/api/v1/messages"
STREAM = "/api/v1/messages/stream"
LLAMA = "llama-3.1-8b-instant"
MIXTRAL = "mixtral-8x7b-32768"


def _events(body: str) -> list[tuple[str, dict]]:
    """(event, data) pairs of an SSE body."""
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def _turn_samples(model: str) -> dict[str, float]:
    return {
        "tokens": sum(
            sample("llm_tokens_used_total", model=model, agent=agent)
            for agent in ("intent_classifier", "responder")
        ),
        "classifier_turns": sample("agent_turn_latency_seconds_count", agent="intent_classifier"),
        "responder_turns": sample("agent_turn_latency_seconds_count", agent="responder"),
        "calls": sample("llm_call_duration_seconds_count", model=model),
    }


def test_a_turn_returns_reply_intent_usage_and_timings(client: TestClient) -> None:
    response = client.post(MESSAGES, json={"message": "I want a refund for last month"})
    assert response.status_code == 200
    body = response.json()
    assert body["intent"] == "refund"
    assert body["model"] == LLAMA
    assert len(body["reply"].split()) >= 12
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    timings = body["timings"]
    assert timings["total_seconds"] >= timings["intent_classifier_seconds"] > 0


@pytest.mark.parametrize(
    "message, intent",
    [
        ("My card was billed twice", "billing"),
        ("The app shows a technical error", "technical"),
        ("Please cancel my plan", "cancellation"),
        ("What a lovely day", "general"),
    ],
)
def test_the_intent_follows_the_message(client: TestClient, message: str, intent: str) -> None:
    assert client.post(MESSAGES, json={"message": message}).json()["intent"] == intent


def test_a_turn_records_each_agent_once(client: TestClient) -> None:
    before = _turn_samples(MIXTRAL)
    body = client.post(MESSAGES, json={"message": "hello", "model": MIXTRAL}).json()
    after = _turn_samples(MIXTRAL)
    assert body["model"] == MIXTRAL
    assert after["tokens"] - before["tokens"] == body["usage"]["total_tokens"]
    assert after["classifier_turns"] - before["classifier_turns"] == 1
    assert after["responder_turns"] - before["responder_turns"] == 1
    assert after["calls"] - before["calls"] == 2


def test_the_stream_sends_intent_tokens_then_done(client: TestClient) -> None:
    response = client.post(STREAM, json={"message": "I was billed twice"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "intent" and names[-1] == "done"
    assert set(names[1:-1]) == {"token"} and len(names) > 4
    assert events[0][1] == {"intent": "billing", "model": LLAMA}
    reply = " ".join(data["text"] for name, data in events if name == "token")
    assert len(reply.split()) >= 12
    assert events[-1][1]["usage"]["total_tokens"] > 0


def test_a_stream_records_each_agent_once_whatever_its_number_of_events(
    client: TestClient,
) -> None:
    before = _turn_samples(LLAMA)
    response = client.post(STREAM, json={"message": "hi"})
    after = _turn_samples(LLAMA)
    events = _events(response.text)
    assert len(events) > 4
    assert after["classifier_turns"] - before["classifier_turns"] == 1
    assert after["responder_turns"] - before["responder_turns"] == 1
    assert after["calls"] - before["calls"] == 2
    assert after["tokens"] - before["tokens"] == events[-1][1]["usage"]["total_tokens"]


def test_the_stream_is_timed_to_its_first_byte() -> None:
    """The HTTP histogram stops when the stream opens (after the classifier), not when the
    responder has finished."""
    app = create_application(make_settings(DEMO_APP_LLM_LATENCY_SCALE=0.01))
    labels = {"handler": STREAM, "method": "POST"}
    with TestClient(app) as client:
        slow = {"llm_extra_latency_seconds": 20.0}  # 0.2 s per call at this scale
        assert client.put("/admin/faults", json=slow, headers=ADMIN_HEADERS).status_code == 200
        before = sample("http_request_duration_seconds_sum", **labels)
        start = time.perf_counter()
        assert client.post(STREAM, json={"message": "hi"}).status_code == 200
        whole = time.perf_counter() - start
    timed = sample("http_request_duration_seconds_sum", **labels) - before
    # The classifier's 0.2 s are in; the responder's 0.2 s, sent after the first byte, are not.
    assert timed >= 0.2
    assert whole - timed >= 0.2


@pytest.mark.parametrize(
    "kind, status, retry_after",
    [("RATE_LIMIT", 429, "1"), ("TIMEOUT", 504, None), ("UPSTREAM_5XX", 502, None)],
)
def test_llm_failures_map_to_their_status(kind: str, status: int, retry_after: str | None) -> None:
    settings = make_settings(**{f"DEMO_APP_LLM_{kind}_ERROR_RATE": 1.0})
    with TestClient(create_application(settings)) as client:
        response = client.post(MESSAGES, json={"message": "hello"})
    assert response.status_code == status
    assert response.json()["error"] == f"llm_{kind.lower()}"
    assert response.headers.get("retry-after") == retry_after


def test_a_responder_failure_mid_stream_becomes_an_error_event() -> None:
    settings = make_settings(DEMO_APP_LLM_UPSTREAM_5XX_ERROR_RATE=0.5, DEMO_APP_SEED=11)
    seen = set()
    with TestClient(create_application(settings)) as client:
        for _ in range(40):
            response = client.post(STREAM, json={"message": "hello"})
            if response.status_code == 200:
                names = [name for name, _ in _events(response.text)]
                seen.add(tuple(names) if "error" in names else "ok")
            else:
                assert response.status_code == 502
    assert ("intent", "error") in seen


# --- Bad input: a clear 4xx with the error shape, never a 500 ---------------------------------


def _assert_error(response, status: int, code: str, mentions: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code
    assert mentions in body["message"]


@pytest.mark.parametrize("path", [MESSAGES, STREAM])
def test_malformed_json_is_a_400(client: TestClient, path: str) -> None:
    response = client.post(
        path, content=b'{"message": ', headers={"content-type": "application/json"}
    )
    _assert_error(response, 400, "malformed_json", "not valid JSON")


@pytest.mark.parametrize(
    "body, mentions",
    [
        ({}, "body.message: Field required"),
        ({"message": 42}, "body.message"),
        ({"message": ["a"]}, "body.message"),
        ({"message": ""}, "body.message"),
        ({"message": "   "}, "body.message"),
        ({"message": "hi", "model": "gpt-4o"}, "llama-3.1-8b-instant"),
        ({"message": "hi", "model": None, "customer_id": "cus_00001"}, "body.customer_id"),
        ([], "body"),
        ("just a string", "body"),
    ],
)
@pytest.mark.parametrize("path", [MESSAGES, STREAM])
def test_invalid_bodies_are_a_422_that_names_the_field(
    client: TestClient, path: str, body: object, mentions: str
) -> None:
    response = client.post(path, json=body)
    _assert_error(response, 422, "validation_error", mentions)
    assert response.json()["details"]


def test_a_body_that_is_not_json_is_a_422(client: TestClient) -> None:
    response = client.post(MESSAGES, content=b"message=hi", headers={"content-type": "text/plain"})
    _assert_error(response, 422, "validation_error")


def test_a_message_over_the_limit_is_a_422() -> None:
    with TestClient(create_application(make_settings(DEMO_APP_MAX_MESSAGE_CHARS=100))) as client:
        assert client.post(MESSAGES, json={"message": "x" * 100}).status_code == 200
        response = client.post(MESSAGES, json={"message": "x" * 101})
    _assert_error(response, 422, "validation_error", "at most 100 characters, got 101")


def test_an_oversized_body_is_a_413_by_its_content_length(client: TestClient) -> None:
    response = client.post(MESSAGES, json={"message": "x" * 20_000})
    _assert_error(response, 413, "payload_too_large", "16384 bytes")


def test_an_oversized_body_without_content_length_is_a_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"message": "'
        for _ in range(20):
            yield b"x" * 1000
        yield b'"}'

    response = client.post(MESSAGES, content=chunks(), headers={"content-type": "application/json"})
    _assert_error(response, 413, "payload_too_large")


def test_bad_input_never_reaches_a_500(client: TestClient) -> None:
    before = sample("http_requests_total", handler=MESSAGES, method="POST", status="500")
    for content in [b"", b"null", b"{}", b'{"message": {}}', b"\xff\xfe", b"[" * 1000, b"1e999"]:
        response = client.post(
            MESSAGES, content=content, headers={"content-type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (content, response.status_code)
        assert "error" in response.json()
    assert sample("http_requests_total", handler=MESSAGES, method="POST", status="500") == before


@pytest.mark.parametrize("text", [" ", "   ", "\t\n", "\u2003"])
def test_the_published_schema_itself_refuses_a_whitespace_only_message(
    client: TestClient, text: str
) -> None:
    # A client (or schemathesis) that follows /openapi.json must learn that blank is
    # invalid there, not only from the 422.
    schema = client.get("/openapi.json").json()["components"]["schemas"]["MessageRequest"]
    message = schema["properties"]["message"]

    assert re.search(message["pattern"], text) is None
    assert re.search(message["pattern"], f"{text}hi{text}") is not None
    _assert_error(client.post(MESSAGES, json={"message": text}), 422, "validation_error")
