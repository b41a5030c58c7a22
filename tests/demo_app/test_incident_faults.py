"""The faults the incident game needs, on real ``python -m demo_app`` processes.

Each test switches one fault on through the admin API and shows its effect from outside: the
responses, their timing, and the series on /metrics, as Prometheus would see them.
"""

import threading
import time
from pathlib import Path

import httpx

from demo_app import cardinality_demo, paths
from tests.support.demo_app import ADMIN_HEADERS, ADMIN_TOKEN, Server, poll

LLAMA, MIXTRAL = "llama-3.1-8b-instant", "mixtral-8x7b-32768"


def _put(server: Server, state: dict) -> httpx.Response:
    return httpx.put(f"{server.url}{paths.ADMIN_FAULTS}", json=state, headers=ADMIN_HEADERS)


def _turn(server: Server, model: str) -> httpx.Response:
    body = {"message": "Where is my order?", "model": model}
    return httpx.post(f"{server.url}{paths.MESSAGES}", json=body, timeout=30)


def _customer(server: Server, number: int = 1) -> httpx.Response:
    return httpx.get(f"{server.url}/api/v1/customers/cus_{number:05d}", timeout=30)


def _value(server: Server, name: str, **labels: str) -> float:
    return server.metrics().get((name, tuple(sorted(labels.items()))), 0.0)


def test_rate_limits_on_one_model_fail_only_that_models_turns(start_server) -> None:
    server = start_server(DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN)
    state = {"llm_rate_limit_ratio": 1.0, "llm_models": [MIXTRAL]}
    assert _put(server, state).status_code == 200

    assert [_turn(server, MIXTRAL).status_code for _ in range(3)] == [429] * 3
    assert [_turn(server, LLAMA).status_code for _ in range(3)] == [200] * 3
    errors = "llm_errors_total"
    assert _value(server, errors, model=MIXTRAL, kind="rate_limit") == 3
    assert _value(server, errors, model=LLAMA, kind="rate_limit") == 0
    assert _value(server, "demo_app_fault_llm_model", model=MIXTRAL) == 1
    assert _value(server, "demo_app_fault_llm_model", model=LLAMA) == 0


def test_latency_on_one_model_slows_only_that_models_calls(start_server) -> None:
    # The LLM's own latency is scaled down to nearly nothing; the fault's 2 s is not.
    server = start_server(DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN, DEMO_APP_LLM_LATENCY_SCALE="1")
    assert _put(server, {"llm_extra_latency_seconds": 2.0, "llm_models": [MIXTRAL]}).is_success
    _turn(server, MIXTRAL)
    _turn(server, LLAMA)
    # Two calls per turn: mixtral's take over 2 s, so neither is within 1 s; llama's both are.
    bucket = "llm_call_duration_seconds_bucket"
    assert _value(server, bucket, model=MIXTRAL, le="1.0") == 0
    assert _value(server, bucket, model=LLAMA, le="1.0") == 2


def test_a_blocked_event_loop_stalls_even_the_routes_the_fault_does_not_touch(
    start_server,
) -> None:
    server = start_server(DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN)
    assert _put(server, {"event_loop_block_seconds": 1.0}).is_success
    blocked = threading.Thread(target=_customer, args=(server,))
    blocked.start()
    time.sleep(0.2)  # the lookup is now asleep on the event loop
    started = time.monotonic()
    assert httpx.get(f"{server.url}{paths.HEALTH}", timeout=10).status_code == 200
    waited = time.monotonic() - started
    blocked.join()
    # /health takes no fault and does no work, yet it waited for the blocked lookup.
    assert waited > 0.5
    histogram = "http_request_duration_seconds_bucket"
    labels = {"handler": paths.CUSTOMER, "method": "GET"}
    assert _value(server, histogram, **labels, le="0.5") == 0
    assert _value(server, histogram, **labels, le="+Inf") == 1
    assert _value(server, "demo_app_fault_event_loop_block_seconds") == 1.0

    assert _put(server, {}).is_success
    started = time.monotonic()
    _customer(server)
    assert time.monotonic() - started < 0.5


def test_a_slow_metrics_fault_delays_only_the_scrape(start_server) -> None:
    server = start_server(DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN)
    assert _put(server, {"metrics_extra_latency_seconds": 1.5}).is_success
    started = time.monotonic()
    assert _customer(server).status_code == 200
    assert time.monotonic() - started < 1.0
    started = time.monotonic()
    assert _value(server, "demo_app_fault_metrics_extra_latency_seconds") == 1.5
    assert time.monotonic() - started >= 1.5


def test_a_flapping_fault_comes_and_goes_on_the_wall_clock(start_server) -> None:
    server = start_server(DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN)
    state = {"http_error_ratio": {"all": 1.0}, "shape": {"kind": "flap", "seconds": 2}}
    started_at = _put(server, state).json()["faults"]["shape"]["started_at"]
    assert started_at is not None
    seen: set[tuple[int, float]] = set()

    def both_phases_seen() -> bool:
        status = _customer(server).status_code
        seen.add((status, _value(server, "demo_app_fault_strength")))
        return {(500, 1.0), (200, 0.0)} <= seen

    poll(both_phases_seen, 10, "a 500 while the flap is on and a 200 while it is off")


def test_a_ramp_strengthens_between_scrapes(start_server) -> None:
    server = start_server(DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN)
    assert _put(server, {"llm_extra_latency_seconds": 5, "shape": {"kind": "ramp", "seconds": 3}})
    first = _value(server, "demo_app_fault_strength")
    assert 0.0 <= first < 0.9
    poll(lambda: _value(server, "demo_app_fault_strength") == 1.0, 10, "the ramp's full strength")


def test_a_fault_naming_one_replica_breaks_it_and_spares_the_other(
    start_server, tmp_path: Path
) -> None:
    shared = {"DEMO_APP_ADMIN_TOKEN": ADMIN_TOKEN, "DEMO_APP_FAULTS_FILE": str(tmp_path / "f")}
    replica_a = start_server(DEMO_APP_REPLICA="a", **shared)
    replica_b = start_server(DEMO_APP_REPLICA="b", **shared)
    assert _put(replica_a, {"http_error_ratio": {"all": 1.0}, "replicas": ["b"]}).is_success

    assert {_customer(replica_a, n).status_code for n in range(1, 6)} == {200}
    assert {_customer(replica_b, n).status_code for n in range(1, 6)} == {500}
    assert _value(replica_a, "demo_app_fault_this_replica") == 0
    assert _value(replica_b, "demo_app_fault_this_replica") == 1
    # Each says which replica it is, so a query can tell an `instance` by the name to break.
    assert _value(replica_a, "demo_app_replica_info", replica="a") == 1
    assert _value(replica_b, "demo_app_replica_info", replica="b") == 1


def test_a_cardinality_leak_grows_a_series_per_customer_and_reset_removes_them(
    start_server,
) -> None:
    server = start_server(DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN)
    assert _put(server, {"cardinality_leak": True}).is_success
    for number in range(1, 21):
        _customer(server, number)
    leaked = [key for key in server.metrics() if key[0] == cardinality_demo.METRIC_NAME]
    assert len(leaked) == 20
    assert _value(server, "demo_app_fault_cardinality_leak") == 1
    assert httpx.delete(f"{server.url}{paths.ADMIN_FAULTS}", headers=ADMIN_HEADERS).is_success
    assert not [key for key in server.metrics() if key[0] == cardinality_demo.METRIC_NAME]


def test_a_cardinality_leak_is_refused_with_several_workers(start_server, tmp_path: Path) -> None:
    server = start_server(
        DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN,
        DEMO_APP_WORKERS="2",
        DEMO_APP_MULTIPROC_DIR=str(tmp_path / "multiproc"),
    )
    response = _put(server, {"cardinality_leak": True})
    assert response.status_code == 409
    assert response.json()["error"] == "single_worker_only"
