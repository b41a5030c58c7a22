"""Lab 5's intentionally bad per-customer metric: off by default, capped at 500 series when on,
gone from /metrics when switched off, and never a way around the admin token or one worker."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from demo_app import cardinality_demo
from demo_app.main import create_application
from tests.support.demo_app import ADMIN_HEADERS, make_settings, scrape

METRIC = "demo_bad_customer_lookups_total"
SWITCH = "/admin/cardinality-demo"


@pytest.fixture(autouse=True)
def _switched_off_after() -> Iterator[None]:
    """Other tests share the process's registry: never leave the bad series behind."""
    yield
    cardinality_demo.switch(False)


def _bad_series(client: TestClient) -> dict[str, float]:
    metrics = scrape(client.get("/metrics").text)
    return {
        dict(labels)["customer_id"]: value
        for (name, labels), value in metrics.items()
        if name == METRIC
    }


def _look_up(client: TestClient, numbers: range) -> None:
    for number in numbers:
        assert client.get(f"/api/v1/customers/cus_{number:05d}").status_code == 200


def test_the_demo_is_off_by_default_and_adds_no_series(client: TestClient) -> None:
    assert make_settings().DEMO_APP_BAD_CARDINALITY_DEMO is False
    _look_up(client, range(1, 101))
    assert _bad_series(client) == {}
    view = client.get(SWITCH, headers=ADMIN_HEADERS).json()
    assert view == {"enabled": False, "metric": METRIC, "series": 0, "max_series": 500}


def test_switched_on_the_series_count_stops_at_the_cap(client: TestClient) -> None:
    response = client.put(SWITCH, json={"enabled": True}, headers=ADMIN_HEADERS)
    assert response.status_code == 200
    assert response.json()["enabled"] is True

    _look_up(client, range(1, 701))
    series = _bad_series(client)
    assert len(series) == 500
    # The first 500 ids became series; the 200 after the cap were answered, not recorded.
    assert set(series) == {f"cus_{n:05d}" for n in range(1, 501)}
    assert client.get(SWITCH, headers=ADMIN_HEADERS).json()["series"] == 500

    # An id already recorded still counts; a new one still does not.
    _look_up(client, range(1, 2))
    _look_up(client, range(9000, 9001))
    series = _bad_series(client)
    assert (len(series), series["cus_00001"]) == (500, 2.0)


def test_unknown_customers_are_never_recorded(client: TestClient) -> None:
    client.put(SWITCH, json={"enabled": True}, headers=ADMIN_HEADERS)
    for customer_id in ("cus_99999", "nobody", "cus_1", "CUS_00001"):
        assert client.get(f"/api/v1/customers/{customer_id}").status_code == 404
    assert _bad_series(client) == {}


def test_switching_off_removes_every_series(client: TestClient) -> None:
    client.put(SWITCH, json={"enabled": True}, headers=ADMIN_HEADERS)
    _look_up(client, range(1, 51))
    assert len(_bad_series(client)) == 50
    response = client.put(SWITCH, json={"enabled": False}, headers=ADMIN_HEADERS)
    assert response.json() == {"enabled": False, "metric": METRIC, "series": 0, "max_series": 500}
    assert _bad_series(client) == {}
    _look_up(client, range(1, 51))
    assert _bad_series(client) == {}


def test_the_setting_switches_it_on_at_start() -> None:
    with TestClient(
        create_application(make_settings(DEMO_APP_BAD_CARDINALITY_DEMO=True))
    ) as client:
        _look_up(client, range(1, 4))
        assert set(_bad_series(client)) == {"cus_00001", "cus_00002", "cus_00003"}


def test_the_switch_needs_the_admin_token_and_a_boolean(client: TestClient) -> None:
    assert client.put(SWITCH, json={"enabled": True}).status_code == 401
    assert client.get(SWITCH).status_code == 401
    for body in ({"enabled": "maybe"}, {}, {"enabled": True, "cap": 10**6}):
        response = client.put(SWITCH, json=body, headers=ADMIN_HEADERS)
        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_error"
    assert cardinality_demo.is_enabled() is False


def test_it_is_refused_with_several_workers() -> None:
    with pytest.raises(ValidationError, match="DEMO_APP_WORKERS=1"):
        make_settings(DEMO_APP_BAD_CARDINALITY_DEMO=True, DEMO_APP_WORKERS=2)
    app = create_application(make_settings(DEMO_APP_WORKERS=2))
    with TestClient(app) as client:
        response = client.put(SWITCH, json={"enabled": True}, headers=ADMIN_HEADERS)
    assert response.status_code == 409
    assert response.json()["error"] == "single_worker_only"
    assert cardinality_demo.is_enabled() is False
