"""GET /health (liveness) and GET /ready (readiness)."""

import asyncio

import httpx
from fastapi.testclient import TestClient

from tests.support.demo_app import sample


def test_health_is_ok_and_not_recorded(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert sample("http_requests_total", handler="/health", method="GET", status="200") == 0


def test_ready_once_started(client: TestClient) -> None:
    assert client.get("/ready").json() == {"status": "ready"}


def test_not_ready_before_startup(app) -> None:
    """httpx's ASGI transport runs no lifespan: the app has not started."""

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            return await client.get("/ready")

    response = asyncio.run(ask())
    assert response.status_code == 503
    assert response.json()["error"] == "not_ready"


def test_not_ready_after_shutdown(app) -> None:
    with TestClient(app):
        assert app.state.ready
    assert not app.state.ready
