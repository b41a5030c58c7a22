"""demo_app/faults.py: the fault state's rules, the presets, the gauges, sharing through a file."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from demo_app import paths
from demo_app.faults import PRESET_STATES, ROUTE_KEYS, FaultState, FaultStore, matching_preset
from demo_app.labels import PRESETS
from tests.support.demo_app import sample

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


@pytest.mark.parametrize(
    "fields",
    [
        {"llm_models": ["gpt-4"]},
        {"event_loop_block_seconds": 3},
        {"metrics_extra_latency_seconds": -1},
        {"shape": {"kind": "sawtooth"}},
        {"shape": {"kind": "ramp", "seconds": 0}},
    ],
)
def test_bad_values_of_the_newer_faults_are_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        FaultState(**fields)


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_ramp_grows_from_nothing_to_full_strength_over_its_seconds() -> None:
    clock = _Clock(1000.0)
    store = FaultStore(seed=1, clock=clock)
    state = FaultState(llm_extra_latency_seconds=10.0, shape={"kind": "ramp", "seconds": 100})
    assert store.replace(state).shape.started_at == 1000.0
    seen = []
    for now in (1000.0, 1025.0, 1050.0, 1100.0, 1500.0):
        clock.now = now
        seen.append(store.effective().llm_extra_latency_seconds)
    assert seen == [0.0, 2.5, 5.0, 10.0, 10.0]
    store.publish()
    assert sample("demo_app_fault_strength") == 1.0


def test_a_flap_is_on_for_the_first_half_of_each_period_and_off_for_the_second() -> None:
    clock = _Clock(0.0)
    store = FaultStore(seed=1, clock=clock)
    store.replace(FaultState(http_error_ratio={"all": 1.0}, shape={"kind": "flap", "seconds": 60}))
    on = []
    for now in (1.0, 29.0, 31.0, 59.0, 61.0, 95.0):
        clock.now = now
        on.append(store.effective().http_error_ratio_for(CUSTOMER))
    assert on == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]


def test_llm_faults_naming_a_model_leave_the_others_alone() -> None:
    state = FaultState(llm_rate_limit_ratio=1.0, llm_models=["mixtral-8x7b-32768"])
    assert state.hits_model("mixtral-8x7b-32768")
    assert not state.hits_model("llama-3.1-8b-instant")
    assert FaultState().hits_model("llama-3.1-8b-instant")


def test_faults_naming_replicas_leave_the_other_replicas_healthy() -> None:
    state = FaultState(http_error_ratio={"all": 1.0}, replicas=["b"], hidden=True)
    assert state.effective(0.0, "b") == state
    assert state.effective(0.0, "a") == FaultState(hidden=True)


def test_a_hidden_state_is_published_as_the_healthy_one() -> None:
    store = FaultStore(seed=1)
    store.replace(PRESET_STATES["error-storm"].model_copy(update={"hidden": True}))
    assert sample("demo_app_fault_http_error_ratio", route="all") == 0.0
    assert sample("demo_app_fault_preset_active", preset="error-storm") == 0.0
    assert sample("demo_app_fault_preset_active", preset="healthy") == 1.0
    # ...while the fault itself is in force.
    assert store.should_fail(CUSTOMER)
    store.replace(PRESET_STATES["error-storm"])
    assert sample("demo_app_fault_preset_active", preset="error-storm") == 1.0
