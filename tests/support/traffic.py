"""Bounded background traffic for a live demo_app, as Locust would send it: the e2e tests'
shared stack keeps its rate windows full with it.
"""

import random
import threading
import time
from collections import Counter

import httpx

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
