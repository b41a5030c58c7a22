"""plan_run: phase lengths from the predictions, and what each scenario expects."""

import pytest

from demo_app.faults import PRESET_STATES
from loadtest.scenarios import SCENARIOS
from playground.scenarios.lifecycle import Kind
from playground.scenarios.plan import RunOptions, plan_run, replan_recovery
from playground.scenarios.predictions import offline_alert_config

LAB = offline_alert_config("lab")


def faults(active: str = "healthy") -> dict:
    """demo_app's GET /admin/faults answer with one preset in force."""
    return {
        "faults": PRESET_STATES[active].model_dump(),
        "active_preset": active,
        "presets": {name: state.model_dump() for name, state in PRESET_STATES.items()},
    }


def test_the_incident_lasts_until_the_latest_notification_with_the_tolerance() -> None:
    plan = plan_run(SCENARIOS["error-storm"], LAB, faults(), RunOptions(), "lab", set())
    # Notified by 55 s at the latest; 55 * 1.15 + 1.5 s of polling slack + 5 s of margin.
    assert plan.lengths.incident == 70
    # The warmup fills the 30 s window with healthy traffic.
    assert plan.lengths.warmup == 30
    # Resolved notified by 65 s after the recovery: 65 * 1.15 + 1.5 + 5 -> 82.
    assert plan.lengths.recovery == 82
    assert plan.expected == ("HighErrorRate", "DemoAppFaultActive")
    assert plan.incident.http_error_share == 0.3


def test_lengths_the_user_gives_win() -> None:
    options = RunOptions(warmup=10, duration=200, recovery=20)
    plan = plan_run(SCENARIOS["slow-llm"], LAB, faults(), options, "lab", set())
    assert (plan.lengths.warmup, plan.lengths.incident, plan.lengths.recovery) == (10, 200, 20)
    assert plan.incident.llm_extra_latency == 12.0
    # A 200 s incident moves the predicted resolution with it.
    assert plan.predictions["SlowLLM"].windows[Kind.RESOLVED].since == 200


def test_the_spike_predicts_from_the_surges_ramp() -> None:
    plan = plan_run(SCENARIOS["spike"], LAB, faults(), RunOptions(), "lab", set())
    # 110 extra users at 50 a second.
    assert plan.incident.surge_ramp == 2.2
    assert set(plan.predictions) == {"DemoAppSaturated"}


def test_baseline_expects_nothing_and_runs_its_table_length() -> None:
    plan = plan_run(SCENARIOS["baseline"], LAB, faults(), RunOptions(), "lab", set())
    assert plan.expected == ()
    assert plan.lengths.steady == SCENARIOS["baseline"].lengths["lab"].steady


def test_recovery_predicts_only_the_resolution_of_the_alerts_active_at_its_start() -> None:
    active = {"HighErrorRate", "DemoAppFaultActive"}
    plan = plan_run(SCENARIOS["recovery"], LAB, faults("error-storm"), RunOptions(), "lab", active)
    assert plan.expected == ("DemoAppFaultActive", "HighErrorRate")
    for prediction in plan.predictions.values():
        assert set(prediction.windows) == {Kind.RESOLVED, Kind.RESOLVED_NOTIFIED}
    # HighErrorRate is the slowest: resolved notified 65 s after the faults go off.
    assert plan.lengths.recovery == 82


def test_recovery_bounds_an_alert_without_a_model_by_its_window_within_the_table_length() -> None:
    plan = plan_run(
        SCENARIOS["recovery"], LAB, faults(), RunOptions(), "lab", {"DemoAppErrorBudgetBurn"}
    )
    # Two rules share the name; the slow burn's 36m window is the widest.
    resolved = plan.predictions["DemoAppErrorBudgetBurn"].windows[Kind.RESOLVED]
    assert (resolved.earliest, resolved.latest) == (0.0, 2160.0 + 10.0)
    assert plan.lengths.recovery == SCENARIOS["recovery"].lengths["lab"].recovery
    assert any("may take up to" in note for note in plan.notes)


def test_recovery_with_nothing_active_says_there_is_nothing_to_recover_from() -> None:
    plan = plan_run(SCENARIOS["recovery"], LAB, faults(), RunOptions(), "lab", set())
    assert plan.predictions == {}
    assert any("nothing to recover from" in note for note in plan.notes)


def test_replanning_moves_the_resolution_to_the_real_recovery() -> None:
    plan = plan_run(SCENARIOS["error-storm"], LAB, faults(), RunOptions(), "lab", set())
    later = replan_recovery(plan, LAB, plan.lengths.incident + 0.8)
    before = plan.predictions["HighErrorRate"].windows[Kind.RESOLVED]
    after = later.predictions["HighErrorRate"].windows[Kind.RESOLVED]
    assert after.since - before.since == pytest.approx(0.8)
    assert after.latest - before.latest == pytest.approx(0.8)
    assert (
        later.predictions["HighErrorRate"].windows[Kind.PENDING]
        == (plan.predictions["HighErrorRate"].windows[Kind.PENDING])
    )
