"""GET /api/v1/customers/{customer_id}: deterministic profiles; unknown ids are a JSON 404."""

import pytest
from fastapi.testclient import TestClient

from demo_app.customers import customer_number
from demo_app.main import create_application
from tests.support.demo_app import make_settings


def _get(client: TestClient, customer_id: str):
    return client.get(f"/api/v1/customers/{customer_id}")


def test_a_known_customer_has_a_full_profile(client: TestClient) -> None:
    response = _get(client, "cus_00042")
    assert response.status_code == 200
    profile = response.json()
    assert profile["id"] == "cus_00042"
    assert set(profile) == {
        "id",
        "name",
        "email",
        "plan",
        "country",
        "customer_since",
        "open_tickets",
        "lifetime_value_usd",
    }
    assert profile["plan"] in ("free", "pro", "enterprise")
    assert profile["email"].endswith("@example.com")


def test_profiles_depend_only_on_the_seed_and_the_id() -> None:
    def profiles(seed: int) -> list[dict]:
        with TestClient(create_application(make_settings(DEMO_APP_SEED=seed))) as client:
            return [_get(client, f"cus_{n:05d}").json() for n in (1, 2, 9999)]

    assert profiles(1) == profiles(1)
    assert profiles(1) != profiles(2)
    assert len({profile["name"] + profile["email"] for profile in profiles(1)}) == 3


@pytest.mark.parametrize("customer_id", ["cus_00001", "cus_10000"])
def test_the_first_and_last_ids_exist(client: TestClient, customer_id: str) -> None:
    assert _get(client, customer_id).status_code == 200


@pytest.mark.parametrize(
    "customer_id",
    ["cus_00000", "cus_10001", "cus_99999", "cus_1", "cus_000001", "CUS_00001", "cus_0000a", "42"],
)
def test_other_ids_are_a_json_404(client: TestClient, customer_id: str) -> None:
    response = _get(client, customer_id)
    assert response.status_code == 404
    assert response.json() == {
        "error": "customer_not_found",
        "message": "No such customer. Customer ids run from cus_00001 to cus_10000.",
    }


def test_the_customer_count_comes_from_the_settings() -> None:
    with TestClient(create_application(make_settings(DEMO_APP_CUSTOMER_COUNT=50))) as client:
        assert _get(client, "cus_00050").status_code == 200
        response = _get(client, "cus_00051")
    assert response.status_code == 404
    assert "cus_00050" in response.json()["message"]
    assert customer_number("cus_00050", 50) == 50
    assert customer_number("cus_00050", 49) is None
