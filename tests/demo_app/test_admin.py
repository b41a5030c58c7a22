"""/admin/faults: the token, clear 422s and 404s, and each preset changing responses and metrics."""

import pytest
from fastapi.testclient import TestClient

from demo_app.faults import FaultState
from demo_app.main import create_application
from tests.support.demo_app import ADMIN_HEADERS, make_settings, sample

FAULTS = "/admin/faults"
CUSTOMER = "/api/v1/customers/{customer_id}"
MESSAGES = "/api/v1/messages"
PRESETS = ("healthy", "error-storm", "slow-llm")


def _preset(client: TestClient, name: str) -> dict:
    response = client.post(f"{FAULTS}/presets/{name}", headers=ADMIN_HEADERS)
    assert response.status_code == 200, response.text
    return response.json()


def _active_gauges() -> list[float]:
    return [sample("demo_app_fault_preset_active", preset=name) for name in PRESETS]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"Authorization": "Basic dGVzdDp0ZXN0"},
        {"Authorization": "Bearer"},
        {"Authorization": f"{ADMIN_HEADERS['Authorization']}x"},
        {"Authorization": ADMIN_HEADERS["Authorization"][:-1]},
    ],
)
@pytest.mark.parametrize(
    "method, path",
    [("GET", FAULTS), ("PUT", FAULTS), ("DELETE", FAULTS), ("POST", f"{FAULTS}/presets/healthy")],
)
def test_admin_calls_need_the_token(
    client: TestClient, headers: dict, method: str, path: str
) -> None:
    response = client.request(method, path, headers=headers, json={})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_unset_token_is_generated_and_works() -> None:
    app = create_application(make_settings(DEMO_APP_ADMIN_TOKEN=None))
    token = app.state.admin_token
    assert app.state.admin_token_generated and len(token) >= 16
    assert token != create_application(make_settings(DEMO_APP_ADMIN_TOKEN=None)).state.admin_token
    with TestClient(app) as client:
        assert client.get(FAULTS).status_code == 401
        assert client.get(FAULTS, headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize(
    "body, mentions",
    [
        (
            {"http_error_ratio": {"all": 1.5}},
            "body.http_error_ratio.all: Input should be less than or equal to 1",
        ),
        ({"http_error_ratio": {"all": -0.5}}, "greater than or equal to 0"),
        (
            {"llm_extra_latency_seconds": -3},
            "body.llm_extra_latency_seconds: Input should be greater",
        ),
        ({"llm_rate_limit_ratio": 7}, "body.llm_rate_limit_ratio"),
        ({"token_inflation_factor": 0}, "body.token_inflation_factor"),
        ({"http_error_ratio": {"/api/v1/nope": 0.5}}, "'all', '/api/v1/messages'"),
        ({"http_error_ratio": {"/metrics": 0.5}}, "body.http_error_ratio./metrics"),
        ({"http_error_ratio": 0.5}, "body.http_error_ratio: Input should be a valid dictionary"),
        ({"latency": 5}, "body.latency: Extra inputs are not permitted"),
    ],
)
def test_bad_fault_values_get_a_422_that_says_what_is_wrong(
    client: TestClient, body: dict, mentions: str
) -> None:
    response = client.put(FAULTS, json=body, headers=ADMIN_HEADERS)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert mentions in response.json()["message"]


def test_an_unknown_preset_is_a_404_listing_the_presets(client: TestClient) -> None:
    response = client.post(f"{FAULTS}/presets/meltdown", headers=ADMIN_HEADERS)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "unknown_preset"
    assert body["presets"] == list(PRESETS)
    assert "healthy, error-storm, slow-llm" in body["message"]


def test_put_replaces_the_whole_state_and_delete_restores_health(client: TestClient) -> None:
    custom = {"llm_rate_limit_ratio": 0.2, "token_inflation_factor": 3}
    assert client.put(FAULTS, json=custom, headers=ADMIN_HEADERS).json()["active_preset"] is None
    client.put(FAULTS, json={"http_error_ratio": {CUSTOMER: 0.1}}, headers=ADMIN_HEADERS)
    faults = client.get(FAULTS, headers=ADMIN_HEADERS).json()["faults"]
    assert faults == {
        **FaultState().model_dump(mode="json"),
        "http_error_ratio": {CUSTOMER: 0.1},
    }
    assert faults["llm_rate_limit_ratio"] == 0.0
    assert client.delete(FAULTS, headers=ADMIN_HEADERS).json()["active_preset"] == "healthy"
    assert _active_gauges() == [1, 0, 0]


def test_a_put_equal_to_a_preset_activates_it(client: TestClient) -> None:
    body = {"http_error_ratio": {"all": 0.3}}
    assert (
        client.put(FAULTS, json=body, headers=ADMIN_HEADERS).json()["active_preset"]
        == "error-storm"
    )
    assert _active_gauges() == [0, 1, 0]


def test_the_healthy_preset_serves_every_request(client: TestClient) -> None:
    view = _preset(client, "healthy")
    assert view["active_preset"] == "healthy"
    assert _active_gauges() == [1, 0, 0]
    statuses = {client.get(f"/api/v1/customers/cus_{n:05d}").status_code for n in range(1, 201)}
    assert statuses == {200}


def test_error_storm_fails_about_30_percent_of_api_requests_with_a_json_500(
    client: TestClient,
) -> None:
    _preset(client, "error-storm")
    assert _active_gauges() == [0, 1, 0]
    assert sample("demo_app_fault_http_error_ratio", route="all") == 0.3
    before = sample("http_requests_total", handler=CUSTOMER, method="GET", status="500")
    responses = [client.get(f"/api/v1/customers/cus_{n:05d}") for n in range(1, 401)]
    failed = [response for response in responses if response.status_code == 500]
    assert 0.2 < len(failed) / 400 < 0.4
    assert {response.json()["error"] for response in failed} == {"injected_fault"}
    assert "http_error_ratio" in failed[0].json()["message"]
    after = sample("http_requests_total", handler=CUSTOMER, method="GET", status="500")
    assert after - before == len(failed)


def test_injected_errors_never_touch_probes_metrics_or_admin(client: TestClient) -> None:
    every_api_route = {"http_error_ratio": {"all": 1.0}}
    assert client.put(FAULTS, json=every_api_route, headers=ADMIN_HEADERS).status_code == 200
    for _ in range(20):
        assert client.get("/api/v1/customers/cus_00001").status_code == 500
        assert client.post(MESSAGES, json={"message": "hi"}).status_code == 500
        assert client.post(f"{MESSAGES}/stream", json={"message": "hi"}).status_code == 500
        assert client.get("/health").status_code == 200
        assert client.get("/ready").status_code == 200
        assert client.get("/metrics").status_code == 200
        assert client.get(FAULTS, headers=ADMIN_HEADERS).status_code == 200


def test_a_route_ratio_breaks_only_that_route(client: TestClient) -> None:
    body = {"http_error_ratio": {CUSTOMER: 1.0}}
    assert client.put(FAULTS, json=body, headers=ADMIN_HEADERS).status_code == 200
    assert sample("demo_app_fault_http_error_ratio", route=CUSTOMER) == 1.0
    assert client.get("/api/v1/customers/cus_00001").status_code == 500
    assert client.post(MESSAGES, json={"message": "hi"}).status_code == 200


def test_slow_llm_adds_its_latency_to_every_llm_call() -> None:
    # At 1/100 of real time the preset's 12 s become 0.12 s per call.
    app = create_application(make_settings(DEMO_APP_LLM_LATENCY_SCALE=0.01))
    model = "llama-3.1-8b-instant"
    with TestClient(app) as client:
        _preset(client, "slow-llm")
        assert _active_gauges() == [0, 0, 1]
        assert sample("demo_app_fault_llm_extra_latency_seconds") == 12
        fast_before = sample("llm_call_duration_seconds_bucket", model=model, le="0.1")
        calls_before = sample("llm_call_duration_seconds_count", model=model)
        body = client.post(MESSAGES, json={"message": "hi"}).json()
    assert body["timings"]["intent_classifier_seconds"] >= 0.12
    assert body["timings"]["responder_seconds"] >= 0.12
    assert sample("llm_call_duration_seconds_count", model=model) == calls_before + 2
    assert sample("llm_call_duration_seconds_bucket", model=model, le="0.1") == fast_before


def test_llm_rate_limit_faults_answer_429_and_count_llm_errors(client: TestClient) -> None:
    body = {"llm_rate_limit_ratio": 1.0}
    assert client.put(FAULTS, json=body, headers=ADMIN_HEADERS).status_code == 200
    assert sample("demo_app_fault_llm_rate_limit_ratio") == 1.0
    before = sample("llm_errors_total", model="mixtral-8x7b-32768", kind="rate_limit")
    for _ in range(5):
        response = client.post(MESSAGES, json={"message": "hi", "model": "mixtral-8x7b-32768"})
        assert response.status_code == 429
        assert response.json()["error"] == "llm_rate_limit"
        assert response.headers["retry-after"] == "1"
    assert sample("llm_errors_total", model="mixtral-8x7b-32768", kind="rate_limit") == before + 5


def test_token_inflation_multiplies_reported_and_counted_tokens() -> None:
    """Two apps with the same seed answer the same; one of them inflates by 4."""
    usages, counted = [], []
    for factor in (1, 4):
        with TestClient(create_application(make_settings(DEMO_APP_SEED=5))) as client:
            fault = {"token_inflation_factor": factor}
            assert client.put(FAULTS, json=fault, headers=ADMIN_HEADERS).status_code == 200
            assert sample("demo_app_fault_token_inflation_factor") == factor
            before = sample(
                "llm_tokens_used_total", model="llama-3.1-8b-instant", agent="responder"
            )
            usages.append(client.post(MESSAGES, json={"message": "hello"}).json()["usage"])
            after = sample("llm_tokens_used_total", model="llama-3.1-8b-instant", agent="responder")
            counted.append(after - before)
    plain, inflated = usages
    assert inflated["prompt_tokens"] == 4 * plain["prompt_tokens"]
    assert inflated["completion_tokens"] == 4 * plain["completion_tokens"]
    assert counted[1] == 4 * counted[0] > 0


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"http_error_ratio": "lots"}', b"\xff"],
    ids=["malformed", "wrong", "bytes"],
)
def test_the_token_is_checked_before_the_body_is_read(client: TestClient, body: bytes) -> None:
    json_type = {"content-type": "application/json"}

    without_token = client.put(FAULTS, content=body, headers=json_type)
    with_token = client.put(FAULTS, content=body, headers={**json_type, **ADMIN_HEADERS})

    assert without_token.status_code == 401
    assert without_token.json()["error"] == "unauthorized"
    # The body is looked at only once the token is right.
    assert with_token.status_code in (400, 422)
