"""How long a learner waits for an alert: the numbers the labs, the READMEs and the hints give.

Derived from the predictions (predictions.py) for the scenario whose fault raises the alert,
with the configs and fault presets given (live from the APIs, or this repository's files):
never typed by hand. "Fires within" is the latest end of the firing window from the fault
switch; "resolved notified within" the latest end of the resolved-notification window from
the fault's reset, after a fault left on for at least one of the alert's windows.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from loadtest.scenarios import SCENARIOS
from playground.scenarios.lifecycle import Kind
from playground.scenarios.plan import RunOptions, plan_run
from playground.scenarios.predictions import AlertConfig, AlertRule, predict


@dataclass(frozen=True)
class AlertTiming:
    """Seconds a learner waits, at most, in the predictions' worst phase."""

    alert: str
    scenario: str
    fires_within: float
    notified_within: float
    resolved_notified_within: float


def _rule(config: AlertConfig, alert: str, labels: Mapping[str, str]) -> AlertRule | None:
    found = [
        rule
        for rule in config.rules.get(alert, ())
        if all(rule.labels.get(name) == value for name, value in labels.items())
    ]
    return found[0] if len(found) == 1 else None


def alert_timing(
    config: AlertConfig,
    faults: Mapping[str, Any],
    profile: str,
    alert: str,
    **labels: str,
) -> AlertTiming | None:
    """The timing of one alert (``labels`` pick one rule of several with its name), from the
    first scenario whose incident makes it fire; None if none does or it has no model.

    Args:
        config: The alerting configuration (live, or offline_alert_config).
        faults: demo_app's GET /admin/faults answer, for the presets' sizes.
        profile: The alert profile, for the scenario table's defaults.
    """
    rule = _rule(config, alert, labels)
    if rule is None:
        return None
    for scenario in SCENARIOS.values():
        if not scenario.has_incident:
            continue
        plan = plan_run(scenario, config, dict(faults), RunOptions(), profile, set())
        # Left on for a whole window at least, so the window is full of errors at the reset.
        duration = max(plan.incident.duration, rule.window_seconds or 0.0)
        prediction = predict(
            rule, config.intervals(alert), replace(plan.incident, duration=duration)
        )
        windows = prediction.windows if prediction else {}
        if {Kind.FIRING, Kind.NOTIFIED, Kind.RESOLVED_NOTIFIED} <= set(windows):
            resolved = windows[Kind.RESOLVED_NOTIFIED]
            return AlertTiming(
                alert,
                scenario.name,
                windows[Kind.FIRING].latest,
                windows[Kind.NOTIFIED].latest,
                resolved.latest - resolved.since,
            )
    return None


def about(seconds: float) -> str:
    """A wait as a learner reads it: whole seconds up to 2 minutes, then minutes."""
    if seconds <= 120:
        return f"{round(seconds)} s"
    return f"{math.ceil(seconds / 30) / 2:g} min"
