"""Predictions: the rules and intervals read from configs, and the arithmetic of each window.

The bounds for HighErrorRate must equal the ones worked out by hand from prometheus/README.md's
formulas for both profiles (the README's tables are generated from this code, so they cannot
check it), computed here from this repository's rule files, prometheus.yml and
alertmanager.yml (the same code reads a live Prometheus's /api/v1/rules).
"""

import pytest

from playground.scenarios.lifecycle import Kind
from playground.scenarios.predictions import (
    AlertRule,
    Incident,
    Intervals,
    Window,
    burn_model,
    error_ratio,
    judge,
    latency_model,
    model_of,
    offline_alert_config,
    parse_rules,
    predict,
    ratio_model,
    route_intervals,
    scrape_interval,
    surge_model,
    switch_model,
)
from tests.support.alert_rules import renamed_alert

LAB = offline_alert_config("lab")
REALISTIC = offline_alert_config("realistic")


def spans(prediction, relative_to_recovery: bool = False) -> dict[Kind, tuple[float, float]]:
    return {
        kind: (
            round(w.earliest - (w.since if relative_to_recovery else 0), 1),
            round(w.latest - (w.since if relative_to_recovery else 0), 1),
        )
        for kind, w in prediction.windows.items()
    }


def test_rules_are_read_with_window_for_threshold_and_evaluation_interval() -> None:
    rule = LAB.rule("HighErrorRate")
    assert rule is not None
    # The window comes from the recording rule the alert reads (ratio_rate30s -> [30s]).
    assert (rule.window_seconds, rule.for_seconds, rule.threshold) == (30.0, 30.0, 0.05)
    assert rule.evaluation_interval == 5.0
    assert rule.signal == "job:http_request_errors:ratio_rate30s"
    assert REALISTIC.rule("SlowLLM").window_seconds == 300.0  # type: ignore[union-attr]
    assert REALISTIC.rule("SlowLLM").for_seconds == 600.0  # type: ignore[union-attr]


def test_a_name_shared_by_several_rules_has_no_single_rule() -> None:
    # DemoAppErrorBudgetBurn has a fast and a slow burn rule.
    assert len(LAB.rules["DemoAppErrorBudgetBurn"]) == 2
    assert LAB.rule("DemoAppErrorBudgetBurn") is None


def test_windows_are_followed_through_recording_rules() -> None:
    groups = [
        {
            "interval": 15,
            "rules": [
                {"type": "recording", "name": "a:b:rate2m", "query": "rate(x[2m])"},
                {"type": "recording", "name": "a:b:ratio", "query": "a:b:rate2m / rate(y[1m])"},
                {"type": "alerting", "name": "A", "query": "a:b:ratio > 0.5", "duration": 60},
            ],
        }
    ]
    rule = parse_rules(groups)["A"][0]
    assert (rule.window_seconds, rule.threshold, rule.evaluation_interval) == (120.0, 0.5, 15.0)


def test_for_is_waited_in_whole_evaluations() -> None:
    rule = AlertRule("A", "x > 1", 6.0, 5.0, None, 1.0, "x")
    assert rule.for_rounded == 10.0


def test_the_route_of_the_alerts_severity_gives_its_timings() -> None:
    config = """
route:
  receiver: default
  group_wait: 20s
  group_interval: 1m
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      group_wait: 5s
    - match_re: {severity: "warn.*"}
      receiver: chat
"""
    critical = route_intervals(config, {"severity": "critical"}, scrape=5)
    warning = route_intervals(config, {"severity": "warning"}, scrape=5)
    other = route_intervals(config, {"severity": "info"}, scrape=5)
    assert (critical.group_wait, critical.group_interval) == (5.0, 60.0)
    assert (warning.group_wait, warning.group_interval) == (20.0, 60.0)
    assert (other.group_wait, other.group_interval) == (20.0, 60.0)


def test_the_jobs_own_scrape_interval_wins_over_the_global_one() -> None:
    config = """
global: {scrape_interval: 15s}
scrape_configs:
  - job_name: demo_app
    scrape_interval: 2s
  - job_name: other
"""
    assert scrape_interval(config) == 2.0
    assert scrape_interval(config, job="other") == 15.0
    assert scrape_interval("scrape_configs: []") == 60.0  # Prometheus's default


def test_the_error_ratio_fills_and_drains_with_the_window() -> None:
    storm = Incident(history=30, duration=60, http_error_share=0.3)
    assert error_ratio(5, 0.3, 30, storm) == pytest.approx(0.05)
    assert error_ratio(30, 0.3, 30, storm) == pytest.approx(0.3)
    # 25 s after the fault ends, 5 of the window's 30 s are faulty.
    assert error_ratio(85, 0.3, 30, storm) == pytest.approx(0.05)
    # A shorter history makes the first errors count more.
    fresh = Incident(history=0, duration=60, http_error_share=0.3)
    assert error_ratio(1, 0.3, 30, fresh) == pytest.approx(0.3)


@pytest.mark.parametrize(
    ("config", "history", "onset_bounds", "clear_bounds"),
    [
        # Lab, by hand: pending max(5 + 5, 2 x 5) + 5 = 15, firing + 30, notified + 10;
        # after the fault: clear 25 + 10 = 35, + group_interval 30 = 65.
        (
            LAB,
            30,
            {Kind.PENDING: 15.1, Kind.FIRING: 45.0, Kind.NOTIFIED: 55.0},
            {Kind.RESOLVED: 35.0, Kind.RESOLVED_NOTIFIED: 65.0},
        ),
        # Realistic: fill 300 / 6 = 50, pending + 10 = 60, + 300, + 10; after: 250 + 10, + 30.
        (
            REALISTIC,
            60,
            {Kind.PENDING: 60.1, Kind.FIRING: 360.1, Kind.NOTIFIED: 370.1},
            {Kind.RESOLVED: 260.0, Kind.RESOLVED_NOTIFIED: 290.0},
        ),
    ],
)
def test_error_storm_bounds_follow_the_readme_formulas_by_hand(
    config, history, onset_bounds, clear_bounds
) -> None:
    rule = config.rule("HighErrorRate")
    incident = Incident(history=history, duration=600, http_error_share=0.3, preset="error-storm")
    prediction = predict(rule, config.intervals("HighErrorRate"), incident)
    latest = {kind: hi for kind, (_, hi) in spans(prediction).items()}
    after = {kind: hi for kind, (_, hi) in spans(prediction, relative_to_recovery=True).items()}
    for kind, bound in onset_bounds.items():
        assert latest[kind] == bound, kind
    for kind, bound in clear_bounds.items():
        assert after[kind] == bound, kind
    assert latest[Kind.IN_ALERTMANAGER] == latest[Kind.FIRING]


def test_a_short_warmup_lets_the_ratio_cross_sooner_than_a_full_window() -> None:
    rule = REALISTIC.rule("HighErrorRate")
    incident = Incident(history=60, duration=600, http_error_share=0.3)
    pending = predict(rule, REALISTIC.intervals("HighErrorRate"), incident).windows[Kind.PENDING]
    # 5% of (60 s + t) errors at 30%: t = 0.05 * 60 / 0.25 = 12 s; a full 5m window: 50 s.
    assert pending.earliest == pytest.approx(12.0, abs=0.1)
    assert pending.latest == pytest.approx(50 + 5 + 5, abs=0.1)


def test_a_fault_under_the_threshold_predicts_nothing() -> None:
    incident = Incident(history=30, duration=60, http_error_share=0.04)
    assert predict(LAB.rule("HighErrorRate"), LAB.intervals("HighErrorRate"), incident) is None


def test_an_alert_without_for_has_no_pending_window() -> None:
    incident = Incident(history=30, duration=60, preset="error-storm")
    prediction = predict(
        LAB.rule("DemoAppFaultActive"), LAB.intervals("DemoAppFaultActive"), incident
    )
    assert Kind.PENDING not in prediction.windows
    assert spans(prediction)[Kind.FIRING] == (0.0, 10.0)
    assert spans(prediction)[Kind.NOTIFIED] == (10.0, 20.0)


def test_slow_llm_is_bounded_by_the_first_slow_call_and_the_window_flushing() -> None:
    incident = Incident(history=30, duration=120, llm_extra_latency=12.0, preset="slow-llm")
    prediction = predict(LAB.rule("SlowLLM"), LAB.intervals("SlowLLM"), incident)
    got = spans(prediction)
    # A slow call is seen 12 s after it starts; by 30 s every fast call left the window.
    assert got[Kind.PENDING] == (12.0, 40.0)
    assert got[Kind.FIRING] == (72.0, 100.0)
    after = spans(prediction, relative_to_recovery=True)
    # Calls asleep at the recovery end 12 s later; then they leave the 30 s window.
    assert after[Kind.RESOLVED] == (0.0, 52.0)


def test_the_spikes_peak_stays_one_window_after_the_surge() -> None:
    incident = Incident(history=15, duration=60, surge_ramp=2.2)
    prediction = predict(LAB.rule("DemoAppSaturated"), LAB.intervals("DemoAppSaturated"), incident)
    assert spans(prediction)[Kind.PENDING] == (0.0, 12.2)
    assert spans(prediction, relative_to_recovery=True)[Kind.RESOLVED] == (7.0, 22.0)


def test_recovery_only_predicts_the_resolution_from_the_faults_going_off() -> None:
    incident = Incident(history=0, duration=0, http_error_share=0.3, recovery_only=True)
    prediction = predict(LAB.rule("HighErrorRate"), LAB.intervals("HighErrorRate"), incident)
    assert set(prediction.windows) == {Kind.RESOLVED, Kind.RESOLVED_NOTIFIED}
    assert spans(prediction)[Kind.RESOLVED] == (20.0, 35.0)


@pytest.mark.parametrize(
    ("observed", "run_end", "status"),
    [
        (20.0, 100.0, "on time"),
        (10.0, 100.0, "on time"),  # the earliest bound, less the polling slack
        (8.0, 100.0, "early"),
        # The latest bound is 40 s after `since` (10): 15% more is 46, plus 1 s of slack.
        (56.9, 100.0, "on time"),
        (57.5, 100.0, "late"),
        (None, 100.0, "never happened"),
        (None, 30.0, "not reached"),
    ],
)
def test_judge_allows_the_tolerance_on_the_delay_since_the_cause(
    observed: float | None, run_end: float, status: str
) -> None:
    window = Window(earliest=11.0, latest=50.0, since=10.0, why="test")
    verdict = judge(window, observed, run_end, tolerance=0.15, slack=1.0)
    assert verdict.status == status


def test_intervals_of_the_lab_alertmanager_config() -> None:
    assert LAB.intervals("HighErrorRate") == Intervals(
        scrape=5.0, group_wait=10.0, group_interval=30.0
    )


def _fast_burn(config):
    (rule,) = [r for r in config.rules["DemoAppErrorBudgetBurn"] if r.labels["burn"] == "fast"]
    return rule


def test_a_burn_rate_alerts_clauses_are_read_from_its_expression() -> None:
    clauses = [
        (c.window_seconds, c.burn_rate, c.budget) for c in _fast_burn(REALISTIC).burn_clauses
    ]
    assert clauses == [(3600.0, 14.4, 0.001), (300.0, 14.4, 0.001)]
    assert [c.window_seconds for c in _fast_burn(LAB).burn_clauses] == [360.0, 30.0]
    assert REALISTIC.rule("HighErrorRate").burn_clauses == ()


def test_the_fast_burn_holds_once_both_windows_pass_the_threshold() -> None:
    rule = _fast_burn(REALISTIC)
    incident = Incident(history=3600, duration=3600, http_error_share=0.3, preset="error-storm")
    prediction = predict(rule, REALISTIC.intervals("DemoAppErrorBudgetBurn"), incident)
    # With a full hour of healthy traffic, the 1h ratio passes 14.4 x 0.1% when 30% x t / 3600
    # does: t = 172.8 s (the 5m clause passed long before); then + S + E, + `for` 2m.
    assert prediction.windows[Kind.PENDING].earliest == pytest.approx(172.8, abs=0.1)
    firing = prediction.windows[Kind.FIRING]
    assert firing.latest == pytest.approx(172.8 + 5 + 5 + 120, abs=0.2)


def test_a_burn_under_its_threshold_predicts_nothing() -> None:
    rule = _fast_burn(LAB)
    incident = Incident(history=60, duration=600, http_error_share=0.01, preset="custom")
    assert predict(rule, LAB.intervals("DemoAppErrorBudgetBurn"), incident) is None


def test_each_alert_takes_its_model_from_the_metric_its_rule_reads() -> None:
    models = {name: model_of(rules[0]) for name, rules in LAB.rules.items()}
    assert models["HighErrorRate"] is ratio_model
    assert models["SlowLLM"] is latency_model
    assert models["DemoAppSaturated"] is surge_model
    assert models["DemoAppFaultActive"] is switch_model
    assert models["DemoAppErrorBudgetBurn"] is burn_model
    # DemoAppDown reads `up`, the spend alert token counters: no model predicts them.
    assert models["DemoAppDown"] is None
    assert models["DemoAppLLMSpendOverBudget"] is None


def test_a_renamed_alert_keeps_its_prediction_because_no_name_is_typed_in_python() -> None:
    config = renamed_alert("lab", "SlowLLM", "LLMTooSlow")
    rule = config.rule("LLMTooSlow")
    assert rule is not None and config.rule("SlowLLM") is None
    incident = Incident(history=30, duration=120, llm_extra_latency=12.0)
    renamed = predict(rule, config.intervals("LLMTooSlow"), incident)
    original = predict(LAB.rule("SlowLLM"), LAB.intervals("SlowLLM"), incident)  # type: ignore[arg-type]
    assert renamed is not None and original is not None
    assert renamed.windows == original.windows
