"""The report's client-vs-server table: Locust's totals beside demo_app's, route by route."""

import dataclasses
import subprocess
from pathlib import Path

import pytest
import yaml

from playground.scenarios.client_server import (
    Side,
    client_quantile_queries,
    route_rows,
    server_queries,
)
from playground.scenarios.report import build_report, render_markdown
from playground.scenarios.runner import (
    LOOKUP_CLIENT,
    LOOKUP_SERVER,
    client_failure_share,
    lookup_p95,
)

from .test_report import ON_TIME, error_storm_record

CUSTOMER = "/api/v1/customers/{customer_id}"


def sample(value: float, **labels: str) -> dict:
    return {"metric": labels, "value": [0, str(value)]}


ENDPOINTS = [
    {"method": "GET", "name": CUSTOMER, "requests": 90, "failures": 3},
    {"method": "GET", "name": f"{CUSTOMER} (unknown id)", "requests": 10, "failures": 1},
    {"method": "POST", "name": "/api/v1/messages", "requests": 50, "failures": 0},
]
SERVER = {
    "requests": [
        sample(101.4, method="GET", handler=CUSTOMER),
        sample(49.9, method="POST", handler="/api/v1/messages"),
    ],
    # No 5xx series for /messages at all: that is 0 failures, not "unknown".
    "failures": [sample(4.2, method="GET", handler=CUSTOMER)],
    "p50": [sample(0.005, method="GET", handler=CUSTOMER)],
    "p95": [sample(0.0096, method="GET", handler=CUSTOMER)],
    "p99": [sample(float("nan"), method="GET", handler=CUSTOMER)],
}
CLIENT = {"p95": [sample(0.25, method="GET", handler=CUSTOMER)]}


def test_unknown_id_lookups_count_toward_their_route_and_quantiles_are_in_ms() -> None:
    rows = {row.route: row for row in route_rows(ENDPOINTS, SERVER, CLIENT)}
    lookups = rows[CUSTOMER]
    assert (lookups.client.requests, lookups.client.failures) == (100, 4)
    assert lookups.client.failure_share == pytest.approx(0.04)
    assert (lookups.server.requests, lookups.server.failures) == (101.4, 4.2)
    assert (lookups.client.p95_ms, lookups.server.p95_ms) == (250.0, 9.6)
    # NaN (a quantile of no observations) is no number, and a side with no data says so.
    assert lookups.server.p99_ms is None and lookups.client.p50_ms is None
    assert rows["/api/v1/messages"].server.failures == 0.0


def test_a_route_prometheus_has_nothing_for_keeps_its_locust_numbers() -> None:
    (row,) = route_rows(ENDPOINTS[2:], {"requests": []}, {})
    assert row.client.requests == 50
    assert row.server == Side(None, None, None, None, None)
    assert row.server.failure_share is None


def test_the_report_shows_both_ends_in_json_and_markdown() -> None:
    record = dataclasses.replace(
        error_storm_record(ON_TIME), both_ends=route_rows(ENDPOINTS, SERVER, CLIENT)
    )
    report = build_report(record)
    as_json = report.to_dict()["client_vs_server"]
    assert as_json[0]["route"] == CUSTOMER and as_json[0]["client"]["p95_ms"] == 250.0
    markdown = render_markdown(report)
    assert "## The run from both ends: Locust and demo_app" in markdown
    assert f"| GET {CUSTOMER} | 100 / 101.4 | 4.0% / 4.1% | - / 250 / - | 5 / 9.6 / - |" in markdown


def test_without_locust_numbers_the_section_is_left_out() -> None:
    assert "both ends" not in render_markdown(build_report(error_storm_record(ON_TIME)))


@pytest.mark.tools
def test_every_query_parses(tmp_path: Path) -> None:
    promtool = Path(__file__).resolve().parents[3] / ".tools" / "bin" / "promtool"
    if not promtool.is_file():
        pytest.skip("promtool is missing: run `make setup`")
    queries = [
        *server_queries(300).values(),
        *client_quantile_queries(300).values(),
        # timeline.png's Locust lines
        client_failure_share("20s"),
        lookup_p95("locust_request_duration_seconds", LOOKUP_CLIENT, "20s"),
        lookup_p95("http_request_duration_seconds", LOOKUP_SERVER, "20s"),
    ]
    rules = [{"record": f"q:{i}", "expr": expr} for i, expr in enumerate(queries)]
    path = tmp_path / "queries.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "q", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", "--lint=none", path], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
