"""The alert and recording rules: valid for promtool, written to the project's conventions,
and every alert covered by `promtool test rules` suites that pass, in both profiles."""

import re
from pathlib import Path

import pytest

from playground.configs.rule_profiles import parse_duration_ms

SEVERITIES = {"critical", "warning", "info"}
MAX_ALERT_NAME_CHARS = 40
_CAMEL_CASE = re.compile(r"[A-Z][a-z0-9]*(?:[A-Z][a-z0-9]*|[A-Z]+(?![a-z]))*")
# level:metric:operations, all lower snake case (prometheus.io/docs/practices/rules).
_RECORD_NAME = re.compile(r"[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*")
_NAME_WINDOW = re.compile(r"rate(\w+)$")
_HEADING = re.compile(r"^## (\S+)\s*$", re.MULTILINE)


@pytest.mark.tools
def test_promtool_accepts_every_rule_file_with_all_lints(tools, repo, profile: str) -> None:
    files = sorted(repo.rules_dir(profile).glob("*.yml"))
    assert files, f"no rule files in {repo.rules_dir(profile)}"
    tools.run_ok(tools.promtool, "check", "rules", "--lint=all", "--lint-fatal", *files)


# Every suite under prometheus/tests: both profiles and the folklore of the design notes.
_RULE_TEST_FILES = sorted(
    (Path(__file__).resolve().parents[2] / "prometheus" / "tests").rglob("*_test.yml")
)


@pytest.mark.tools
@pytest.mark.parametrize(
    "test_file", _RULE_TEST_FILES, ids=[f"{p.parent.name}/{p.name}" for p in _RULE_TEST_FILES]
)
def test_promtool_rule_unit_tests_pass(tools, test_file: Path) -> None:
    tools.run_ok(tools.promtool, "test", "rules", test_file.name, cwd=test_file.parent)


def test_the_rule_unit_tests_were_found() -> None:
    names = {f"{p.parent.name}/{p.name}" for p in _RULE_TEST_FILES}
    assert {"lab/demo_app.rules_test.yml", "realistic/slo.rules_test.yml"} <= names
    assert "tests/folklore_test.yml" in names


def test_alert_names_are_camel_case_and_at_most_40_characters(repo, profile: str) -> None:
    for rule in repo.alerts(profile):
        name = rule["alert"]
        assert _CAMEL_CASE.fullmatch(name), f"{name} is not CamelCase"
        assert len(name) <= MAX_ALERT_NAME_CHARS, f"{name} is longer than 40 characters"


def test_every_alert_has_a_known_severity(repo, profile: str) -> None:
    for rule in repo.alerts(profile):
        assert rule.get("labels", {}).get("severity") in SEVERITIES, rule["alert"]


def test_summaries_are_static_sentences(repo, profile: str) -> None:
    for rule in repo.alerts(profile):
        summary = rule["annotations"]["summary"]
        assert "{{" not in summary, f"{rule['alert']}: summary must not be templated"
        assert summary[0].isupper() or summary.startswith("demo_app"), summary
        assert summary.endswith("."), f"{rule['alert']}: summary must end with a period"


def test_descriptions_show_the_current_value(repo, profile: str) -> None:
    for rule in repo.alerts(profile):
        assert "$value" in rule["annotations"]["description"], rule["alert"]


def test_runbook_urls_point_to_a_section_of_docs_runbooks(repo, profile: str) -> None:
    sections = {heading.lower() for heading in _HEADING.findall(repo.runbooks.read_text())}
    for rule in repo.alerts(profile):
        anchor = rule["alert"].lower()
        assert rule["annotations"]["runbook_url"] == repo.runbook_url_base + anchor
        assert anchor in sections, f"docs/runbooks.md has no '## {rule['alert']}' section"


def test_record_names_follow_level_metric_operations(repo, profile: str) -> None:
    for rule in repo.rules(profile):
        if "record" in rule:
            assert _RECORD_NAME.fullmatch(rule["record"]), rule["record"]


def test_the_window_in_a_record_name_is_the_window_it_computes(repo, profile: str) -> None:
    for rule in repo.rules(profile):
        if "record" not in rule:
            continue
        named = _NAME_WINDOW.search(rule["record"])
        assert named, f"{rule['record']} does not say its window"
        windows = set(re.findall(r"\[(\w+)\]", rule["expr"]))
        windows |= set(re.findall(r":rate(\w+)\b", rule["expr"]))
        assert windows == {named.group(1)}, f"{rule['record']} computes over {windows}"


def test_alerts_read_records_computed_earlier_in_their_own_group(repo, profile: str) -> None:
    """A record from another group would be up to one evaluation late (see the rule files)."""
    recorded: dict[str, str] = {}
    for rule in repo.rules(profile):
        if "record" in rule:
            recorded[rule["record"]] = rule["_group"]
            continue
        for used in re.findall(r"\b[a-z_]+:[a-z0-9_]+:[a-z0-9_]+\b", rule["expr"]):
            assert recorded.get(used) == rule["_group"], f"{rule['alert']} reads {used}"


def test_every_alert_and_every_rule_file_has_unit_tests_in_both_profiles(repo, profile) -> None:
    tested: set[str] = set()
    for path in repo.rule_tests_dir(profile).glob("*_test.yml"):
        suite = repo.load(path)
        assert [Path(f).name for f in suite["rule_files"]] == [path.name.replace("_test", "")]
        for group in suite["tests"]:
            tested |= {case["alertname"] for case in group.get("alert_rule_test", [])}
    rule_files = {path.name for path in repo.rules_dir(profile).glob("*.yml")}
    test_files = {path.name for path in repo.rule_tests_dir(profile).glob("*_test.yml")}
    assert {name.replace(".yml", "_test.yml") for name in rule_files} == test_files
    assert {rule["alert"] for rule in repo.alerts(profile)} <= tested


def test_every_alert_with_a_for_has_a_pending_test(repo, profile) -> None:
    pending_checked: set[str] = set()
    for path in repo.rule_tests_dir(profile).glob("*_test.yml"):
        for group in repo.load(path)["tests"]:
            for case in group.get("promql_expr_test", []):
                for sample in case.get("exp_samples", []):
                    match = re.search(r'alertname="(\w+)",alertstate="pending"', sample["labels"])
                    if match:
                        pending_checked.add(match.group(1))
    with_for = {rule["alert"] for rule in repo.alerts(profile) if "for" in rule}
    assert with_for <= pending_checked


def test_every_values_line_of_the_rule_tests_has_a_comment(repo) -> None:
    for path in sorted(repo.rule_tests_dir().rglob("*_test.yml")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if line.strip().startswith("values:"):
                assert " # " in line, f"{path.name}:{number} has no comment expanding its values"


def test_lab_for_durations_are_a_tenth_of_realistic(repo) -> None:
    lab = {(rule["alert"], rule["labels"].get("burn")): rule for rule in repo.alerts("lab")}
    for rule in repo.alerts("realistic"):
        twin = lab[(rule["alert"], rule["labels"].get("burn"))]
        if "for" in rule:
            assert parse_duration_ms(rule["for"]) == 10 * parse_duration_ms(twin["for"])
        else:
            assert "for" not in twin
