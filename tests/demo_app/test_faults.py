"""demo_app/faults.py: the fault state's rules, the presets, the gauges, sharing through a file."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from demo_app import paths
from demo_app.faults import PRESET_STATES, ROUTE_KEYS, FaultState, FaultStore, matching_preset
from demo_app.labels import PRESETS

from .conftest import sample

CUSTOMER = paths.CUSTOMER


@pytest.mark.parametrize(
    "fields",
    [
        {"http_error_ratio": {"all": 1.5}},
        {"http_error_ratio": {"all": -0.1}},
        {"http_error_ratio": {"/api/v1/unknown": 0.1}},
        {"http_error_ratio": {"/health": 0.1}},
        {"llm_extra_latency_seconds": -1},
        {"llm_extra_latency_seconds": 121},
        {"llm_rate_limit_ratio": 2},
        {"token_inflation_factor": 0.5},
        {"surprise": 1},
    ],
)
def test_bad_fault_values_are_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        FaultState(**fields)


def test_route_keys_are_all_and_the_api_routes() -> None:
    """The RouteKey literal repeats demo_app.paths; this keeps the two in step."""
    expected = ("all", *paths.API_ROUTES)
    assert expected == ROUTE_KEYS


def test_a_route_entry_wins_over_all() -> None:
    state = FaultState(http_error_ratio={"all": 0.3, CUSTOMER: 0.0})
    assert state.http_error_ratio_for(CUSTOMER) == 0.0
    assert state.http_error_ratio_for(paths.MESSAGES) == 0.3
    assert FaultState().http_error_ratio_for(paths.MESSAGES) == 0.0


def test_presets_are_named_and_break_what_their_alerts_watch() -> None:
    assert tuple(PRESET_STATES) == PRESETS
    assert PRESET_STATES["healthy"] == FaultState()
    # HighErrorRate fires above 5 % of 5xx; SlowLLM above a 10 s p95.
    assert PRESET_STATES["error-storm"].http_error_ratio_for(paths.MESSAGES) > 0.05
    assert PRESET_STATES["slow-llm"].llm_extra_latency_seconds > 10
    for name, state in PRESET_STATES.items():
        assert matching_preset(state) == name
    assert matching_preset(FaultState(token_inflation_factor=3)) is None


def test_replacing_the_state_updates_every_gauge() -> None:
    store = FaultStore(seed=1)
    store.replace(
        FaultState(
            http_error_ratio={CUSTOMER: 0.25},
            llm_extra_latency_seconds=3,
            llm_rate_limit_ratio=0.1,
            token_inflation_factor=4,
        )
    )
    assert sample("demo_app_fault_http_error_ratio", route=CUSTOMER) == 0.25
    assert sample("demo_app_fault_http_error_ratio", route="all") == 0
    assert sample("demo_app_fault_llm_extra_latency_seconds") == 3
    assert sample("demo_app_fault_llm_rate_limit_ratio") == 0.1
    assert sample("demo_app_fault_token_inflation_factor") == 4
    assert [sample("demo_app_fault_preset_active", preset=name) for name in PRESETS] == [0, 0, 0]

    store.replace(PRESET_STATES["error-storm"])
    assert sample("demo_app_fault_http_error_ratio", route="all") == 0.3
    assert sample("demo_app_fault_http_error_ratio", route=CUSTOMER) == 0
    assert [sample("demo_app_fault_preset_active", preset=name) for name in PRESETS] == [0, 1, 0]


@pytest.mark.parametrize("ratio, expected", [(0.0, 0.0), (1.0, 1.0), (0.3, 0.3)])
def test_the_dice_fail_the_configured_share(ratio: float, expected: float) -> None:
    store = FaultStore(seed=2)
    store.replace(FaultState(http_error_ratio={"all": ratio}))
    failures = sum(store.should_fail(CUSTOMER) for _ in range(2000))
    assert failures / 2000 == pytest.approx(expected, abs=0.03)


def test_workers_sharing_a_file_see_each_others_changes(tmp_path: Path) -> None:
    shared = tmp_path / "faults.json"
    first, second = FaultStore(1, shared), FaultStore(1, shared)
    first.replace(PRESET_STATES["slow-llm"])
    assert second.current() == PRESET_STATES["slow-llm"]
    second.replace(FaultState(llm_rate_limit_ratio=0.5))
    assert first.current() == FaultState(llm_rate_limit_ratio=0.5)
    # One started later begins with the faults in force, gauges included.
    FaultStore(1, shared)
    assert sample("demo_app_fault_llm_rate_limit_ratio") == 0.5


def test_an_unreadable_shared_file_keeps_the_current_faults(tmp_path: Path) -> None:
    shared = tmp_path / "faults.json"
    store = FaultStore(1, shared)
    store.replace(PRESET_STATES["error-storm"])
    shared.write_text("{not json")
    assert store.current() == PRESET_STATES["error-storm"]
