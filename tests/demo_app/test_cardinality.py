"""Whatever ids, paths, path forms and methods clients send, /metrics keeps the same series.

Each test first sends one request of every kind it will repeat (a known id, an unknown id...),
since the first 404 on a route is a new, bounded series; then 1,000 random requests must add
none. Each also checks the requests were served, so that recording nothing cannot pass.
"""

import random
import string

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator

from tests.support.demo_app import ADMIN_HEADERS, Series, sample, series_names

CUSTOMER = "/api/v1/customers/{customer_id}"
# Characters a client can put in a path segment. An id never holds "%" or ".", which could
# decode to "/" or form "..": such paths match no route (test_odd_path_forms_add_no_series).
_ID_CHARS = string.ascii_letters + string.digits + "-_~!$&'()*+,;=:@ üé✓"
_SEGMENT_CHARS = _ID_CHARS + "%."
_KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _series(client: TestClient) -> set[Series]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return series_names(response.text)


def _customer_requests() -> float:
    return sum(
        sample("http_requests_total", handler=CUSTOMER, method="GET", status=status)
        for status in ("200", "404")
    )


def _segment(rng: random.Random, alphabet: str = _SEGMENT_CHARS) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))


def test_random_customer_ids_add_no_series(client: TestClient) -> None:
    rng = random.Random(1)
    client.get("/api/v1/customers/cus_00001")
    client.get("/api/v1/customers/nobody")
    before, served = _series(client), _customer_requests()

    for _ in range(1000):
        if rng.random() < 0.5:
            customer_id = f"cus_{rng.randint(1, 10_000):05d}"
        else:
            customer_id = rng.choice([f"cus_{rng.randint(0, 10**9)}", _segment(rng, _ID_CHARS)])
        response = client.get(f"/api/v1/customers/{customer_id}")
        assert response.status_code in (200, 404), (customer_id, response.text)

    assert _series(client) == before
    assert _customer_requests() == served + 1000


def test_random_unknown_paths_add_no_series(client: TestClient) -> None:
    rng = random.Random(2)
    prefixes = ["", "/api", "/api/v1", "/api/v2", "/admin", "/api/v1/messages", "/metrics"]
    before = _series(client)
    for _ in range(1000):
        path = (
            rng.choice(prefixes) + "/" + "/".join(_segment(rng) for _ in range(rng.randint(1, 3)))
        )
        response = client.request(rng.choice(["GET", "POST", "PUT"]), path)
        assert response.status_code in (404, 405), (path, response.status_code)
        assert response.json()["error"] in ("not_found", "method_not_allowed")
    assert _series(client) == before


def test_trailing_slash_ids_are_not_redirected_and_add_no_series(client: TestClient) -> None:
    rng = random.Random(3)
    before = _series(client)
    for _ in range(1000):
        response = client.get(f"/api/v1/customers/cus_{rng.randint(1, 10**6):05d}/")
        # Not a 307 to the slash-less path: with redirect_slashes=False it matches no route.
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"
    assert _series(client) == before


def test_odd_path_forms_add_no_series(client: TestClient) -> None:
    odd = [
        "//api/v1/customers/cus_00001",
        "/api//v1/customers/cus_00001",
        "/api/v1//customers/cus_00001",
        "/api/v1/customers//cus_00001",
        "/api/v1/customers/cus_00001//",
        "/./api/v1/customers/cus_00001",
        "/api/v1/customers/../customers/cus_00001",
        "/API/V1/CUSTOMERS/cus_00001",
        "/api/v1/customers/%2e%2e",
        "/api/v1/customers/cus_00001%2Fextra",
        "/api/v1/customers/%00",
        "/api/v1/customers/" + "x" * 5000,
        "/api/v1/customers/cus_00001;jsessionid=abc",
        "/api/v1/customers/cus_00001?customer_id=cus_00002&x=%00",
        "/api/v1/messages/",
        "/api/v1/messages/stream/",
        "/metrics/",
        "/health/",
        "/admin/faults/",
        "/admin/faults/presets/",
    ]
    for path in odd:  # the first round may add a bounded 404 series on a real route
        client.get(path)
    before = _series(client)
    for _ in range(50):
        for path in odd:
            assert client.get(path).status_code in (200, 404, 405), path
    assert _series(client) == before


def test_random_methods_add_no_series(client: TestClient) -> None:
    rng = random.Random(4)
    paths = ["/api/v1/customers/cus_00001", "/api/v1/messages", "/admin/faults", "/nowhere"]
    for path in paths:  # every known method once, and one unknown token, per route
        for method in (*_KNOWN_METHODS, "BREW"):
            client.request(method, path)
    before = _series(client)
    for _ in range(1000):
        method = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(3, 12)))
        response = client.request(method, rng.choice(paths))
        assert response.status_code in (401, 404, 405), (method, response.status_code)
    assert _series(client) == before
    assert sample("http_requests_total", handler=CUSTOMER, method="OTHER", status="405") > 0


def test_random_preset_names_add_no_series(client: TestClient) -> None:
    rng = random.Random(5)
    client.post("/admin/faults/presets/nope", headers=ADMIN_HEADERS)
    client.post("/admin/faults/presets/nope")
    before = _series(client)
    for _ in range(200):
        headers = ADMIN_HEADERS if rng.random() < 0.5 else {}
        response = client.post(f"/admin/faults/presets/{_segment(rng)}", headers=headers)
        assert response.status_code in (401, 404)
    assert _series(client) == before


def test_instrumentator_8_1_labels_redirectable_paths_with_their_raw_path() -> None:
    """Why demo_app sets redirect_slashes=False: with FastAPI's default (True), the pinned
    instrumentator records each trailing-slash id under its own handler label."""
    app = FastAPI()

    @app.get("/customers/{customer_id}")
    async def customer(customer_id: str) -> dict[str, str]:
        return {"id": customer_id}

    registry = CollectorRegistry()
    Instrumentator(should_ignore_untemplated=True, registry=registry).instrument(app)
    with TestClient(app, follow_redirects=False) as client:
        for number in range(20):
            assert client.get(f"/customers/{number}/").status_code == 307
    handlers = {
        sample.labels["handler"]
        for family in registry.collect()
        if family.name == "http_requests"
        for sample in family.samples
        if "handler" in sample.labels
    }
    assert len(handlers) == 20
