"""prometheus/prometheus.yml: valid for the real Prometheus, true to the contract, and its
intervals fit the rules that depend on them."""

import re
from pathlib import Path

import pytest

from playground.configs.rule_profiles import parse_duration_ms

# docs/architecture.md: the Prometheus jobs and the compose address of each target.
CONTRACT_TARGETS = {
    "demo_app": ["demo_app:8000"],
    "alert_receiver": ["alert_receiver:5001"],
    "alertmanager": ["alertmanager:9093"],
    "prometheus": ["localhost:9090"],
    "locust": ["locust:9646"],
}
# rate() needs two samples; four or more keep one late scrape from swinging the result.
MIN_SAMPLES_PER_RATE_WINDOW = 4
# *_over_time of a gauge needs a sample; two make one missed scrape harmless.
MIN_SAMPLES_PER_GAUGE_WINDOW = 2
_RATE_WINDOW = re.compile(r"\b(?:rate|irate|increase)\([^\[]*\[(\w+)\]")
_GAUGE_WINDOW = re.compile(r"\b\w+_over_time\([^\[]*\[(\w+)\]")


@pytest.mark.tools
def test_promtool_accepts_the_config_and_finds_every_rule_file(
    tools, repo, profile: str, prometheus_dir: Path
) -> None:
    output = tools.run_ok(
        tools.promtool,
        "check",
        "config",
        "--lint=all",
        "--lint-fatal",
        "prometheus.yml",
        cwd=prometheus_dir,
    )
    rule_files = len(list(repo.rules_dir(profile).glob("*.yml")))
    assert f"SUCCESS: {rule_files} rule files found" in output, output


def test_scrape_jobs_and_targets_match_the_contract(repo) -> None:
    config = repo.load(repo.prometheus_config)
    # A job is found by a fixed target or, for demo_app's compose replicas, by DNS.
    targets = {
        job["job_name"]: [t for static in job.get("static_configs", []) for t in static["targets"]]
        + [f"{n}:{dns['port']}" for dns in job.get("dns_sd_configs", []) for n in dns["names"]]
        for job in config["scrape_configs"]
    }
    assert targets == CONTRACT_TARGETS


def test_alerts_go_to_alertmanager_and_rules_load_next_to_the_config(repo) -> None:
    config = repo.load(repo.prometheus_config)
    alertmanagers = config["alerting"]["alertmanagers"]
    # By DNS, so that the HA profile's second Alertmanager (same name) gets every alert too.
    assert [
        f"{n}:{dns['port']}"
        for am in alertmanagers
        for dns in am["dns_sd_configs"]
        for n in dns["names"]
    ] == ["alertmanager:9093"]
    assert not any("static_configs" in am for am in alertmanagers)
    assert config["rule_files"] == ["rules/*.yml"]


def test_rules_are_evaluated_as_often_as_targets_are_scraped(repo) -> None:
    settings = repo.load(repo.prometheus_config)["global"]
    assert settings["evaluation_interval"] == settings["scrape_interval"]
    assert parse_duration_ms(settings["scrape_timeout"]) < parse_duration_ms(
        settings["scrape_interval"]
    )


def test_every_window_holds_enough_scrapes_in_both_profiles(repo, profile: str) -> None:
    scrape_ms = parse_duration_ms(repo.load(repo.prometheus_config)["global"]["scrape_interval"])
    too_short = []
    for rule in repo.rules(profile):
        for pattern, minimum in (
            (_RATE_WINDOW, MIN_SAMPLES_PER_RATE_WINDOW),
            (_GAUGE_WINDOW, MIN_SAMPLES_PER_GAUGE_WINDOW),
        ):
            for window in pattern.findall(rule["expr"]):
                if parse_duration_ms(window) < minimum * scrape_ms:
                    too_short.append(f"{rule.get('alert') or rule['record']}: [{window}]")
    assert not too_short, f"windows under their minimum number of scrapes: {too_short}"


def test_the_window_patterns_see_every_range_selector(repo, profile: str) -> None:
    """Guards the test above: a window neither pattern recognises would go unchecked."""
    for rule in repo.rules(profile):
        selectors = re.findall(r"\[(\w+)\]", rule["expr"])
        seen = _RATE_WINDOW.findall(rule["expr"]) + _GAUGE_WINDOW.findall(rule["expr"])
        assert sorted(selectors) == sorted(seen), rule["expr"]


def test_every_for_spans_at_least_one_evaluation(repo, profile: str) -> None:
    evaluation_ms = parse_duration_ms(
        repo.load(repo.prometheus_config)["global"]["evaluation_interval"]
    )
    for rule in repo.alerts(profile):
        if "for" in rule:
            assert parse_duration_ms(rule["for"]) >= evaluation_ms, rule["alert"]
