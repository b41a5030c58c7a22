"""The waits the labs and docs give come from the predictions, so a config change moves them."""

from dataclasses import replace

from demo_app.faults import PRESET_STATES
from playground.scenarios.lifecycle import Kind
from playground.scenarios.predictions import Incident, offline_alert_config, predict
from playground.scenarios.timings import about, alert_timing

FAULTS = {
    "faults": PRESET_STATES["healthy"].model_dump(),
    "active_preset": "healthy",
    "presets": {name: state.model_dump() for name, state in PRESET_STATES.items()},
}
LAB = offline_alert_config("lab")


def test_an_alerts_timing_is_its_scenarios_predicted_latest_bounds() -> None:
    timing = alert_timing(LAB, FAULTS, "lab", "HighErrorRate")
    assert timing is not None and timing.scenario == "error-storm"
    rule = LAB.rule("HighErrorRate")
    # Left on for at least a window, as the timing assumes; then the same arithmetic.
    incident = Incident(history=30, duration=75, http_error_share=0.3, preset="error-storm")
    windows = predict(rule, LAB.intervals("HighErrorRate"), incident).windows
    assert timing.fires_within == windows[Kind.FIRING].latest
    resolved = windows[Kind.RESOLVED_NOTIFIED]
    assert timing.resolved_notified_within == resolved.latest - resolved.since


def test_a_longer_for_moves_the_timing() -> None:
    # The number a learner reads follows the rule: make `for` 60 s longer and it moves by 60 s.
    before = alert_timing(LAB, FAULTS, "lab", "HighErrorRate")
    rules = dict(LAB.rules)
    (rule,) = rules["HighErrorRate"]
    rules["HighErrorRate"] = (replace(rule, for_seconds=rule.for_seconds + 60),)
    after = alert_timing(replace(LAB, rules=rules), FAULTS, "lab", "HighErrorRate")
    assert before is not None and after is not None
    assert after.fires_within - before.fires_within == 60


def test_labels_pick_one_of_several_rules_with_the_same_name() -> None:
    assert alert_timing(LAB, FAULTS, "lab", "DemoAppErrorBudgetBurn") is None
    fast = alert_timing(LAB, FAULTS, "lab", "DemoAppErrorBudgetBurn", burn="fast")
    assert fast is not None and fast.scenario == "error-storm"


def test_waits_read_as_seconds_then_half_minutes() -> None:
    assert [about(s) for s in (45.2, 120.0, 121.0, 390.0)] == [
        "45 s",
        "120 s",
        "2.5 min",
        "6.5 min",
    ]
