"""Saturation load: why the load tester's p95 differs from the server's histogram.

Two ways to send the same kind of request, a customer lookup, given a fixed cost first so
that one worker serves the same on every machine (docs/labs/06-several-workers.md,
section 3):

    playground faults set --json '{"event_loop_block_seconds": 0.005}'   # <= 200/s a worker
    # closed model: 40 users, each sends its next request as soon as the answer arrives
    locust -f loadtest/saturation.py --headless ClosedLoopCustomer -u 40 -r 40 -t 60s
    # open model: 195 arrivals a second (1.3 times what 40 users got), answered or not
    locust -f loadtest/saturation.py --headless OpenModelCustomer -u 1 --arrival-rate 195 -t 15s

Add ``--metrics-port 9646`` to have Prometheus scrape the client's view (loadtest/metrics.py).
docs/labs/06-several-workers.md (section 3) walks through both, with the numbers measured here.

Why an open model needs its own user: every Locust user runs one greenlet, which waits for
each answer before its next task. The wait_time functions (``constant_throughput``,
``constant_pacing``, ``poisson``) only choose how long to wait *after* a task; when a
response takes longer than the pacing, the wait is 0 and the user's rate falls
(locust/user/wait_time.py). A load shape only sets the number of users. So a closed-loop
test slows down with the server it measures, and never sends the requests that would have
queued behind a slow one (coordinated omission). ``OpenModelCustomer`` schedules arrivals
itself and sends each one from its own greenlet in a gevent pool, which is how Locust's
FastHttpUser docs say to use its ``concurrency`` (``FastHttpUser.concurrency``).
"""

import logging
import random
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from gevent.pool import Pool
from locust import FastHttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import loadtest.metrics  # noqa: F401 - adds --metrics-port; the master serves /metrics

# demo_app's default customer ids, and the name (demo_app's handler label) the lookups get.
KNOWN_CUSTOMERS = 10_000
CUSTOMER_NAME = "/api/v1/customers/{customer_id}"
# The open model's bound on requests in flight: past it, an arrival is counted as a
# failure ("dropped") instead of opening yet another connection. It keeps a run that
# offers far more than demo_app can serve bounded in sockets and memory, below the usual
# limit of 1024 open files per process.
MAX_IN_FLIGHT = 800
# The failure message of a request still unanswered when the test stops.
UNANSWERED = "unanswered"
# Falling behind the arrival schedule by more than this is reported when the user stops.
LAG_WARNING_SECONDS = 0.1
logger = logging.getLogger(__name__)


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--arrival-rate",
        type=float,
        default=100.0,
        help="OpenModelCustomer: requests started per second, Poisson arrivals",
    )


def _look_up(user: FastHttpUser) -> None:
    customer_id = f"cus_{random.randint(1, KNOWN_CUSTOMERS):05d}"
    url = f"/api/v1/customers/{customer_id}"
    with user.client.get(url, name=CUSTOMER_NAME, catch_response=True) as resp:
        if resp.status_code != 200:
            resp.failure(f"HTTP {resp.status_code}")


def _fail(reason: str) -> None:
    """Count a lookup that got no response, and so has no response time."""
    events.request.fire(
        request_type="GET",
        name=CUSTOMER_NAME,
        response_time=None,
        response_length=0,
        exception=RuntimeError(reason),
        context={},
    )


class ClosedLoopCustomer(FastHttpUser):
    """A closed model: one request at a time per user, the next as soon as one is answered.

    N users keep at most N requests outstanding, so the offered rate follows the server: by
    Little's law each user's response time is N divided by the throughput.
    """

    wait_time = constant(0)

    @task
    def look_up(self) -> None:
        _look_up(self)


class OpenModelCustomer(FastHttpUser):
    """An open model: Poisson arrivals at ``--arrival-rate`` a second, each in its own greenlet.

    Run one of these (``-u 1``); it is an arrival process, not a person. Its response times
    start when each request is sent, which is its scheduled arrival time as long as Locust
    keeps up (``schedule_lag`` is logged at the end if it did not).
    """

    wait_time = constant(0)
    # geventhttpclient's connection pool: as many connections as requests may be in flight,
    # so no arrival waits for a free connection inside the client.
    concurrency = MAX_IN_FLIGHT

    def on_start(self) -> None:
        self._pool = Pool(MAX_IN_FLIGHT)
        self._next_at = time.monotonic()
        self.schedule_lag = 0.0

    def on_stop(self) -> None:
        # Requests still waiting for an answer when the test stops have no response time, and
        # Locust would leave them out of every statistic: the slowest of the run, hidden
        # again. Each one is counted as a failure instead, so the report shows how many.
        unanswered = len(self._pool)
        self._pool.kill(block=True, timeout=5)
        for _ in range(unanswered):
            _fail(f"{UNANSWERED}: still waiting when the test stopped, never timed")
        if self.schedule_lag > LAG_WARNING_SECONDS:
            logger.warning(
                "Locust fell up to %.2f s behind its arrival schedule: it was short of CPU, "
                "and those requests were sent late (and timed from then).",
                self.schedule_lag,
            )

    @task
    def arrive(self) -> None:
        """Wait for the next arrival and send it; one arrival per task, so a stop is prompt.

        The schedule is kept across tasks: when Locust falls behind, the late arrivals go
        out at once, so the offered rate holds on average.
        """
        rate = self.environment.parsed_options.arrival_rate
        now = time.monotonic()
        self._next_at += random.expovariate(rate)
        delay = self._next_at - now
        if delay > 0:
            gevent.sleep(delay)
        else:
            self.schedule_lag = max(self.schedule_lag, -delay)
        if self._pool.full():
            _fail(f"dropped: {MAX_IN_FLIGHT} requests in flight")
            return
        self._pool.spawn(_look_up, self)
