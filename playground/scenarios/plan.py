"""A scenario's plan: how long each phase lasts and what each alert should do, and when.

Lengths the user did not give are derived from the predictions (predictions.py): the
incident lasts until the latest predicted notification, and the recovery until the latest
predicted resolved notification, each stretched by the tolerance. Pure: the live
configuration and fault state come in as arguments.
"""

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loadtest.scenarios import SPAWN_RATE, PhaseLengths, Scenario, ScenarioKind
from playground.core.paths import REPO_ROOT
from playground.scenarios.lifecycle import Kind
from playground.scenarios.predictions import (
    AlertConfig,
    Incident,
    Prediction,
    http_error_share,
    predict,
)

RESULTS_DIR = REPO_ROOT / "results"
# Added to every computed phase, so the last transition has happened before it ends.
PHASE_MARGIN_SECONDS = 5.0
# A warmup fills the expected alerts' windows with healthy traffic, within these bounds:
# long enough for a steady request rate, short enough that a 5m window does not mean 5
# minutes of waiting (a partly filled window is part of the predictions).
WARMUP_BOUNDS_SECONDS = (15.0, 60.0)


@dataclass(frozen=True)
class RunOptions:
    """How to run a scenario. Lengths of None are computed from the predictions.

    Args:
        warmup: Seconds of healthy load before the incident.
        duration: Seconds of the incident (or of baseline's and recovery's only phase).
        recovery: Longest recovery, in seconds; it ends sooner once every expected alert
            has been notified as resolved.
        tolerance: Allowed lateness, as a share of the predicted delay. Defaults to 0.15.
        poll_interval: Seconds between polls of the APIs. Defaults to 1.
        progress_every: Seconds between progress lines. Defaults to 10.
        workers: Locust worker processes; 0 runs Locust as one process. Defaults to 0.
        results_root: Where the run's folder is created. Defaults to results/.
        should_end_early: Should the run end once every expected alert was notified as
            resolved? Defaults to True.
    """

    warmup: float | None = None
    duration: float | None = None
    recovery: float | None = None
    tolerance: float = 0.15
    poll_interval: float = 1.0
    progress_every: float = 10.0
    workers: int = 0
    results_root: Path = RESULTS_DIR
    should_end_early: bool = True


@dataclass
class RunPlan:
    """The phases, the incident in numbers, the expected alerts and their predictions."""

    lengths: PhaseLengths
    incident: Incident
    expected: tuple[str, ...]
    predictions: dict[str, Prediction]
    notes: list[str] = field(default_factory=list)


def _ceil(value: float) -> float:
    return float(math.ceil(value))


def polling_slack(options: RunOptions) -> float:
    """Seconds of uncertainty a poll adds to an observed time."""
    return options.poll_interval + 0.5


def _phase_for(latest: float, options: RunOptions) -> float:
    # Long enough for a transition predicted by `latest`, allowed the tolerance, to be seen.
    stretched = latest * (1 + options.tolerance) + polling_slack(options)
    return _ceil(stretched + PHASE_MARGIN_SECONDS)


def _latest(predictions: dict[str, Prediction], kind: Kind, since: bool) -> float | None:
    found = [
        w.latest - (w.since if since else 0.0)
        for p in predictions.values()
        if (w := p.windows.get(kind)) is not None
    ]
    return max(found) if found else None


def plan_run(
    scenario: Scenario,
    config: AlertConfig,
    faults: dict[str, Any],
    options: RunOptions,
    profile: str,
    active_at_start: set[str],
) -> RunPlan:
    """Phase lengths and predictions for one run (pure: everything comes in as arguments).

    Args:
        scenario: The row of the scenario table.
        config: The live alerting configuration.
        faults: demo_app's GET /admin/faults answer (the state now, and every preset).
        options: The user's overrides.
        profile: The alert profile, for the table's default lengths.
        active_at_start: Names of the alerts active in Prometheus before the run.
    """
    defaults = scenario.lengths[profile]  # type: ignore[index]
    notes: list[str] = []
    if not scenario.has_incident:
        if scenario.kind is ScenarioKind.RECOVERY:
            return _plan_recovery(scenario, config, faults, options, defaults, active_at_start)
        steady = options.duration or defaults.steady
        return RunPlan(PhaseLengths(steady=steady), Incident(0.0, steady), (), {}, notes)

    expected = scenario.expected_alerts
    rules = {name: config.rule(name) for name in expected}
    windows = [r.window_seconds for r in rules.values() if r and r.window_seconds]
    low, high = WARMUP_BOUNDS_SECONDS
    warmup = options.warmup or _ceil(min(max(max(windows, default=low), low), high))
    state = faults["presets"].get(scenario.preset, {}) if scenario.preset else {}
    share = http_error_share(state) if state else 0.0
    if share is None:
        notes.append("The preset fails routes differently: no error-ratio prediction.")
    surge = None
    if scenario.incident_users:
        surge = max(0, scenario.incident_users - scenario.users) / SPAWN_RATE

    def incident_of(duration: float) -> Incident:
        return Incident(
            history=warmup,
            duration=duration,
            http_error_share=share or 0.0,
            llm_extra_latency=float(state.get("llm_extra_latency_seconds", 0.0)),
            surge_ramp=surge,
            preset=scenario.preset,
        )

    def predictions_for(incident: Incident) -> dict[str, Prediction]:
        found = {}
        for name, rule in rules.items():
            prediction = rule and predict(rule, config.intervals(name), incident)
            if prediction:
                found[name] = prediction
            else:
                notes.append(f"No prediction for {name}: no model, or its rule is missing.")
        return found

    # The incident lasts until the latest predicted notification, with the tolerance.
    notified = _latest(predictions_for(incident_of(1e6)), Kind.NOTIFIED, since=False)
    incident_seconds = options.duration or (
        _phase_for(notified, options) if notified else defaults.incident
    )
    notes.clear()
    incident = incident_of(incident_seconds)
    predictions = predictions_for(incident)
    resolved = _latest(predictions, Kind.RESOLVED_NOTIFIED, since=True)
    recovery = options.recovery or (
        _phase_for(resolved, options) if resolved else defaults.recovery
    )
    lengths = PhaseLengths(warmup=warmup, incident=incident_seconds, recovery=recovery)
    return RunPlan(lengths, incident, expected, predictions, notes)


def _plan_recovery(
    scenario: Scenario,
    config: AlertConfig,
    faults: dict[str, Any],
    options: RunOptions,
    defaults: PhaseLengths,
    active_at_start: set[str],
) -> RunPlan:
    state = faults.get("faults", {})
    incident = Incident(
        history=0.0,
        duration=0.0,
        http_error_share=http_error_share(state) or 0.0,
        llm_extra_latency=float(state.get("llm_extra_latency_seconds", 0.0)),
        preset=faults.get("active_preset"),
        recovery_only=True,
    )
    notes = []
    if not active_at_start:
        notes.append(
            "No alert was active when the run began: nothing to recover from. Switch a fault "
            "on first (`playground faults preset error-storm`) and wait for its alert."
        )
    predictions = {}
    for name in sorted(active_at_start):
        rule = config.rule(name) or config.widest_rule(name)
        prediction = rule and predict(rule, config.intervals(name), incident)
        if prediction:
            predictions[name] = prediction
        else:
            notes.append(f"No prediction for {name}: Prometheus has no rule of that name.")
    resolved = _latest(predictions, Kind.RESOLVED_NOTIFIED, since=True)
    recovery = options.duration or options.recovery
    if not recovery:
        needed = _phase_for(resolved, options) if resolved else defaults.recovery
        # Bounded by the table's length: an alert with a long window (a slow burn rate's
        # 36m) would otherwise hold the run for most of an hour.
        recovery = min(needed, defaults.recovery)
        if needed > recovery:
            notes.append(
                f"Resolving everything may take up to {needed:g} s; the run stops after "
                f"{recovery:g} s (longer with --duration)."
            )
    return RunPlan(
        PhaseLengths(recovery=recovery),
        incident,
        tuple(sorted(active_at_start)),
        predictions,
        notes,
    )


def replan_recovery(plan: RunPlan, config: AlertConfig, duration: float) -> RunPlan:
    """The same plan, with the resolution predicted from the incident's real length."""
    incident = replace(plan.incident, duration=duration)
    predictions = dict(plan.predictions)
    for name in plan.predictions:
        rule = config.rule(name)
        prediction = rule and predict(rule, config.intervals(name), incident)
        if prediction:
            predictions[name] = prediction
    return replace(plan, incident=incident, predictions=predictions)
