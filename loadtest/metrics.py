"""Locust's client-side view of a load test, as Prometheus metrics served by the master.

    locust -f loadtest/locustfile.py --metrics-port 9646 ...   # then scrape :9646/metrics

Why a collector over Locust's own statistics, and not a listener on ``events.request``:
``events.request`` fires in the process that sent the request, which in a distributed run is
a worker. Workers send their statistics to the master every 3 s (``WORKER_REPORT_INTERVAL``
in locust/runners.py), and the master adds them into ``environment.stats`` with
``StatsEntry.extend``. Read at scrape time, those statistics are one source that covers
every worker, the same numbers Locust's web UI, CSV and HTML reports show, and cost the
senders nothing per request. In a single process (``LocalRunner``) they are updated on
every request. (Locust's own ``--otel`` histogram is recorded per process, on the
workers, and its Prometheus exporter "is not yet implemented!": locust/opentelemetry.py
in 2.47.0. locust-plugins has no Prometheus listener. loadtest/README.md says more.)

What is exported, per request ``name`` and ``method`` (Locust's ``request_type``):

    locust_requests_total                   every request, failed or not (Locust counts both)
    locust_request_failures_total           the ones the locustfile marked failed
    locust_request_duration_seconds         histogram, demo_app's HTTP buckets
    locust_users{user_class}                users running now (on the master: as reported)
    locust_workers                          workers connected to the master (0 when local)
    locust_scenario_phase{scenario,phase}   1 while the load shape is in that phase

The histogram is built from ``StatsEntry.response_times``, which holds every response time
rounded to about two significant digits (``bucket_response_time`` in locust/stats.py: to
1 ms below 100 ms, 10 ms below 1 s, 100 ms below 10 s, 1 s above). Every bucket bound
here is a multiple of the rounding step at its size, so a response is binned differently
from demo_app's exact histogram only when it lies within half a step of a bound (0.5 ms at
10 ms, 5 ms at 250 ms, 50 ms at 2.5 s).

This module runs inside the Locust image (only loadtest/ is mounted there), so it imports
neither demo_app nor playground, and nothing Locust does not bring: the official image has
no prometheus-client, so loadtest/exposition.py writes the text format. The arithmetic
(buckets, the cap on names) is in loadtest/histogram.py; neither imports Locust, so tests
can import them without gevent's monkey-patching.
"""

import logging
from typing import Any

from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from loadtest.exposition import (
    CONTENT_TYPE,
    Family,
    add_counter,
    add_gauge,
    add_histogram,
    counter,
    gauge,
    histogram,
    render,
)
from loadtest.histogram import histogram_buckets, totals_by_series

logger = logging.getLogger(__name__)

# The port Prometheus' list of default exporter ports gives Locust exporters.
DEFAULT_METRICS_PORT = 9646


def collect(environment: Environment) -> list[Family]:
    """Every family, from the environment's statistics as they are now."""
    labels = ("method", "name")
    requests = counter("locust_requests", "Requests Locust made, failed or not.")
    failures = counter("locust_request_failures", "Requests the locustfile marked failed.")
    duration = histogram(
        "locust_request_duration_seconds",
        "Response time as Locust measured it (request sent to response read), "
        "with demo_app's HTTP buckets.",
    )
    # A snapshot first: a scrape must not iterate a dict the master is extending.
    entries = list(environment.stats.entries.values())
    for key, totals in totals_by_series(entries).items():
        series = dict(zip(labels, key, strict=True))
        add_counter(requests, series, totals.requests)
        add_counter(failures, series, totals.failures)
        add_histogram(
            duration,
            series,
            histogram_buckets(totals.response_times),
            totals.total_response_time_ms / 1000,
        )

    runner = environment.runner
    users = gauge("locust_users", "Users running now, per user class.")
    workers = gauge("locust_workers", "Workers connected to this master.")
    if isinstance(runner, MasterRunner):
        counts = runner.reported_user_classes_count
        add_gauge(workers, {}, runner.worker_count)
    else:
        counts = runner.user_classes_count if runner is not None else {}
        add_gauge(workers, {}, 0)
    for user_class, count in sorted(counts.items()):
        add_gauge(users, {"user_class": user_class}, count)

    phase = gauge(
        "locust_scenario_phase",
        "1 for the scenario phase the load shape is in; no series between tests.",
    )
    shape = environment.shape_class
    current = getattr(shape, "current_phase", None)
    if current is not None:
        scenario = str(getattr(shape, "scenario_name", ""))
        add_gauge(phase, {"scenario": scenario, "phase": current.name}, 1)
    return [requests, failures, duration, users, workers, phase]


def serve(environment: Environment, host: str, port: int) -> Any:
    """Start serving /metrics for this environment; the gevent server, already listening."""
    from gevent.pywsgi import WSGIServer

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") not in ("/metrics", "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found: the metrics are at /metrics\n"]
        body = render(collect(environment)).encode()
        start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [body]

    # gevent's WSGI server, as Locust's own web UI uses: Locust runs everything in gevent
    # greenlets, so a scrape is served between requests without a thread of its own.
    server = WSGIServer((host, port), app, log=None, error_log=logger)
    server.start()
    return server


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    # On the parser itself, not a group: only Locust's parser takes include_in_web_ui (these
    # are settings of the process, not of one test, so the web UI does not offer them).
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=0,
        env_var="LOCUST_METRICS_PORT",
        include_in_web_ui=False,
        help="serve Locust's metrics for Prometheus at :PORT/metrics on the master; 0: off",
    )
    parser.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        env_var="LOCUST_METRICS_HOST",
        include_in_web_ui=False,
        help="the address to serve them on (compose: 0.0.0.0, inside its network)",
    )
    parser.add_argument(
        "--metrics-linger-seconds",
        type=float,
        default=0.0,
        env_var="LOCUST_METRICS_LINGER_SECONDS",
        include_in_web_ui=False,
        help="keep serving this long after the test ends, so a last scrape sees the totals",
    )


@events.init.add_listener
def _start(environment: Environment, **_kwargs: Any) -> None:
    options = environment.parsed_options
    port = getattr(options, "metrics_port", 0)
    # Workers send their numbers to the master; only the master (or a single process) serves.
    if not port or isinstance(environment.runner, WorkerRunner):
        return
    server = serve(environment, options.metrics_host, port)
    logger.info("Prometheus metrics at http://%s:%d/metrics", options.metrics_host, port)
    linger = max(0.0, getattr(options, "metrics_linger_seconds", 0.0))

    def _stop(**_: Any) -> None:
        if linger:
            import gevent

            logger.info("Serving the final metrics for %g s more", linger)
            gevent.sleep(linger)
        server.stop(timeout=1)

    environment.events.quitting.add_listener(_stop)
