"""The scenario table, and the phase arithmetic the load shape follows.

loadtest.shapes itself is not imported here: importing Locust monkey-patches the whole
test process with gevent. The Locust runs in test_locustfile.py exercise it.
"""

import pytest

from demo_app.labels import PRESETS
from loadtest.scenarios import ALERT_PROFILES, SCENARIOS, PhaseLengths, phase_at, phase_lengths
from playground.cli.plans import offline_plans
from playground.scenarios.predictions import offline_alert_config


def test_a_scenario_with_a_fault_has_the_presets_name() -> None:
    # One name per concept: error-storm is the preset, the scenario and the command.
    for name, scenario in SCENARIOS.items():
        if scenario.preset is not None:
            assert scenario.preset == name
            assert scenario.preset in PRESETS
    assert {"baseline", "error-storm", "slow-llm", "spike", "recovery"} == set(SCENARIOS)


@pytest.mark.parametrize("profile", ALERT_PROFILES)
def test_every_expected_alert_is_a_rule_of_the_profile(profile: str) -> None:
    config = offline_alert_config(profile)
    for scenario in SCENARIOS.values():
        for alert in scenario.expected_alerts:
            assert config.rule(alert) is not None, (scenario.name, alert)


@pytest.mark.parametrize("profile", ALERT_PROFILES)
def test_default_phase_lengths_cover_the_predicted_lifecycle(profile: str) -> None:
    # Locust run without the runner uses the table's lengths: they must be at least what
    # the runner would compute from this repository's rules.
    for name, plan in offline_plans(profile).items():
        table = SCENARIOS[name].lengths[profile]
        for phase in SCENARIOS[name].phases:
            if phase == "warmup":
                continue
            assert getattr(table, phase) >= getattr(plan.lengths, phase), (name, phase)


def test_the_shape_walks_the_phases_and_then_stops() -> None:
    scenario = SCENARIOS["spike"]
    plan = scenario.plan(PhaseLengths(warmup=10, incident=20, recovery=5))
    assert [phase_at(plan, t).name for t in (0, 9.9, 10, 29.9, 30)] == [  # type: ignore[union-attr]
        "warmup",
        "warmup",
        "incident",
        "incident",
        "recovery",
    ]
    assert phase_at(plan, 35) is None


def test_only_the_spike_incident_adds_surge_users() -> None:
    phases = {p.name: p for p in SCENARIOS["spike"].plan(PhaseLengths(10, 20, 5))}
    assert phases["incident"].users == 120
    assert phases["incident"].user_class == "SurgeCustomer"
    assert {phases["warmup"].user_class, phases["recovery"].user_class} == {"SupportCustomer"}
    assert phases["recovery"].users == 10
    storm = {p.name: p for p in SCENARIOS["error-storm"].plan(PhaseLengths(10, 20, 5))}
    assert storm["incident"].preset == "error-storm"
    assert storm["incident"].users == storm["warmup"].users


def test_options_override_the_tables_lengths_only_when_given() -> None:
    scenario = SCENARIOS["error-storm"]
    lengths = phase_lengths(scenario, "lab", {"incident": 12.0, "warmup": 0.0})
    assert lengths.incident == 12.0
    assert lengths.warmup == scenario.lengths["lab"].warmup
