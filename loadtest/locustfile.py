"""Locust load for demo_app: customers of an AI support desk.

    locust -f loadtest/locustfile.py --config loadtest/locust.conf --scenario error-storm

The traffic is the API's own: agent turns (plain and streamed) and customer lookups, over
10,000 customer ids and a few unknown ones. Health checks and /metrics are not user load:
Prometheus and the probes already call them, and mixing them in would dilute the error
ratio the alerts watch. The load shape (loadtest/shapes.py) follows the scenario table
(loadtest/scenarios.py); select a scenario with ``--scenario`` and a subset of the traffic
with ``--tags messages`` or ``--tags customers``.

Every response is checked, not just its status: a 200 with a broken body is a failure, and
an unknown customer's 404 is a success, so that Locust's failure count means "the service
misbehaved" and matches the injected faults.
"""

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from locust import FastHttpUser, between, events, tag, task
from locust.contrib.fasthttp import ResponseContextManager

# The Locust image mounts loadtest/ alone and runs from inside it; natively it runs from the
# repository root. Either way the scenario table must import as `loadtest.scenarios`.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import loadtest.metrics  # noqa: F401 - adds --metrics-port; the master serves /metrics
from loadtest.scenarios import ALERT_PROFILES, SCENARIOS
from loadtest.shapes import ScenarioShape  # noqa: F401 - Locust finds the shape here

# demo_app's customer ids: cus_00001 .. cus_10000 with the default DEMO_APP_CUSTOMER_COUNT.
KNOWN_CUSTOMERS = 10_000
# Ids that are never customers, whatever DEMO_APP_CUSTOMER_COUNT is: typos a support agent
# might paste (too few or too many digits, number zero, wrong prefix).
UNKNOWN_CUSTOMER_IDS = ("cus_0042", "cus_000042", "cus_00000", "cust_00042", "42")
# What customers write; each matches one of demo_app's intents, the last one none.
MESSAGES = (
    "I was charged twice for my subscription this month, can you check the billing?",
    "I would like a refund for the order I returned last week.",
    "The app crashes every time I open the settings page on Android.",
    "How do I change the e-mail address on my account?",
    "Please cancel my plan at the end of the billing period.",
    "I cannot log in since yesterday, it says my password is wrong.",
    "Do you ship to Ireland, and how long does it take?",
)
MODELS = ("llama-3.1-8b-instant", "mixtral-8x7b-32768")
# Share of turns that ask for the larger, slower model.
MIXTRAL_SHARE = 0.2

# URL templates, the same as demo_app's `handler` labels, so Locust's table and the
# dashboards name requests alike.
MESSAGES_URL = "/api/v1/messages"
STREAM_URL = "/api/v1/messages/stream"
CUSTOMER_NAME = "/api/v1/customers/{customer_id}"
UNKNOWN_CUSTOMER_NAME = "/api/v1/customers/{customer_id} (unknown id)"


@events.init_command_line_parser.add_listener
def _add_arguments(parser) -> None:  # type: ignore[no-untyped-def]
    group = parser.add_argument_group("playground scenario")
    group.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default="baseline",
        help="which row of loadtest/scenarios.py the load shape follows",
    )
    group.add_argument(
        "--alert-profile",
        choices=ALERT_PROFILES,
        default="lab",
        help="the profile whose default phase lengths apply",
    )
    for phase in ("warmup", "incident", "recovery", "steady"):
        group.add_argument(
            f"--{phase}-seconds",
            type=float,
            default=0.0,
            help=f"length of the {phase} phase; 0 takes the scenario's default",
        )


def _body(text: str) -> dict:
    """JSON body of a response, or {} when it is not a JSON object."""
    try:
        value = json.loads(text or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _sse_events(text: str) -> Iterator[tuple[str, dict]]:
    """(event name, data) of each Server-Sent Event in a whole stream."""
    for block in text.split("\n\n"):
        name, data = "message", ""
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[len("event:") :].strip()
            elif line.startswith("data:"):
                data += line[len("data:") :].strip()
        if data:
            yield name, _body(data)


def _fail_on_status(response: ResponseContextManager) -> bool:
    """Mark a non-2xx answer as failed, with demo_app's error code. True if it was one."""
    if 200 <= response.status_code < 300:
        return False
    if response.status_code == 0:
        # No HTTP answer at all: connection refused or reset, or a timeout.
        response.failure(f"no response: {getattr(response, 'error', None)!r}")
        return True
    error = _body(response.text).get("error", "no JSON error body")
    response.failure(f"HTTP {response.status_code} {error}")
    return True


class _Customer(FastHttpUser):
    """What every customer does the same way: write a message, stream a turn."""

    abstract = True

    def _message(self) -> dict:
        model = MODELS[1] if random.random() < MIXTRAL_SHARE else MODELS[0]
        return {"message": random.choice(MESSAGES), "model": model}

    def _stream_turn(self) -> None:
        with self.client.post(STREAM_URL, json=self._message(), catch_response=True) as resp:
            if _fail_on_status(resp):
                return
            names = [name for name, _data in _sse_events(resp.text)]
            if "error" in names:
                # The stream had opened with 200 when the LLM failed mid-turn.
                resp.failure("stream ended with an error event")
            elif not names or names[0] != "intent" or names[-1] != "done":
                resp.failure(f"incomplete stream: {names[:3]}...{names[-2:]}")


class SupportCustomer(_Customer):
    """A customer on the support desk: mostly agent turns, some account lookups.

    FastHttpUser (geventhttpclient), not HttpUser (requests): it spends several times less
    CPU per request, and Locust shares the playground's 2 cores with demo_app and Prometheus.
    """

    # A person reads the answer before writing again: 0.5 to 1.5 s between tasks (~1 s).
    wait_time = between(0.5, 1.5)

    @tag("messages")
    @task(5)
    def send_message(self) -> None:
        """One agent turn, answered as JSON."""
        with self.client.post(MESSAGES_URL, json=self._message(), catch_response=True) as resp:
            if _fail_on_status(resp):
                return
            body = _body(resp.text)
            if not body.get("reply") or body.get("usage", {}).get("total_tokens", 0) <= 0:
                resp.failure("200 without a reply or token usage")

    @tag("messages", "stream")
    @task(2)
    def stream_message(self) -> None:
        """One agent turn as Server-Sent Events: intent, tokens, then done (or error)."""
        self._stream_turn()

    @tag("customers")
    @task(4)
    def look_up_customer(self) -> None:
        """An existing customer's profile."""
        customer_id = f"cus_{random.randint(1, KNOWN_CUSTOMERS):05d}"
        url = f"/api/v1/customers/{customer_id}"
        with self.client.get(url, name=CUSTOMER_NAME, catch_response=True) as resp:
            if _fail_on_status(resp):
                return
            if _body(resp.text).get("id") != customer_id:
                resp.failure("profile of another customer")

    @tag("customers")
    @task(1)
    def look_up_unknown_customer(self) -> None:
        """A mistyped id: the right answer is a 404 customer_not_found, so that succeeds."""
        url = f"/api/v1/customers/{random.choice(UNKNOWN_CUSTOMER_IDS)}"
        with self.client.get(url, name=UNKNOWN_CUSTOMER_NAME, catch_response=True) as resp:
            if resp.status_code == 404 and _body(resp.text).get("error") == "customer_not_found":
                resp.success()
            elif not _fail_on_status(resp):
                resp.failure(f"expected 404 customer_not_found, got {resp.status_code}")


class SurgeCustomer(_Customer):
    """The spike scenario's crowd: customers who ask again as soon as an answer arrives.

    FastHttpUser for the same reason as SupportCustomer; here it matters more, as a hundred
    of them keep a request open almost all the time. Streamed turns only: each holds its
    connection, and a slot in demo_app's in-progress gauge, for the whole turn. Only the
    spike's incident starts them (the load shape names the class of every phase).
    """

    wait_time = between(0.0, 0.1)

    @tag("messages", "stream")
    @task
    def stream_message_again(self) -> None:
        """Another streamed turn, checked as SupportCustomer's are."""
        self._stream_turn()


if __name__ == "__main__":
    # Debug one user against a running demo_app: python loadtest/locustfile.py
    from locust import run_single_user

    SupportCustomer.host = "http://127.0.0.1:8000"
    run_single_user(SupportCustomer)
