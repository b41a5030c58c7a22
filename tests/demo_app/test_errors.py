"""demo_app/errors.py: one JSON shape for unknown routes, wrong methods and real bugs."""

import pytest
from fastapi.testclient import TestClient

from demo_app.main import create_application
from tests.support.demo_app import make_settings, sample


def test_an_unknown_route_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/orders/17")
    assert response.status_code == 404
    assert response.json() == {
        "error": "not_found",
        "message": "No route matches GET /api/v1/orders/17. The API is described at /docs.",
    }


def test_a_long_path_is_cut_in_the_message(client: TestClient) -> None:
    message = client.get("/" + "x" * 5000).json()["message"]
    assert len(message) < 300


def test_a_wrong_method_is_a_json_405_with_allow(client: TestClient) -> None:
    response = client.put("/api/v1/messages", json={"message": "hi"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"
    assert "Allowed: POST" in response.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/admin/faults", "DELETE, GET, PUT"),
        ("PATCH", "/admin/faults", "DELETE, GET, PUT"),
        ("GET", "/admin/faults/presets/healthy", "POST"),
        ("POST", "/health", "GET"),
    ],
)
def test_a_405_allows_every_method_of_every_route_on_the_path(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)

    assert response.status_code == 405
    assert response.headers["allow"] == allowed
    assert f"Allowed: {allowed}." in response.json()["message"]


def test_an_unhandled_exception_is_a_json_500_and_recorded() -> None:
    app = create_application(make_settings())

    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    before = sample("http_requests_total", handler="/api/v1/boom", method="GET", status="500")
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "Something went wrong on our side.",
    }
    after = sample("http_requests_total", handler="/api/v1/boom", method="GET", status="500")
    assert after == before + 1
