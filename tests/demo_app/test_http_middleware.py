"""demo_app.http_metrics.HttpMetricsMiddleware (DEMO_APP_HTTP_METRICS=lean) labels every
request as the instrumentator's own middleware would, while skipping its per-request route
walk.

The library's PrometheusInstrumentatorMiddleware, configured as demo_app used to configure
it (literal status codes, untemplated requests ignored, demo_app's anchored exclusions), is
stacked on the same application with a hook that writes down what it would record; each
request must then add exactly that to demo_app's series.
"""

import random
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_fastapi_instrumentator import routing as lib_routing
from prometheus_fastapi_instrumentator.metrics import Info
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from demo_app import http_metrics, metrics
from demo_app.http_metrics import HttpMetricsMiddleware
from demo_app.main import create_application
from tests.support.demo_app import ADMIN_HEADERS, make_settings

KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
Labels = tuple[str, str, str]  # (handler, method, status)

# (method, path, JSON body or None): every route, status and excluded or unknown path form.
REQUESTS: list[tuple[str, str, Any]] = [
    ("GET", "/api/v1/customers/cus_00001", None),
    ("GET", "/api/v1/customers/cus_99999", None),
    ("GET", "/api/v1/customers/not-an-id", None),
    ("HEAD", "/api/v1/customers/cus_00001", None),
    ("DELETE", "/api/v1/customers/cus_00001", None),
    ("BREW", "/api/v1/customers/cus_00001", None),
    ("POST", "/api/v1/messages", {"message": "I was billed twice"}),
    ("POST", "/api/v1/messages", {"message": ""}),
    ("POST", "/api/v1/messages", {"message": "x" * 20_000}),
    ("GET", "/api/v1/messages", None),
    ("OPTIONS", "/api/v1/messages", None),
    ("POST", "/api/v1/messages/stream", {"message": "where is my order"}),
    ("GET", "/admin/faults", None),
    ("GET", "/admin/faults", ADMIN_HEADERS),
    ("POST", "/admin/faults/presets/no-such-preset", ADMIN_HEADERS),
    ("POST", "/admin/faults/presets/healthy", ADMIN_HEADERS),
    ("PATCH", "/admin/faults", ADMIN_HEADERS),
    ("GET", "/health", None),
    ("GET", "/ready", None),
    ("GET", "/metrics", None),
    ("GET", "/docs", None),
    ("GET", "/docs/oauth2-redirect", None),
    ("GET", "/redoc", None),
    ("GET", "/openapi.json", None),
    ("POST", "/health", None),
    ("GET", "/healthz", None),
    ("GET", "/boom", None),
    ("GET", "/nowhere", None),
    ("GET", "/api/v1/customers/", None),
    ("GET", "/api/v1/customers/cus_00001/", None),
    ("GET", "//api/v1/customers/cus_00001", None),
    ("GET", "/api/v1/customers/cus_00001/orders", None),
    ("GET", "/API/V1/CUSTOMERS/cus_00001", None),
    ("GET", "/health/", None),
    ("DELETE", "/nowhere", None),
]


def _http_requests_total() -> dict[Labels, float]:
    return {
        (s.labels["handler"], s.labels["method"], s.labels["status"]): s.value
        for family in REGISTRY.collect()
        if family.name == "http_requests"
        for s in family.samples
        if s.name == "http_requests_total"
    }


def _added(before: dict[Labels, float], after: dict[Labels, float]) -> list[Labels]:
    added: list[Labels] = []
    for labels, value in after.items():
        added += [labels] * round(value - before.get(labels, 0.0))
    return sorted(added)


def _duration_sum() -> float:
    return sum(
        s.value
        for family in REGISTRY.collect()
        if family.name == "http_request_duration_seconds"
        for s in family.samples
        if s.name == "http_request_duration_seconds_sum"
    )


def _with_reference(app: FastAPI) -> list[Info]:
    """Stack the library's middleware outside demo_app's; returns what it records."""
    seen: list[Info] = []
    app.add_middleware(
        PrometheusInstrumentatorMiddleware,
        should_group_status_codes=False,
        should_ignore_untemplated=True,
        excluded_handlers=metrics.EXCLUDED_HANDLERS,
        instrumentations=(seen.append,),
        # Its own registry and no gauge: nothing of it reaches demo_app's series.
        registry=CollectorRegistry(),
    )
    return seen


def _send(client: TestClient, method: str, path: str, body: Any) -> None:
    if body is ADMIN_HEADERS:
        client.request(method, path, headers=ADMIN_HEADERS)
    elif body is None:
        client.request(method, path)
    else:
        client.request(method, path, json=body)


def _compare(app: FastAPI, requests: list[tuple[str, str, Any]]) -> int:
    """Send each request; demo_app must record what the library records. Returns how many
    requests were recorded."""
    seen = _with_reference(app)
    recorded = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, body in requests:
            before, sum_before = _http_requests_total(), _duration_sum()
            seen.clear()
            _send(client, method, path, body)
            expected = sorted(
                (
                    info.modified_handler,
                    info.method if info.method in KNOWN_METHODS else "OTHER",
                    info.modified_status,
                )
                for info in seen
            )
            assert _added(before, _http_requests_total()) == expected, (method, path)
            if seen:
                # Timed inside the library's span, to the first byte like it.
                library = seen[0].modified_duration_without_streaming or seen[0].modified_duration
                assert 0 <= _duration_sum() - sum_before <= library + 1e-6, (method, path)
                recorded += 1
    return recorded


def _demo_app_with_extra_routes() -> FastAPI:
    app = create_application(make_settings(DEMO_APP_HTTP_METRICS="lean"))

    @app.get("/healthz")
    async def lookalike() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("an unhandled error, recorded as a 500")

    return app


def test_every_request_is_labelled_as_the_library_labels_it() -> None:
    recorded = _compare(_demo_app_with_extra_routes(), REQUESTS)
    # Both record the API, admin, lookalike and failing routes, and skip the rest.
    assert recorded == 19


def test_random_methods_and_paths_are_labelled_as_the_library_labels_them() -> None:
    rng = random.Random(7)
    methods = [*KNOWN_METHODS, "BREW", "get", "M-SEARCH"]
    stems = ["/api/v1/customers/", "/api/v1/messages", "/admin/faults", "/health", "/x/"]
    requests = [
        (rng.choice(methods), rng.choice(stems) + rng.choice(["", "cus_00002", "a/b", "/"]), None)
        for _ in range(150)
    ]
    assert _compare(create_application(make_settings(DEMO_APP_HTTP_METRICS="lean")), requests) > 0


def test_an_application_with_a_mount_is_labelled_by_the_library_itself() -> None:
    app = create_application(make_settings(DEMO_APP_HTTP_METRICS="lean"))

    async def item(request: Request) -> PlainTextResponse:
        return PlainTextResponse("item")

    app.mount("/sub", Starlette(routes=[Route("/items/{item_id}", item)]))
    requests = [("GET", "/sub/items/1", None), ("GET", "/sub/nothing", None)]
    requests += [("GET", "/api/v1/customers/cus_00001", None)]
    # /sub/nothing matches the mount but none of its routes: neither records it.
    assert _compare(app, requests) == 2


@pytest.fixture
def route_walks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts the library's full route walks done by demo_app's middleware."""
    walks: list[str] = []
    resolve = lib_routing.get_route_name

    def counting(request: Request, should_include_root_path: bool) -> str | None:
        walks.append(request.url.path)
        return resolve(request, should_include_root_path)

    monkeypatch.setattr(http_metrics.lib_routing, "get_route_name", counting)
    yield walks


def test_requests_to_routes_cost_no_route_walk_and_unknown_paths_one(
    route_walks: list[str],
) -> None:
    """The saving itself: a matched request is resolved from the table built once."""
    with TestClient(create_application(make_settings(DEMO_APP_HTTP_METRICS="lean"))) as client:
        for n in range(1, 51):
            assert client.get(f"/api/v1/customers/cus_{n:05d}").status_code == 200
        assert client.delete("/api/v1/customers/cus_00001").status_code == 405
        assert client.get("/health").status_code == 200
        assert route_walks == []
        assert client.get("/nowhere").status_code == 404
    assert route_walks == ["/nowhere"]


def test_a_route_added_after_requests_were_served_is_recorded_under_its_template() -> None:
    app = create_application(make_settings(DEMO_APP_HTTP_METRICS="lean"))
    with TestClient(app) as client:
        assert client.get("/api/v1/customers/cus_00001").status_code == 200

        @app.get("/api/v1/late/{thing}")
        async def late(thing: str) -> dict[str, str]:
            return {"thing": thing}

        before = _http_requests_total()
        assert client.get("/api/v1/late/1").status_code == 200
        assert _added(before, _http_requests_total()) == [("/api/v1/late/{thing}", "GET", "200")]


def _middleware(app: FastAPI) -> HttpMetricsMiddleware:
    layer: Any = app.middleware_stack
    while not isinstance(layer, HttpMetricsMiddleware):
        layer = layer.app
    return layer


def test_the_series_kept_per_middleware_are_only_those_recorded() -> None:
    """Its dict of series is keyed by label values, never by what the client sent."""
    rng = random.Random(3)
    app = create_application(make_settings(DEMO_APP_HTTP_METRICS="lean"))
    with TestClient(app) as client:
        for _ in range(300):
            method = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(6))
            client.request(method, f"/api/v1/customers/cus_{rng.randint(1, 99999):05d}")
            client.get(f"/api/v1/customers/{rng.random()}")
            client.get(f"/{rng.random()}")
    assert set(_middleware(app)._series) == {
        ("OTHER", 405, "/api/v1/customers/{customer_id}"),
        ("GET", 404, "/api/v1/customers/{customer_id}"),
    }


def test_the_instrumentators_middleware_records_by_default_and_lean_is_opt_in() -> None:
    default = create_application(make_settings())
    lean = create_application(make_settings(DEMO_APP_HTTP_METRICS="lean"))

    default_classes = [entry.cls for entry in default.user_middleware]
    lean_classes = [entry.cls for entry in lean.user_middleware]
    assert any(issubclass(c, PrometheusInstrumentatorMiddleware) for c in default_classes)
    assert HttpMetricsMiddleware not in default_classes
    assert HttpMetricsMiddleware in lean_classes
    assert not any(issubclass(c, PrometheusInstrumentatorMiddleware) for c in lean_classes)
