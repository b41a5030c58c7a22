"""The thresholds drawn on panels are the thresholds in the alert rules.

Each number is read from the rules (prometheus/rules/<profile>/*.yml): HighErrorRate's 5%,
SlowLLM's 10 s, DemoAppSaturated's 50, each burn-rate alert's factor and budget, the latency
SLO's 0.5 s bucket. A panel that draws a line or colours a value at a threshold must draw
exactly that number, and the panels that mirror an alert's input must read the records the
alert reads, in either profile. Editing a number in the rules without the dashboards (or
the other way round) fails `threshold_problems`, which the tests below prove on modified
copies.
"""

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support import grafana
from tests.support.rules import load_rules, rules_dir

RED = "playground-service-red"
LLM = "playground-llm"
SLO = "playground-slo"
LOAD = "playground-load-test"
ERROR_RATIO = (RED, "Error ratio (5xx share)")
LATENCY = (RED, "Latency p50 / p95 / p99 by handler")
IN_FLIGHT = (RED, "Requests in flight")
LLM_P95 = (LLM, "LLM call duration p95 by model")
LLM_COST = (LLM, "Estimated LLM cost per hour")
AVAILABILITY_SLI = (SLO, "Availability SLI (selected range)")
AVAILABILITY_BUDGET = (SLO, "Availability error budget remaining (selected range)")
LATENCY_SLI = (SLO, "Latency SLI: share within 0.5 s (selected range)")
LATENCY_BUDGET = (SLO, "Latency error budget remaining (selected range)")
AVAILABILITY_SERIES = (SLO, "Availability SLI vs objective")
LATENCY_SERIES = (SLO, "Latency SLI vs objective")
CLIENT_VS_SERVER_LATENCY = (
    LOAD,
    "Latency p50 / p95 / p99, client vs server: GET /api/v1/customers/{customer_id}",
)
CLIENT_VS_SERVER_FAILURES = (
    LOAD,
    "Failure ratio: what Locust marked failed vs what demo_app answered 5xx",
)
USERS_VS_IN_FLIGHT = (LOAD, "Locust users vs requests in flight inside demo_app")
# Burn-rate panels: (panel, alert name, its `burn` label).
BURN_PANELS = [
    (
        (SLO, "Availability burn rate, fast pair (1h & 5m; lab 6m & 30s)"),
        "DemoAppErrorBudgetBurn",
        "fast",
    ),
    (
        (SLO, "Availability burn rate, slow pair (6h & 30m; lab 36m & 3m)"),
        "DemoAppErrorBudgetBurn",
        "slow",
    ),
    (
        (SLO, "Latency burn rate, fast pair (1h & 5m; lab 6m & 30s)"),
        "DemoAppLatencyBudgetBurn",
        "fast",
    ),
    (
        (SLO, "Latency burn rate, slow pair (6h & 30m; lab 36m & 3m)"),
        "DemoAppLatencyBudgetBurn",
        "slow",
    ),
]
# Queries that show an alert's own input, read from the same records: (panel, refId) → alert.
MIRRORS = {
    (ERROR_RATIO, "B"): ("HighErrorRate", None),
    (LLM_P95, "B"): ("SlowLLM", None),
    (LLM_COST, "C"): ("DemoAppLLMSpendOverBudget", None),
    (AVAILABILITY_SERIES, "A"): ("DemoAppErrorBudgetBurn", "fast"),
    (LATENCY_SERIES, "A"): ("DemoAppLatencyBudgetBurn", "fast"),
    **{(panel, "A"): (alert, burn) for panel, alert, burn in BURN_PANELS},
}

# `> 0.05`, `> 10`, `> (14.4 * 0.001)`: the first comparison with a number in an expression.
_COMPARISON = re.compile(r">\s*\(?\s*(\d+(?:\.\d+)?)(?:\s*\*\s*(\d+(?:\.\d+)?))?")
_RECORD_NAME = re.compile(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b")
_SLO_BUCKET = re.compile(r'le="([0-9.]+)"')
_DIVISOR = re.compile(r"/\s*(\d+(?:\.\d+)?)\s*$")


class Rules:
    """The numbers and records of one alert profile's rules."""

    def __init__(self, rules: list[dict[str, Any]]) -> None:
        self.rules = rules
        self.records = {rule["record"] for rule in rules if "record" in rule}

    def alert(self, name: str, burn: str | None = None) -> dict[str, Any]:
        found = [
            rule
            for rule in self.rules
            if rule.get("alert") == name and rule.get("labels", {}).get("burn") == burn
        ]
        assert len(found) == 1, f"{name} burn={burn}: {len(found)} rules"
        return found[0]

    def comparison(self, name: str, burn: str | None = None) -> tuple[float, float | None]:
        """(threshold, multiplier) of the alert's first numeric comparison."""
        match = _COMPARISON.search(self.alert(name, burn)["expr"])
        assert match, f"{name}: no numeric comparison"
        return float(match[1]), float(match[2]) if match[2] else None

    def threshold(self, name: str) -> float:
        return self.comparison(name)[0]

    def burn(self, name: str, burn: str) -> tuple[float, float]:
        """(burn-rate factor, error budget) of a burn-rate alert."""
        factor, budget = self.comparison(name, burn)
        assert budget is not None, f"{name} {burn}: not `factor * budget`"
        return factor, budget

    def records_read(self, name: str, burn: str | None = None) -> set[str]:
        return set(_RECORD_NAME.findall(self.alert(name, burn)["expr"])) & self.records

    def latency_bound(self) -> str:
        """The `le` bucket the latency SLI counts as fast (one value across its records)."""
        bounds = {
            bound
            for rule in self.rules
            if rule.get("record", "").startswith("handler:http_requests_slow:")
            for bound in _SLO_BUCKET.findall(rule["expr"])
        }
        assert len(bounds) == 1, bounds
        return bounds.pop()

    def expected_thresholds(self) -> dict[tuple[str, str], list[float]]:
        """The thresholds each panel must draw, from these rules."""
        availability = 1 - self.burn("DemoAppErrorBudgetBurn", "fast")[1]
        latency = 1 - self.burn("DemoAppLatencyBudgetBurn", "fast")[1]
        expected = {
            ERROR_RATIO: [self.threshold("HighErrorRate")],
            LATENCY: [float(self.latency_bound())],
            IN_FLIGHT: [self.threshold("DemoAppSaturated")],
            CLIENT_VS_SERVER_LATENCY: [float(self.latency_bound())],
            CLIENT_VS_SERVER_FAILURES: [self.threshold("HighErrorRate")],
            USERS_VS_IN_FLIGHT: [self.threshold("DemoAppSaturated")],
            LLM_P95: [self.threshold("SlowLLM")],
            AVAILABILITY_SLI: [availability],
            AVAILABILITY_SERIES: [availability],
            LATENCY_SLI: [latency],
            LATENCY_SERIES: [latency],
            # The budget is gone at 0: below it, the range failed more than the SLO allows.
            AVAILABILITY_BUDGET: [0.0],
            LATENCY_BUDGET: [0.0],
        }
        for panel, alert, burn in BURN_PANELS:
            expected[panel] = [self.burn(alert, burn)[0]]
        return expected

    def expected_divisors(self) -> dict[tuple[str, str], float]:
        """Panels that divide by an error budget, and the budget."""
        availability = self.burn("DemoAppErrorBudgetBurn", "fast")[1]
        latency = self.burn("DemoAppLatencyBudgetBurn", "fast")[1]
        divisors = {AVAILABILITY_BUDGET: availability, LATENCY_BUDGET: latency}
        for panel, alert, burn in BURN_PANELS:
            divisors[panel] = self.burn(alert, burn)[1]
        return divisors


def drawn_thresholds(panel: dict[str, Any]) -> list[float]:
    """The values a panel draws a threshold line at, or changes colour at."""
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    steps = defaults.get("thresholds", {}).get("steps", [])
    values = [float(step["value"]) for step in steps if step.get("value") is not None]
    if panel["type"] == "timeseries":
        mode = defaults.get("custom", {}).get("thresholdsStyle", {}).get("mode", "off")
        return values if mode != "off" else []
    # Stats colour their value at each step. Tables and state timelines colour by value
    # mappings here, so a step on them is reported too.
    return values


def threshold_problems(dashboards: dict[str, dict[str, Any]], rules: dict[str, Rules]) -> list[str]:
    """Every way the dashboards' thresholds and mirrored records disagree with the rules."""
    panels = {
        (uid, panel["title"]): panel
        for uid, dashboard in dashboards.items()
        for panel in grafana.panels(dashboard)
    }
    problems = []
    for profile, profile_rules in rules.items():
        expected = profile_rules.expected_thresholds()
        for key, panel in panels.items():
            drawn = drawn_thresholds(panel)
            if key not in expected:
                if drawn:
                    problems.append(f"{key}: draws {drawn}, which no alert rule explains")
                continue
            if drawn != pytest.approx(expected[key]):
                problems.append(f"{key}: draws {drawn}, the {profile} rules say {expected[key]}")
        problems += [f"{key}: no such panel" for key in expected.keys() - panels.keys()]
        for key, budget in profile_rules.expected_divisors().items():
            for target in panels.get(key, {}).get("targets", []):
                divisor = _DIVISOR.search(target["expr"])
                if not divisor or float(divisor[1]) != pytest.approx(budget):
                    problems.append(f"{key}: does not divide by the {profile} budget {budget}")
        bound = profile_rules.latency_bound()
        for key, panel in panels.items():
            for target in panel.get("targets", []):
                for le in _SLO_BUCKET.findall(target["expr"]):
                    if le != bound:
                        problems.append(f"{key}: counts le={le!r}, the {profile} SLO {bound!r}")
        for (key, ref_id), (alert, burn) in MIRRORS.items():
            target = next(t for t in panels[key]["targets"] if t["refId"] == ref_id)
            (regex,) = grafana.metric_selectors(target["expr"])[1]
            matched = {r for r in profile_rules.records if re.fullmatch(regex, r)}
            read = profile_rules.records_read(alert, burn)
            if not matched or not matched <= read:
                problems.append(f"{key} {ref_id}: reads {matched}, {alert} reads {read}")
            if burn and len(matched) != 2:
                problems.append(f"{key} {ref_id}: {matched} is not {alert}'s window pair")
    return problems


@pytest.fixture(scope="module")
def profile_rules(rules: dict[str, list[dict[str, Any]]]) -> dict[str, Rules]:
    return {profile: Rules(found) for profile, found in rules.items()}


def test_drawn_thresholds_equal_the_alert_rules_in_both_profiles(
    dashboards: dict[str, dict[str, Any]], profile_rules: dict[str, Rules]
) -> None:
    assert threshold_problems(dashboards, profile_rules) == []


def test_the_rules_give_the_documented_numbers(profile_rules: dict[str, Rules]) -> None:
    # What grafana/README.md explains; if the rules change, the README must change too.
    for rules in profile_rules.values():
        assert rules.threshold("HighErrorRate") == 0.05
        assert rules.threshold("SlowLLM") == 10
        assert rules.threshold("DemoAppSaturated") == 50
        assert rules.burn("DemoAppErrorBudgetBurn", "fast") == (14.4, 0.001)
        assert rules.burn("DemoAppErrorBudgetBurn", "slow") == (6, 0.001)
        assert rules.burn("DemoAppLatencyBudgetBurn", "fast") == (14.4, 0.01)
        assert rules.burn("DemoAppLatencyBudgetBurn", "slow") == (6, 0.01)
        assert rules.latency_bound() == "0.5"


@pytest.mark.parametrize(
    ("rule_file", "old", "new", "panel"),
    [
        ("demo_app.rules.yml", "ratio_rate5m > 0.05", "ratio_rate5m > 0.06", ERROR_RATIO),
        ("demo_app.rules.yml", "[2m]) > 50", "[2m]) > 40", IN_FLIGHT),
        ("demo_app.rules.yml", "[2m]) > 50", "[2m]) > 40", USERS_VS_IN_FLIGHT),
        (
            "demo_app.rules.yml",
            "ratio_rate5m > 0.05",
            "ratio_rate5m > 0.06",
            CLIENT_VS_SERVER_FAILURES,
        ),
        ("slo.rules.yml", 'le="0.5"', 'le="1.0"', CLIENT_VS_SERVER_LATENCY),
        ("llm.rules.yml", "p95_rate5m > 10", "p95_rate5m > 12", LLM_P95),
        ("slo.rules.yml", "> (14.4 * 0.001)", "> (13 * 0.001)", BURN_PANELS[0][0]),
        ("slo.rules.yml", "> (6 * 0.01)", "> (6 * 0.02)", BURN_PANELS[3][0]),
        ("slo.rules.yml", 'le="0.5"', 'le="1.0"', LATENCY),
        ("slo.rules.yml", "ratio_rate30m{", "ratio_rate1h{", BURN_PANELS[1][0]),
    ],
)
def test_changing_a_rule_threshold_fails_the_check(
    dashboards: dict[str, dict[str, Any]],
    tmp_path: Path,
    rule_file: str,
    old: str,
    new: str,
    panel: tuple[str, str],
) -> None:
    modified = tmp_path / "realistic"
    shutil.copytree(rules_dir("realistic"), modified)
    path = modified / rule_file
    text = path.read_text()
    assert old in text, f"{rule_file} no longer contains {old!r}: update this test"
    path.write_text(text.replace(old, new))
    problems = threshold_problems(dashboards, {"realistic": Rules(load_rules(modified))})
    assert any(problem.startswith(str(panel)) for problem in problems), problems


def test_changing_a_drawn_threshold_fails_the_check(
    dashboards: dict[str, dict[str, Any]], profile_rules: dict[str, Rules]
) -> None:
    modified = copy.deepcopy(dashboards)
    panel = next(p for p in grafana.panels(modified[LLM]) if p["title"] == LLM_P95[1])
    panel["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]["value"] = 12
    assert threshold_problems(modified, profile_rules) == [
        f"{LLM_P95}: draws [12.0], the lab rules say [10.0]",
        f"{LLM_P95}: draws [12.0], the realistic rules say [10.0]",
    ]


def test_a_threshold_no_rule_explains_fails_the_check(
    dashboards: dict[str, dict[str, Any]], profile_rules: dict[str, Rules]
) -> None:
    modified = copy.deepcopy(dashboards)
    panel = next(p for p in grafana.panels(modified[LLM]) if p["title"] == "Agent turn latency")
    panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] = "line"
    panel["fieldConfig"]["defaults"]["thresholds"]["steps"].append({"color": "red", "value": 5})
    problems = threshold_problems(modified, profile_rules)
    assert (
        problems
        == [f"{(LLM, 'Agent turn latency')}: draws [5.0], which no alert rule explains"] * 2
    )
