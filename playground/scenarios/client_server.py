"""The run seen from both ends: what Locust measured per route, beside what demo_app recorded.

The client's counts are Locust's own final totals (locust_stats.csv: exact, every worker).
Its quantiles, and all of the server's numbers, come from Prometheus over the run's window,
from histograms with the same buckets (loadtest/metrics.py uses demo_app's), so both sides
are interpolated alike. The server's numbers count every request to the route, Locust's and
anyone else's, and increase() extrapolates them to the window's edges: close to Locust's
counts, not equal. Routes are demo_app's handler templates; Locust names a lookup of an
unknown customer "<template> (unknown id)", which belongs to the template's route.

Pure: queries out, rows in. playground/scenarios/runner.py runs the queries.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

QUANTILES = (0.5, 0.95, 0.99)
# The API's routes (health checks, /metrics and the admin API are not user load).
SERVER_ROUTES = 'job="demo_app", handler=~"/api/.*"'
# Locust's request name, folded into demo_app's handler label.
_CLIENT_HANDLER = '"handler", "$1", "name", "([^ ]+).*"'

Route = tuple[str, str]  # (method, handler)


@dataclass(frozen=True)
class Side:
    """One end's numbers for a route; None where that end had none."""

    requests: float | None
    failures: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @property
    def failure_share(self) -> float | None:
        if not self.requests or self.failures is None:
            return None
        return self.failures / self.requests


@dataclass(frozen=True)
class RouteRow:
    """A route's numbers at both ends. ``server.failures`` are 5xx answers."""

    method: str
    route: str
    client: Side
    server: Side


def handler_of(locust_name: str) -> str:
    """demo_app's handler for a Locust request name."""
    return locust_name.split(" (", 1)[0]


def server_queries(window_s: int) -> dict[str, str]:
    """PromQL for the server's side over the last ``window_s`` seconds, by method and handler."""
    window = f"{window_s}s"
    queries = {
        "requests": (
            f"sum by (method, handler) (increase(http_requests_total{{{SERVER_ROUTES}}}[{window}]))"
        ),
        "failures": (
            f"sum by (method, handler) (increase(http_requests_total{{{SERVER_ROUTES}, "
            f'status=~"5.."}}[{window}]))'
        ),
    }
    for q in QUANTILES:
        queries[f"p{round(q * 100)}"] = (
            f"histogram_quantile({q}, sum by (method, handler, le) (increase("
            f"http_request_duration_seconds_bucket{{{SERVER_ROUTES}}}[{window}])))"
        )
    return queries


def client_quantile_queries(window_s: int) -> dict[str, str]:
    """PromQL for the client's quantiles (the `locust` job), by method and handler."""
    window = f"{window_s}s"
    return {
        f"p{round(q * 100)}": (
            f"histogram_quantile({q}, sum by (method, handler, le) (label_replace(increase("
            f'locust_request_duration_seconds_bucket{{job="locust"}}[{window}]), '
            f"{_CLIENT_HANDLER})))"
        )
        for q in QUANTILES
    }


def _by_route(result: Sequence[Mapping[str, Any]]) -> dict[Route, float]:
    values = {}
    for sample in result:
        labels = sample["metric"]
        value = float(sample["value"][1])
        if value == value:  # NaN: a quantile of no observations
            values[labels.get("method", ""), labels.get("handler", "")] = value
    return values


def route_rows(
    locust_endpoints: Sequence[Mapping[str, Any]],
    server_results: Mapping[str, Sequence[Mapping[str, Any]]],
    client_quantile_results: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[RouteRow]:
    """One row per route Locust requested.

    Args:
        locust_endpoints: LocustRun.summary()'s endpoints (method, name, requests, failures).
        server_results: Each of server_queries()'s results, by its key.
        client_quantile_results: Each of client_quantile_queries()'s results (may be empty:
            the Prometheus of a compose stack does not scrape a Locust on this host).
    """
    counts: dict[Route, list[float]] = {}
    for endpoint in locust_endpoints:
        route = (endpoint["method"], handler_of(endpoint["name"]))
        total = counts.setdefault(route, [0.0, 0.0])
        total[0] += endpoint["requests"]
        total[1] += endpoint["failures"]
    server = {key: _by_route(result) for key, result in server_results.items()}
    client = {key: _by_route(result) for key, result in client_quantile_results.items()}

    def quantile(side: Mapping[str, dict[Route, float]], q: float, route: Route) -> float | None:
        value = side.get(f"p{round(q * 100)}", {}).get(route)
        return None if value is None else round(value * 1000, 1)

    rows = []
    for route, (requests, failures) in sorted(counts.items(), key=lambda item: item[0][::-1]):
        server_requests = server.get("requests", {}).get(route)
        server_failures = server.get("failures", {}).get(route, 0.0 if server_requests else None)
        rows.append(
            RouteRow(
                method=route[0],
                route=route[1],
                client=Side(requests, failures, *(quantile(client, q, route) for q in QUANTILES)),
                server=Side(
                    None if server_requests is None else round(server_requests, 1),
                    None if server_failures is None else round(server_failures, 1),
                    *(quantile(server, q, route) for q in QUANTILES),
                ),
            )
        )
    return rows
