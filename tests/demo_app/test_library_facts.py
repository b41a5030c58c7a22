"""What prometheus-fastapi-instrumentator 8.1.0 and prometheus-client really do.

Each test proves one line of /work/shared/design/verified-facts.md against the installed
libraries; the labs (docs/labs/) and drills (docs/drills/) cite these tests as evidence.

Every application here gets its own CollectorRegistry, so the library's default metrics never
touch the global registry that demo_app and the other tests share. The one exception is the
in-progress gauge, which the library always puts in the global registry: it stays off here,
except in the test that shows exactly that.
"""

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, Counter, Histogram, Summary, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics
from prometheus_fastapi_instrumentator import Instrumentator

import demo_app.metrics  # noqa: F401 - registers demo_app's in-progress gauge globally, as in the app

CUSTOMER = "/customers/{customer_id}"


def _app(*paths: str) -> FastAPI:
    """A FastAPI app with one GET route per path, each answering 200, and a failing one."""
    app = FastAPI()
    for path in paths:
        app.add_api_route(path, lambda: {"ok": True}, methods=["GET"])

    @app.get("/fail")
    async def fail() -> None:
        raise RuntimeError("boom")

    return app


def _instrumented(
    *paths: str, instrument: dict[str, Any] | None = None, **options: Any
) -> tuple[FastAPI, CollectorRegistry]:
    registry = CollectorRegistry()
    app = _app(*paths)
    Instrumentator(registry=registry, **options).instrument(app, **(instrument or {}))
    return app, registry


@contextmanager
def _client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _samples(registry: CollectorRegistry, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in registry.collect()
        for sample in family.samples
        if sample.name == name
    ]


def _handlers(registry: CollectorRegistry) -> set[str]:
    return {labels["handler"] for labels, _ in _samples(registry, "http_requests_total")}


def _label_names(registry: CollectorRegistry, name: str) -> set[tuple[str, ...]]:
    return {tuple(sorted(labels)) for labels, _ in _samples(registry, name)}


def _bounds(registry: CollectorRegistry, name: str) -> list[float]:
    return sorted({float(labels["le"]) for labels, _ in _samples(registry, f"{name}_bucket")})


def test_the_constructor_has_no_buckets_argument() -> None:
    with pytest.raises(TypeError, match="buckets"):
        Instrumentator(buckets=[0.1, 0.5, 1, 2.5, 5, 10, 30, 60])  # type: ignore[call-arg]


def test_the_default_latency_histogram_has_buckets_a_tenth_half_and_one_second() -> None:
    app, registry = _instrumented(CUSTOMER)
    with _client(app) as client:
        client.get("/customers/1")
    assert _bounds(registry, "http_request_duration_seconds") == [0.1, 0.5, 1.0, math.inf]
    assert _label_names(registry, "http_request_duration_seconds_bucket") == {
        ("handler", "le", "method")
    }
    # The high-resolution one goes to 60 s but has no labels at all: no per-route quantile.
    highr = _bounds(registry, "http_request_duration_highr_seconds")
    assert (len(highr), highr[0], highr[-2], highr[-1]) == (22, 0.01, 60.0, math.inf)
    assert _label_names(registry, "http_request_duration_highr_seconds_bucket") == {("le",)}


def test_latency_lowr_buckets_of_instrument_set_the_default_histograms_buckets() -> None:
    app, registry = _instrumented(CUSTOMER, instrument={"latency_lowr_buckets": (0.5, 10, 30)})
    with _client(app) as client:
        client.get("/customers/1")
    assert _bounds(registry, "http_request_duration_seconds") == [0.5, 10.0, 30.0, math.inf]


def test_prometheus_client_default_buckets_end_at_ten_seconds() -> None:
    assert Histogram.DEFAULT_BUCKETS[-2:] == (10.0, math.inf)


def test_the_status_label_is_status_literal_when_ungrouped_and_grouped_by_default() -> None:
    for options, expected in (({"should_group_status_codes": False}, "500"), ({}, "5xx")):
        app, registry = _instrumented(**options)
        with _client(app) as client:
            assert client.get("/fail").status_code == 500
        samples = _samples(registry, "http_requests_total")
        assert [labels for labels, _ in samples] == [
            {"handler": "/fail", "method": "GET", "status": expected}
        ]


def test_excluded_handlers_are_unanchored_regex_searches() -> None:
    paths = ("/health", "/healthz", "/api/v1/health-check", "/api/v1/metrics/{name}")
    # The notes' list, as they wrote it.
    app, registry = _instrumented(
        *paths, excluded_handlers=["/metrics", "/health", "/docs", "/openapi.json"]
    )
    with _client(app) as client:
        for path in ("/health", "/healthz", "/api/v1/health-check", "/api/v1/metrics/cpu"):
            assert client.get(path).status_code == 200
        assert client.get("/redoc").status_code == 200
    # Everything that merely contains "/health" or "/metrics" is gone; /redoc is recorded.
    assert _handlers(registry) == {"/redoc"}

    app, registry = _instrumented(*paths, excluded_handlers=["^/health$"])
    with _client(app) as client:
        for path in ("/health", "/healthz", "/api/v1/health-check"):
            client.get(path)
    assert _handlers(registry) == {"/healthz", "/api/v1/health-check"}


def test_a_route_added_after_instrument_is_still_timed() -> None:
    app, registry = _instrumented()
    app.add_api_route("/late", lambda: {"late": True}, methods=["GET"])
    with _client(app) as client:
        assert client.get("/late").status_code == 200
    assert _handlers(registry) == {"/late"}
    assert _samples(registry, "http_request_duration_seconds_count") == [
        ({"handler": "/late", "method": "GET"}, 1.0)
    ]


def test_instrument_after_the_app_has_started_raises_runtime_error() -> None:
    app = _app(CUSTOMER)
    with _client(app) as client:
        client.get("/customers/1")
        started = "Cannot add middleware after an application has started"
        with pytest.raises(RuntimeError, match=started):
            Instrumentator(registry=CollectorRegistry()).instrument(app)


def test_matched_routes_are_always_templated_and_ignore_untemplated_only_drops_unmatched() -> None:
    ids = [f"cus_{n}" for n in range(50)]
    unknown = [f"/nowhere/{n}" for n in range(50)]
    cases = {
        # flag combination -> the handler labels 50 ids and 50 unknown paths produce
        (True, True): {CUSTOMER},
        (False, True): {CUSTOMER, "none"},
        (False, False): {CUSTOMER, *unknown},
    }
    for (ignore, group), expected in cases.items():
        app, registry = _instrumented(
            CUSTOMER, should_ignore_untemplated=ignore, should_group_untemplated=group
        )
        with _client(app) as client:
            for customer_id in ids:
                assert client.get(f"/customers/{customer_id}").status_code == 200
            for path in unknown:
                assert client.get(path).status_code == 404
        assert _handlers(registry) == expected, (ignore, group)


def test_the_inprogress_gauge_ignores_the_registry_argument() -> None:
    # demo_app.metrics (imported above) already holds http_requests_inprogress in the global
    # registry; a private registry does not keep the library from registering a second one.
    app, _ = _instrumented(CUSTOMER, should_instrument_requests_inprogress=True)
    with pytest.raises(ValueError, match="Duplicated timeseries"), TestClient(app) as client:
        client.get("/customers/1")


def test_the_metrics_endpoint_writes_the_text_format_even_when_openmetrics_is_asked() -> None:
    registry = CollectorRegistry()
    latency = Histogram("drill_latency_seconds", "Latency.", registry=registry, buckets=(1, 10))
    latency.observe(0.3, exemplar={"trace_id": "4bf92f3577b34da6"})
    app = _app()
    Instrumentator(registry=registry).instrument(app).expose(app)
    with _client(app) as client:
        response = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("text/plain;")
    # No OpenMetrics end marker, and the exemplar recorded above is dropped.
    assert "# EOF" not in response.text
    assert "drill_latency_seconds_bucket" in response.text
    assert "trace_id" not in response.text


def test_prometheus_client_writes_exemplars_only_in_openmetrics() -> None:
    registry = CollectorRegistry()
    latency = Histogram("drill_latency_seconds", "Latency.", registry=registry, buckets=(1, 10))
    latency.observe(0.3, exemplar={"trace_id": "4bf92f3577b34da6"})
    assert b'trace_id="4bf92f3577b34da6"' in generate_openmetrics(registry)
    assert b"trace_id" not in generate_latest(registry)


def test_a_prometheus_client_summary_exports_no_quantiles() -> None:
    registry = CollectorRegistry()
    summary = Summary("drill_call_seconds", "Calls.", registry=registry)
    for value in (0.1, 0.2, 5.0):
        summary.observe(value)
    names = {
        (sample.name, tuple(sample.labels))
        for family in registry.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    }
    assert names == {("drill_call_seconds_count", ()), ("drill_call_seconds_sum", ())}


def test_prometheus_client_refuses_label_names_it_was_not_declared_with() -> None:
    """The notes say "Prometheus enforces the union"; the client enforces, in the process."""
    counter = Counter(
        "drill_tokens_total", "Tokens.", ("agent", "model"), registry=CollectorRegistry()
    )
    with pytest.raises(ValueError, match="Incorrect label names"):
        counter.labels(agent="responder", customer_id="cus_00042")
    with pytest.raises(ValueError, match="Incorrect label count"):
        counter.labels("responder")
