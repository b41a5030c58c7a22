"""The shared native stack for every end-to-end test, and the traffic that feeds it.

One NativeStack (real demo_app, alert receiver, Prometheus and Alertmanager on free
loopback ports, `lab` alert profile) is started once per session: starting Prometheus and
waiting for its first scrapes costs seconds that every e2e test would otherwise pay again.
A background traffic driver keeps healthy requests flowing for the whole session, so the
rate windows are full before any fault is switched on, just as Locust keeps them full for a
learner.
"""

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from playground.polling import wait_until
from playground.ports import free_port
from playground.settings import PlaygroundSettings
from playground.stack import NativeStack

# Upper bound on one session's background traffic: the e2e tests end long before it, and a
# hung session must not keep loading the machine.
TRAFFIC_MAX_SECONDS = 15 * 60
# Each driver thread sends one request, then pauses this long: with the default 12 threads
# and demo_app's healthy latency (well under 100 ms) that is roughly 20 requests/s, the rate a
# handful of Locust users produce. Under slow-llm a request takes ~25 s (two LLM calls of
# 12 s or more), so the threads then mostly wait and the LLM histogram still gets a steady
# stream of observations (12 threads / 25 s ≈ 1 call/s).
TRAFFIC_PAUSE_SECONDS = 0.5
TRAFFIC_THREADS = 12
MESSAGES = (
    "Where is my order?",
    "I was charged twice this month, please refund one payment.",
    "How do I reset my password?",
    "Cancel my subscription.",
)


class TrafficDriver:
    """Bounded background traffic: agent turns and customer lookups on several threads.

    Args:
        base_url: demo_app's URL.
        threads: How many requests are in flight at most.
        pause_seconds: Each thread's pause between its requests.
        max_seconds: The driver stops by itself after this long.
    """

    def __init__(
        self,
        base_url: str,
        threads: int = TRAFFIC_THREADS,
        pause_seconds: float = TRAFFIC_PAUSE_SECONDS,
        max_seconds: float = TRAFFIC_MAX_SECONDS,
    ) -> None:
        self.base_url = base_url
        self.pause_seconds = pause_seconds
        self.deadline = time.monotonic() + max_seconds
        # Wall-clock start, so a test can say how much healthy history precedes a fault.
        self.started_at = time.time()
        self.statuses: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(seed,), daemon=True, name=f"traffic-{seed}")
            for seed in range(threads)
        ]

    def start(self) -> "TrafficDriver":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            # A request blocked on a slow LLM call ends at its client timeout at the latest.
            thread.join(timeout=90)

    def snapshot(self) -> dict[str, int]:
        """Responses so far by status code (or exception name), for a failure message."""
        with self._lock:
            return dict(self.statuses)

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        # 60 s: a slow-llm turn takes ~25 s; anything longer is a hang worth reporting.
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            while not self._stop.is_set() and time.monotonic() < self.deadline:
                try:
                    if rng.random() < 0.7:
                        response = client.post(
                            "/api/v1/messages", json={"message": rng.choice(MESSAGES)}
                        )
                    else:
                        response = client.get(f"/api/v1/customers/cus_{rng.randint(1, 999)}")
                    outcome = str(response.status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                with self._lock:
                    self.statuses[outcome] += 1
                self._stop.wait(self.pause_seconds)


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], PlaygroundSettings]:
    """Settings for a stack of the `lab` profile on free loopback ports, in a new run folder.

    Ignores .env and .env.override, so a developer's own ports and profile never leak in.
    """

    def make(name: str) -> PlaygroundSettings:
        run_dir: Path = tmp_path_factory.mktemp(name)
        return PlaygroundSettings(
            _env_file=None,
            ALERT_PROFILE="lab",
            DEMO_APP_PORT=free_port(),
            ALERT_RECEIVER_PORT=free_port(),
            PROMETHEUS_PORT=free_port(),
            ALERTMANAGER_PORT=free_port(),
            PLAYGROUND_RUN_DIR=run_dir,
        )

    return make


@pytest.fixture(scope="session")
def native_stack(stack_settings: Callable[[str], PlaygroundSettings]) -> Iterator[NativeStack]:
    """The whole playground on free loopback ports, `lab` profile, fresh data."""
    with NativeStack(stack_settings("native-stack"), fresh=True) as stack:
        yield stack


@pytest.fixture(scope="session")
def traffic(native_stack: NativeStack) -> Iterator[TrafficDriver]:
    """Healthy background traffic for the rest of the session."""
    driver = TrafficDriver(native_stack.urls.demo_app).start()
    yield driver
    driver.stop()


# An earlier test may have fired the same alerts; give them this long to resolve and flush.
QUIET_TIMEOUT_SECONDS = 180.0


def is_quiet(stack: NativeStack, names: tuple[str, ...]) -> bool:
    """None of these alerts is active anywhere, and the last word on each was `resolved`.

    Only then has Alertmanager flushed and dropped the alert's group, so the next firing
    starts a new group and is notified after group_wait, as the predictions assume (a group
    that still exists would notify at its next group_interval tick instead).
    """
    if any(a["labels"].get("alertname") in names for a in stack.prometheus.alerts()):
        return False
    if any(a["labels"].get("alertname") in names for a in stack.alertmanager.alerts()):
        return False
    newest: dict[str, str] = {}
    for note in stack.receiver.notifications(limit=200):  # newest first
        for alert in note["alerts"]:
            newest.setdefault(alert["labels"].get("alertname", ""), alert["status"])
    return all(newest.get(name, "resolved") == "resolved" for name in names)


@pytest.fixture
def wait_until_quiet(native_stack: NativeStack) -> Callable[[tuple[str, ...]], None]:
    """Waits until the named alerts are quiet on the shared stack, or fails with a dump."""

    def wait(names: tuple[str, ...]) -> None:
        if not wait_until(lambda: is_quiet(native_stack, names), QUIET_TIMEOUT_SECONDS, 1.0):
            pytest.fail(f"{names} did not quiet down.\n{native_stack.diagnostics()}")

    return wait
