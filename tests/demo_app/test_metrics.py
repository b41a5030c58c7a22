"""demo_app/metrics.py: names, label sets and buckets on /metrics, literal status codes,
anchored exclusions, the in-progress gauge, and several applications in one process."""

import math
import re
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.metrics import MetricWrapperBase
from prometheus_fastapi_instrumentator import Instrumentator

from demo_app import metrics
from demo_app.main import create_application
from playground.core.paths import REPO_ROOT
from tests.support.demo_app import ADMIN_HEADERS, make_settings, poll, sample, scrape

CUSTOMER = "/api/v1/customers/{customer_id}"


def documented_metrics(text: str) -> dict[str, tuple[str, set[str]]]:
    """docs/architecture.md's metric table: name -> (type, label names)."""
    table = text.split("Metrics (declared once", 1)[1].split("\n\n", 2)[1]
    metrics = {}
    for row in table.splitlines()[2:]:
        names, kind, labels = (cell.strip() for cell in row.strip("|").split("|"))
        # Label values are given in parentheses, label names before them.
        label_names = set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", labels)))
        for name in re.findall(r"`(\w+)`", names):
            metrics[name] = (kind.split()[0].rstrip(","), label_names)
    return metrics


DOCUMENTED = documented_metrics((REPO_ROOT / "docs" / "architecture.md").read_text())
# name of the sample on /metrics -> label names, as the doc lists them.
EXPECTED_LABELS: dict[str, set[str]] = {
    (f"{name}_bucket" if kind == "histogram" else name): (
        labels | {"le"} if kind == "histogram" else labels
    )
    for name, (kind, labels) in DOCUMENTED.items()
}
# name of the metric family (the parser drops a counter's _total) -> type.
EXPECTED_TYPES = {name.removesuffix("_total"): kind for name, (kind, _) in DOCUMENTED.items()}


def test_the_doc_table_lists_exactly_the_metrics_demo_app_declares() -> None:
    # One source: the table in docs/architecture.md and the declarations in demo_app/metrics.py.
    declared = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            (family,) = value.describe()
            suffix = "_total" if family.type == "counter" else ""
            declared[family.name + suffix] = family.type
    assert declared == {name: kind for name, (kind, _) in DOCUMENTED.items()}
    assert DOCUMENTED["llm_errors_total"] == ("counter", {"model", "kind"})


def _buckets(metrics: dict, name: str, **labels: str) -> list[float]:
    """The `le` bounds of one histogram series, in order."""
    bounds = [
        float(dict(key)["le"])
        for (sample_name, key) in metrics
        if sample_name == f"{name}_bucket"
        and all(dict(key).get(label) == value for label, value in labels.items())
    ]
    return sorted(bounds)


def _one_turn_and_one_lookup(client: TestClient) -> None:
    assert (
        client.post("/api/v1/messages", json={"message": "I was billed twice"}).status_code == 200
    )
    assert client.get("/api/v1/customers/cus_00001").status_code == 200


def test_every_metric_has_its_documented_label_names(client: TestClient) -> None:
    _one_turn_and_one_lookup(client)
    metrics = scrape(client.get("/metrics").text)
    for name, labels in EXPECTED_LABELS.items():
        seen = [set(dict(key)) for sample_name, key in metrics if sample_name == name]
        assert seen, f"{name} is not exported"
        assert all(label_set == labels for label_set in seen), (name, seen)


def test_every_metric_has_its_documented_type(client: TestClient) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    _one_turn_and_one_lookup(client)
    types = {f.name: f.type for f in text_string_to_metric_families(client.get("/metrics").text)}
    for name, kind in EXPECTED_TYPES.items():
        assert types.get(name) == kind, (name, types.get(name))


def test_http_latency_buckets_have_half_a_second_as_a_boundary(client: TestClient) -> None:
    _one_turn_and_one_lookup(client)
    metrics = scrape(client.get("/metrics").text)
    buckets = _buckets(metrics, "http_request_duration_seconds", handler=CUSTOMER, method="GET")
    assert buckets == [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, math.inf]


def test_llm_call_buckets_reach_past_ten_seconds(client: TestClient) -> None:
    metrics = scrape(client.get("/metrics").text)
    buckets = _buckets(metrics, "llm_call_duration_seconds", model="llama-3.1-8b-instant")
    assert buckets == [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 8, 10, 12, 15, 20, 30, 60, math.inf]


def test_agent_turn_buckets_run_from_a_tenth_to_ten_seconds(client: TestClient) -> None:
    metrics = scrape(client.get("/metrics").text)
    buckets = _buckets(metrics, "agent_turn_latency_seconds", agent="responder")
    assert buckets == [0.1, 0.25, 0.5, 1, 2.5, 5, 10, math.inf]


def test_unused_library_defaults_and_created_series_are_not_exported(client: TestClient) -> None:
    _one_turn_and_one_lookup(client)
    names = {name for name, _ in scrape(client.get("/metrics").text)}
    for absent in (
        "http_request_duration_highr_seconds_count",
        "http_request_size_bytes_count",
        "http_response_size_bytes_count",
    ):
        assert absent not in names
    assert not [name for name in names if name.endswith("_created")]


def test_agent_and_llm_series_exist_at_zero_before_any_call(client: TestClient) -> None:
    metrics = scrape(client.get("/metrics").text)
    for model in ("llama-3.1-8b-instant", "mixtral-8x7b-32768"):
        for kind in ("rate_limit", "timeout", "upstream_5xx"):
            assert (("llm_errors_total", (("kind", kind), ("model", model)))) in metrics
        for agent in ("intent_classifier", "responder"):
            key = ("agent_token_usage_total", (("agent", agent), ("model", model)))
            assert key in metrics


def test_status_codes_are_recorded_literally_and_separately(client: TestClient) -> None:
    def count(handler: str, method: str, status: str) -> float:
        return sample("http_requests_total", handler=handler, method=method, status=status)

    cases = [
        ("GET", "/api/v1/customers/cus_00002", None, CUSTOMER, "200"),
        ("GET", "/api/v1/customers/cus_99999", None, CUSTOMER, "404"),
        ("DELETE", "/api/v1/customers/cus_00002", None, CUSTOMER, "405"),
        ("POST", "/api/v1/messages", {"message": ""}, "/api/v1/messages", "422"),
        ("POST", "/api/v1/messages", {"message": "hi"}, "/api/v1/messages", "200"),
        ("GET", "/admin/faults", None, "/admin/faults", "401"),
    ]
    for method, path, body, handler, status in cases:
        before = count(handler, method, status)
        response = client.request(method, path, json=body)
        assert response.status_code == int(status), (path, response.text)
        assert count(handler, method, status) == before + 1

    fault = {"http_error_ratio": {CUSTOMER: 1.0}}
    assert client.put("/admin/faults", json=fault, headers=ADMIN_HEADERS).status_code == 200
    before = count(CUSTOMER, "GET", "500")
    assert client.get("/api/v1/customers/cus_00002").status_code == 500
    assert count(CUSTOMER, "GET", "500") == before + 1

    statuses = {
        dict(key)["status"]
        for name, key in scrape(client.get("/metrics").text)
        if name == "http_requests_total"
    }
    assert {"200", "404", "405", "422", "401", "500"} <= statuses
    assert not [status for status in statuses if not status.isdigit()]


@pytest.mark.parametrize(
    "path",
    ["/health", "/ready", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"],
)
def test_probes_the_scrape_and_the_docs_are_not_recorded(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    assert sample("http_requests_total", handler=path, method="GET", status="200") == 0


@pytest.mark.parametrize(
    "template, path",
    [
        ("/healthz", "/healthz"),
        ("/api/v1/health-check", "/api/v1/health-check"),
        ("/api/v1/metrics/{name}", "/api/v1/metrics/cpu"),
        ("/metrics.json", "/metrics.json"),
        ("/readyz", "/readyz"),
        ("/docs-team", "/docs-team"),
    ],
)
def test_routes_that_only_look_like_excluded_ones_are_recorded(template: str, path: str) -> None:
    app = create_application(make_settings())

    @app.get(template)
    async def lookalike() -> dict[str, str]:
        return {"ok": "yes"}

    before = sample("http_requests_total", handler=template, method="GET", status="200")
    with TestClient(app) as client:
        assert client.get(path).status_code == 200
    assert sample("http_requests_total", handler=template, method="GET", status="200") == before + 1


def test_inprogress_gauge_reads_one_during_a_slow_request_and_zero_after() -> None:
    # 0.01 x 30 s of injected latency: each of the two LLM calls sleeps 0.3 s.
    app = create_application(make_settings(DEMO_APP_LLM_LATENCY_SCALE=0.01))
    with TestClient(app) as client:
        slow = {"llm_extra_latency_seconds": 30.0}
        assert client.put("/admin/faults", json=slow, headers=ADMIN_HEADERS).status_code == 200
        assert sample("http_requests_inprogress") == 0
        results: list[int] = []
        request = threading.Thread(
            target=lambda: results.append(
                client.post("/api/v1/messages", json={"message": "slow"}).status_code
            )
        )
        request.start()
        poll(lambda: sample("http_requests_inprogress") == 1, 5, "the gauge to read 1")
        # A scrape during the request sees it too, and does not count itself.
        metrics = scrape(client.get("/metrics").text)
        assert metrics[("http_requests_inprogress", ())] == 1
        request.join(timeout=10)
        assert results == [200]
    assert sample("http_requests_inprogress") == 0


def test_a_second_application_in_one_process_records_too() -> None:
    labels = {"handler": CUSTOMER, "method": "GET", "status": "200"}
    for _ in range(2):
        with TestClient(create_application(make_settings())) as client:
            before = sample("http_requests_total", **labels)
            assert client.get("/api/v1/customers/cus_00003").status_code == 200
            assert sample("http_requests_total", **labels) == before + 1
            assert sample("http_requests_inprogress") == 0


def test_the_stock_middleware_cannot_share_the_process_with_demo_app() -> None:
    """Why demo_app.metrics subclasses the middleware: the library registers its own
    in-progress gauge per application, and the process already has one."""
    app = FastAPI()

    @app.get("/x")
    async def x() -> dict[str, str]:
        return {}

    Instrumentator(should_instrument_requests_inprogress=True).instrument(app)
    with pytest.raises(ValueError, match="Duplicated"), TestClient(app) as client:
        client.get("/x")


def test_metrics_route_is_not_in_the_openapi_schema(client: TestClient) -> None:
    schema_paths = client.get("/openapi.json").json()["paths"]
    assert "/metrics" not in schema_paths
    assert CUSTOMER in schema_paths


def test_prices_and_budget_are_exported_from_settings() -> None:
    create_application(
        make_settings(
            DEMO_APP_LLM_PRICES_USD_PER_MILLION_TOKENS={"mixtral-8x7b-32768": 0.5},
            DEMO_APP_LLM_HOURLY_BUDGET_USD=2.5,
        )
    )
    assert sample("llm_price_usd_per_token", model="mixtral-8x7b-32768") == pytest.approx(5e-7)
    # A model left out keeps its default price.
    assert sample("llm_price_usd_per_token", model="llama-3.1-8b-instant") == pytest.approx(6.5e-8)
    assert sample("llm_hourly_budget_usd") == 2.5
