"""The promtool suites can fail: each claim they prove is made false in a copy, and they fail.

A `promtool test rules` case that passes whatever the rule says proves nothing. Each test here
copies prometheus/ to a temporary folder, changes one thing so that a claim the docs teach
becomes false (a `for`, a threshold, a window, the function under test, the one good
evaluation of an input series), checks that the changed rules are still valid, and requires
the suite that backs the claim to fail on the copy, for that reason ("FAILED", not a parse
error). test_rules.py runs the same suites unchanged, where they must pass.
"""

import math
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.configs.rule_profiles import format_duration, parse_duration_ms

pytestmark = pytest.mark.tools

# A threshold moved by this share either way must change what the just-above and just-under
# cases expect: each sits within 20% of its threshold (the lab's slow burn at 0.7% is the
# widest, 17% above 0.6%).
THRESHOLD_NUDGE = 0.2
_THRESHOLD = re.compile(r"(?<![<>=!])>(?!=)\s*\(?\s*([0-9]*\.?[0-9]+)")


@dataclass(frozen=True)
class Mutant:
    """One change to a copy of prometheus/, and the suite that must then fail."""

    claim: str
    path: str  # relative to prometheus/
    change: Callable[[str], str]
    suite: str  # relative to prometheus/tests
    run: str | None = None  # promtool --run: only the test groups whose names match
    alert: str = ""  # the alert whose rule is changed, if it is one of prometheus/rules


def replace_once(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert text.count(old) == 1, f"expected exactly one {old!r}"
        return text.replace(old, new)

    return change


def promtool_on_copy(tools, repo, tmp_path: Path, mutant: Mutant) -> str:
    """Applies the mutant to a copy; returns promtool's output, asserting it failed a case."""
    copy = tmp_path / "prometheus"
    shutil.copytree(repo.root / "prometheus", copy)
    target = copy / mutant.path
    before = target.read_text(encoding="utf-8")
    after = mutant.change(before)
    assert after != before, f"the mutation changed nothing in {mutant.path}"
    target.write_text(after, encoding="utf-8")
    if "/rules/" in f"/{mutant.path}" or mutant.path.endswith(".rules.yml"):
        tools.run_ok(tools.promtool, "check", "rules", target)
    suite = copy / "tests" / mutant.suite
    args = ["test", "rules", *(["--run", mutant.run] if mutant.run else []), suite.name]
    result = tools.run(tools.promtool, *args, cwd=suite.parent)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"{mutant.claim}: the suite still passes\n{output}"
    assert "FAILED" in output, f"{mutant.claim}: failed without a failing case\n{output}"
    return output


# ------------------------------------------------- the claims the issue named, one by one

NAMED = [
    Mutant(
        claim="five consecutive 5-minute breaches is for: 20m (the drill's old 25m is wrong)",
        path="tests/folklore.rules.yml",
        change=replace_once(
            "> 0.5\n        for: 20m\n\n      # The same `for`",
            "> 0.5\n        for: 25m\n\n      # The same `for`",
        ),
        suite="folklore_test.yml",
        run="Five consecutive",
    ),
    Mutant(
        claim="one good evaluation restarts a for (without it the alert fires at 20m)",
        path="tests/folklore_test.yml",
        change=replace_once("values: '0.8x9 0.3 0.8x40'", "values: '0.8x50'"),
        suite="folklore_test.yml",
        run="One good evaluation",
    ),
    Mutant(
        claim="irate counts through a counter reset (a delta that does not gives -6/s)",
        path="tests/folklore_test.yml",
        change=replace_once(
            'expr: irate(http_requests_total{instance="restarted"}[5m])',
            'expr: idelta(http_requests_total{instance="restarted"}[5m]) / 60',
        ),
        suite="folklore_test.yml",
        run="irate sees only the last two samples",
    ),
    Mutant(
        claim="the notes' HighErrorRate never fires only because `code` does not exist",
        path="tests/folklore.rules.yml",
        change=replace_once(
            'sum(rate(http_requests_total{code=~"5.."}[5m]))',
            'sum(rate(http_requests_total{status=~"5.."}[5m]))',
        ),
        suite="folklore_test.yml",
        run="selector matches nothing",
    ),
    Mutant(
        claim="the notes' backed-up alert never fires only because rate() of a gauge is 0",
        path="tests/folklore.rules.yml",
        change=replace_once(
            "expr: rate(http_requests_inprogress[5m]) > 100",
            "expr: max_over_time(http_requests_inprogress[5m]) > 100",
        ),
        suite="folklore_test.yml",
        run="in-progress gauge",
    ),
    Mutant(
        claim="the notes' SlowLLM stays silent only because the capped p95 is exactly 10",
        path="tests/folklore.rules.yml",
        change=replace_once(
            "(rate(llm_call_duration_seconds_bucket[5m]))) > 10",
            "(rate(llm_call_duration_seconds_bucket[5m]))) >= 10",
        ),
        suite="folklore_test.yml",
        run="capped at 10 s",
    ),
    Mutant(
        claim="the fast burn pages before HighErrorRate only because its for is 2m, not 5m",
        path="rules/realistic/slo.rules.yml",
        change=replace_once(
            'errors:ratio_rate5m{handler="/api/v1/messages"} > (14.4 * 0.001)\n        for: 2m',
            'errors:ratio_rate5m{handler="/api/v1/messages"} > (14.4 * 0.001)\n        for: 5m',
        ),
        suite="ordering/realistic_test.yml",
    ),
    Mutant(
        claim="a 10-minute burst pages fast only: the slow pair's 6h window outweighs it",
        path="rules/realistic/slo.rules.yml",
        change=replace_once(
            'handler:http_request_errors:ratio_rate6h{handler="/api/v1/messages"} > (6 * 0.001)',
            'handler:http_request_errors:ratio_rate1h{handler="/api/v1/messages"} > (6 * 0.001)',
        ),
        suite="realistic/slo.rules_test.yml",
        run="burst of 10% errors",
    ),
    Mutant(
        claim="a 1-minute burst pages fast only in the lab: the 36m window outweighs it",
        path="rules/lab/slo.rules.yml",
        change=replace_once(
            'handler:http_request_errors:ratio_rate36m{handler="/api/v1/messages"} > (6 * 0.001)',
            'handler:http_request_errors:ratio_rate6m{handler="/api/v1/messages"} > (6 * 0.001)',
        ),
        suite="lab/slo.rules_test.yml",
        run="burst of 10% errors",
    ),
]


@pytest.mark.parametrize("mutant", NAMED, ids=[m.claim for m in NAMED])
def test_the_suite_fails_when_the_claim_is_made_false(tools, repo, tmp_path, mutant) -> None:
    promtool_on_copy(tools, repo, tmp_path, mutant)


# --------------------------------------- every alert's `for` and threshold, in both profiles


def _rule_mutant(
    profile: str, path: Path, index: tuple[int, int], claim: str, edit: Callable[[dict], None]
) -> Mutant:
    group, rule = index

    def change(text: str) -> str:
        document: dict[str, Any] = yaml.safe_load(text)
        edit(document["groups"][group]["rules"][rule])
        return yaml.safe_dump(document, sort_keys=False)

    name = yaml.safe_load(path.read_text())["groups"][group]["rules"][rule]["alert"]
    return Mutant(
        claim=f"{profile} {name}: {claim}",
        path=f"rules/{profile}/{path.name}",
        change=change,
        suite=f"{profile}/{path.name.removesuffix('.yml')}_test.yml",
        run=f"^{name} ",
        alert=f"{profile}/{name}",
    )


def _scaled_for(factor: float) -> Callable[[dict], None]:
    def edit(rule: dict) -> None:
        rule["for"] = format_duration(round(parse_duration_ms(rule["for"]) * factor))

    return edit


def _is_signal(expr: str, found: re.Match[str]) -> bool:
    """Is this comparison about the alert's signal, not a clock guard (`time() - ... > 15`)?

    DemoAppDown's absent() arm waits 15 s after Prometheus starts: a guard counted in
    evaluations, which no suite evaluated every 5 s or 1 m can tell from 18 s.
    """
    line_start = expr.rfind("\n", 0, found.start()) + 1
    return "time()" not in expr[line_start : found.start()]


def _thresholds(expr: str) -> list[re.Match[str]]:
    return [found for found in _THRESHOLD.finditer(expr) if _is_signal(expr, found)]


def _nudged_threshold(factor: float) -> Callable[[dict], None]:
    def edit(rule: dict) -> None:
        # Every comparison of the expression: a burn-rate alert compares both windows.
        def scaled(found: re.Match[str]) -> str:
            start, end = found.span(1)
            text = found.group(0)
            offset = found.start(0)
            value = float(found.group(1)) * factor
            return f"{text[: start - offset]}{value:.6g}{text[end - offset :]}"

        assert _thresholds(rule["expr"]), rule["expr"]
        rule["expr"] = _THRESHOLD.sub(
            lambda found: scaled(found) if _is_signal(rule["expr"], found) else found.group(0),
            rule["expr"],
        )

    return edit


def _same_evaluations(duration: str, factor: float, profile: str, path: Path) -> bool:
    """Would the scaled `for` wait as many evaluations of the rule's suite as the real one?

    Such a change cannot be seen by any test at that resolution (realistic DemoAppDown's
    `for: 1m` and 30s both fire at the first evaluation a minute later in a suite evaluated
    every minute); the lab suite, evaluated every 5 s, checks the same rule finely.
    """
    suite = path.parents[2] / "tests" / profile / f"{path.stem}_test.yml"
    step = parse_duration_ms(yaml.safe_load(suite.read_text())["evaluation_interval"])
    real = parse_duration_ms(duration)
    return math.ceil(real / step) == math.ceil(real * factor / step)


def _every_rule_mutant() -> list[Mutant]:
    root = Path(__file__).resolve().parents[2] / "prometheus" / "rules"
    found = []
    for profile in ("realistic", "lab"):
        for path in sorted((root / profile).glob("*.yml")):
            for g, group in enumerate(yaml.safe_load(path.read_text())["groups"]):
                for r, rule in enumerate(group["rules"]):
                    if "alert" not in rule:
                        continue
                    if "for" in rule:
                        for factor, word in ((0.5, "half"), (2.0, "twice")):
                            if _same_evaluations(rule["for"], factor, profile, path):
                                continue
                            found.append(
                                _rule_mutant(
                                    profile, path, (g, r), f"for at {word}", _scaled_for(factor)
                                )
                            )
                    if _thresholds(rule["expr"]):
                        for factor in (1 + THRESHOLD_NUDGE, 1 - THRESHOLD_NUDGE):
                            found.append(
                                _rule_mutant(
                                    profile,
                                    path,
                                    (g, r),
                                    f"threshold x{factor:g}",
                                    _nudged_threshold(factor),
                                )
                            )
    return found


RULE_MUTANTS = _every_rule_mutant()


def test_every_alert_with_a_for_or_a_threshold_has_mutants_in_both_profiles(repo) -> None:
    for profile in repo.profiles:
        names = {
            m.claim.split(":")[0].split(" ", 1)[1]
            for m in RULE_MUTANTS
            if m.claim.startswith(profile)
        }
        with_for_or_threshold = {
            rule["alert"]
            for rule in repo.alerts(profile)
            if "for" in rule or _thresholds(rule["expr"])
        }
        assert names == with_for_or_threshold


@pytest.mark.parametrize("mutant", RULE_MUTANTS, ids=[m.claim for m in RULE_MUTANTS])
def test_the_alert_suites_fail_when_a_for_or_a_threshold_changes(
    tools, repo, tmp_path, mutant
) -> None:
    promtool_on_copy(tools, repo, tmp_path, mutant)
