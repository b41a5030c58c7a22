"""Hidden means hidden: while an incident game runs, no surface of demo_app gives the fault away.

On real processes (two workers sharing the state, as `python -m demo_app` runs them): the
demo_app_fault_* gauges read exactly as when healthy (so DemoAppFaultActive, which reads
demo_app_fault_preset_active, cannot fire), the admin API refuses to show the state, the
failures the fault causes answer like natural ones, and the log does not print the state.
The fault itself is in force all along.
"""

import time
from pathlib import Path

import httpx

from demo_app import paths
from tests.support.demo_app import ADMIN_HEADERS, ADMIN_TOKEN, Server

MIXTRAL = "mixtral-8x7b-32768"
RAMP_SECONDS = 1.0
# Every kind of fault at once, each with a telling value.
SECRET_STATE = {
    "http_error_ratio": {paths.CUSTOMER: 1.0},
    "llm_rate_limit_ratio": 1.0,
    "llm_models": [MIXTRAL],
    "token_inflation_factor": 7.25,
    "metrics_extra_latency_seconds": 0.2,
    "shape": {"kind": "ramp", "seconds": RAMP_SECONDS},
    "hidden": True,
}
TELLING_WORDS = ("inject", "fault", "http_error_ratio", "7.25", "ramp")


def _fault_series(server: Server) -> dict:
    return {
        key: value
        for key, value in server.metrics().items()
        if key[0].startswith("demo_app_fault_")
    }


def _start(start_server, tmp_path: Path) -> Server:
    return start_server(
        DEMO_APP_ADMIN_TOKEN=ADMIN_TOKEN,
        DEMO_APP_WORKERS="2",
        DEMO_APP_MULTIPROC_DIR=str(tmp_path / "multiproc"),
    )


def test_a_hidden_fault_acts_but_shows_on_no_surface(start_server, tmp_path: Path) -> None:
    server = _start(start_server, tmp_path)
    healthy = _fault_series(server)
    assert healthy, "no demo_app_fault_* series to compare"
    assert httpx.put(f"{server.url}{paths.ADMIN_FAULTS}", json=SECRET_STATE, headers=ADMIN_HEADERS)
    time.sleep(RAMP_SECONDS)  # the ramp reaches full strength

    # The fault is in force: customer lookups fail, mixtral turns are rate limited.
    lookups = [httpx.get(f"{server.url}/api/v1/customers/cus_{n:05d}") for n in range(1, 11)]
    assert {response.status_code for response in lookups} == {500}
    turn = httpx.post(
        f"{server.url}{paths.MESSAGES}", json={"message": "hi", "model": MIXTRAL}, timeout=30
    )
    assert turn.status_code == 429

    # ...and nothing says so. Several scrapes, so that both workers answer some.
    for _ in range(6):
        assert _fault_series(server) == healthy
    for path in (paths.ADMIN_FAULTS, paths.ADMIN_CARDINALITY_DEMO):
        response = httpx.get(f"{server.url}{path}", headers=ADMIN_HEADERS)
        assert response.status_code == 403, path
        assert response.json()["error"] == "faults_hidden"
        assert "7.25" not in response.text
    for body in [response.text for response in lookups] + [turn.text]:
        assert not any(word in body for word in TELLING_WORDS), body
    assert lookups[0].json() == {
        "error": "internal_error",
        "message": "Something went wrong on our side.",
    }
    log = server.log()
    assert "hidden" in log
    assert not any(word in log for word in ("inject", "http_error_ratio", "7.25")), log


def test_resetting_a_hidden_fault_reveals_the_admin_api_again(start_server, tmp_path: Path) -> None:
    server = _start(start_server, tmp_path)
    assert httpx.put(f"{server.url}{paths.ADMIN_FAULTS}", json=SECRET_STATE, headers=ADMIN_HEADERS)
    assert httpx.get(f"{server.url}{paths.ADMIN_FAULTS}", headers=ADMIN_HEADERS).status_code == 403
    assert httpx.delete(f"{server.url}{paths.ADMIN_FAULTS}", headers=ADMIN_HEADERS).is_success
    shown = httpx.get(f"{server.url}{paths.ADMIN_FAULTS}", headers=ADMIN_HEADERS)
    assert shown.status_code == 200
    assert shown.json()["active_preset"] == "healthy"


def test_the_same_fault_unhidden_does_show(start_server, tmp_path: Path) -> None:
    """The control: without `hidden` every surface above does give the fault away."""
    server = _start(start_server, tmp_path)
    healthy = _fault_series(server)
    visible = {**SECRET_STATE, "hidden": False}
    assert httpx.put(f"{server.url}{paths.ADMIN_FAULTS}", json=visible, headers=ADMIN_HEADERS)
    time.sleep(RAMP_SECONDS)
    assert _fault_series(server) != healthy
    lookup = httpx.get(f"{server.url}/api/v1/customers/cus_00001")
    assert lookup.json()["error"] == "injected_fault"
    shown = httpx.get(f"{server.url}{paths.ADMIN_FAULTS}", headers=ADMIN_HEADERS)
    assert shown.json()["faults"]["token_inflation_factor"] == 7.25
