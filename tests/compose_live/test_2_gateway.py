"""The API through demo_app_gateway, the one host port in front of three replicas: one
admin token for all, faults that reach all, requests spread over all, streams unbuffered."""

from __future__ import annotations

import json
import time

import httpx

from tests.compose_live.stack import REPLICAS, Compose, Urls, replica_request_counts

TOKEN_FILE = "/var/lib/demo_app/admin-token"
# The app's user (demo_app/Dockerfile's USER, compose.yaml's `user:`).
APP_UID_GID = "10001 10001"
CUSTOMER = "/api/v1/customers/{customer_id}"
# Sequential requests through the gateway; round robin gives each replica a third.
SPREAD_REQUESTS = 60


def test_admin_token_is_one_private_value_in_every_replica(stack: Compose) -> None:
    seen = {}
    for index, name in enumerate(stack.replicas(), start=1):
        mode_owner = stack.exec("demo_app", index, "stat", "-c", "%a %u %g", TOKEN_FILE).strip()
        token = stack.exec("demo_app", index, "cat", TOKEN_FILE).strip()
        seen[name] = (mode_owner, token)
        assert mode_owner == f"600 {APP_UID_GID}", (name, mode_owner)
        assert len(token) == 32, (name, token)
    assert len({token for _, token in seen.values()}) == 1, seen


def test_admin_api_answers_401_without_the_token(
    stack: Compose, urls: Urls, admin_token: str
) -> None:
    faults = f"{urls.demo_app}/admin/faults"
    assert httpx.get(faults, timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer " + "0" * 32}
    assert httpx.get(faults, headers=wrong, timeout=10).status_code == 401
    right = {"Authorization": f"Bearer {admin_token}"}
    assert httpx.get(faults, headers=right, timeout=10).status_code == 200


def replica_presets(stack: Compose, token: str) -> dict[str, str]:
    """The active preset each replica itself reports (asked on its own loopback)."""
    code = (
        "import sys, urllib.request; r = urllib.request.Request("
        "'http://127.0.0.1:8000/admin/faults', headers={'Authorization': 'Bearer ' + sys.argv[1]});"
        " print(urllib.request.urlopen(r, timeout=5).read().decode())"
    )
    return {
        name: json.loads(stack.exec("demo_app", index, "python", "-c", code, token))[
            "active_preset"
        ]
        for index, name in enumerate(stack.replicas(), start=1)
    }


def test_a_fault_set_through_the_gateway_reaches_every_replica(
    stack: Compose, urls: Urls, admin_token: str
) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    applied = httpx.post(
        f"{urls.demo_app}/admin/faults/presets/error-storm", headers=headers, timeout=10
    )
    assert applied.status_code == 200, applied.text
    try:
        presets = replica_presets(stack, admin_token)
        assert set(presets.values()) == {"error-storm"}, presets
    finally:
        httpx.delete(f"{urls.demo_app}/admin/faults", headers=headers, timeout=10)
    presets = replica_presets(stack, admin_token)
    assert set(presets.values()) == {"healthy"}, presets


def test_the_gateway_spreads_sequential_requests_over_every_replica(
    stack: Compose, urls: Urls
) -> None:
    """One client, one connection at a time, as a curl loop or a browser would: each
    replica's own counter must grow (Caddy reuses upstream connections, so this fails when
    the gateway has one upstream name instead of one upstream per replica)."""
    before = replica_request_counts(stack, CUSTOMER)
    with httpx.Client(base_url=urls.demo_app, timeout=10) as client:
        for number in range(SPREAD_REQUESTS):
            response = client.get(f"/api/v1/customers/cus_{number % 50 + 1:05d}")
            assert response.status_code == 200, response.text
    after = replica_request_counts(stack, CUSTOMER)
    got = {name: after[name] - before.get(name, 0.0) for name in after}
    assert len(got) == REPLICAS, got
    assert sum(got.values()) == SPREAD_REQUESTS, got
    # Round robin gives 20 each; half of a fair share is the least any replica may get.
    fair_share = SPREAD_REQUESTS / REPLICAS
    starved = {name: count for name, count in got.items() if count < fair_share / 2}
    assert not starved, f"requests per replica: {got}"


def test_a_stream_through_the_gateway_arrives_event_by_event(
    urls: Urls, stack: Compose, admin_token: str
) -> None:
    """The intent event is sent before the responder's (simulated) LLM call, the rest after
    it: a gateway that buffered the response would deliver them all at once at the end.
    Each LLM call is slowed by a second (a fault) so that the gap is easy to see."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    faults = f"{urls.demo_app}/admin/faults"
    slowed = httpx.put(faults, json={"llm_extra_latency_seconds": 1.0}, headers=headers)
    assert slowed.status_code == 200, slowed.text
    arrivals: list[tuple[float, str]] = []
    done: dict = {}
    try:
        started = time.monotonic()
        with httpx.stream(
            "POST",
            f"{urls.demo_app}/api/v1/messages/stream",
            json={"message": "Where is my order?"},
            timeout=30,
        ) as response:
            assert response.status_code == 200, response.read()
            assert response.headers["content-type"].startswith("text/event-stream")
            event = ""
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                    arrivals.append((time.monotonic() - started, event))
                elif line.startswith("data:") and event == "done":
                    done = json.loads(line.split(":", 1)[1])
    finally:
        httpx.delete(faults, headers=headers, timeout=10)
    names = [name for _, name in arrivals]
    assert names and names[0] == "intent" and names[-1] == "done", names
    responder = done["timings"]["responder_seconds"]
    assert responder >= 1.0, done
    gap = arrivals[-1][0] - arrivals[0][0]
    assert gap >= responder / 2, (
        f"intent and done arrived {gap:.2f} s apart, the responder took {responder:.2f} s: "
        f"buffered? {arrivals}"
    )
