"""The flags that decide what a crash loses, checked against the rules and configs they serve.

compose.yaml holds them, with the reasons; the native stack reads them from there. These
checks keep the reasons true when a rule's `for` or an interval changes.
"""

import re
from typing import Any

import yaml

from playground.configs.rule_profiles import parse_duration_ms

COMPOSE = "compose.yaml"


def command_flags(repo, service: str) -> dict[str, str]:
    """`--name=value` flags of a compose service's command, by name (without dashes)."""
    compose = yaml.safe_load((repo.root / COMPOSE).read_text(encoding="utf-8"))
    flags = {}
    for argument in compose["services"][service]["command"]:
        name, _, value = argument.removeprefix("--").partition("=")
        flags[name] = value
    return flags


def seconds(duration: str) -> float:
    return parse_duration_ms(duration) / 1000


def holds(repo, profile: str) -> dict[str, float]:
    """Each alert's `for` in seconds (0 without one), by alert name and its labels."""
    return {
        f"{alert['alert']}{alert.get('labels', {})}": seconds(alert.get("for", "0s"))
        for alert in repo.alerts(profile)
    }


def prometheus_yml(repo) -> dict[str, Any]:
    return repo.load(repo.prometheus_config)


def test_every_alert_with_a_for_has_its_state_restored_after_a_restart(repo) -> None:
    # rules/group.go RestoreForState skips an alert whose `for` is below the grace period:
    # it would start its `for` again after every restart.
    grace = seconds(command_flags(repo, "prometheus")["rules.alert.for-grace-period"])
    skipped = {
        profile: {name: hold for name, hold in holds(repo, profile).items() if 0 < hold < grace}
        for profile in repo.profiles
    }
    assert skipped == {profile: {} for profile in repo.profiles}


def test_grace_period_is_at_least_one_evaluation(repo) -> None:
    grace = seconds(command_flags(repo, "prometheus")["rules.alert.for-grace-period"])
    assert grace >= seconds(prometheus_yml(repo)["global"]["evaluation_interval"])


def test_an_outage_alertmanager_cannot_see_is_always_restored(repo) -> None:
    # Prometheus sends each firing alert valid for 4 x max(resend delay, evaluation
    # interval) (rules/alerting.go sendAlerts); an outage shorter than that leaves the alert
    # firing in Alertmanager, and restoring keeps Prometheus in step with it.
    flags = command_flags(repo, "prometheus")
    evaluation = seconds(prometheus_yml(repo)["global"]["evaluation_interval"])
    valid_for = 4 * max(seconds(flags["rules.alert.resend-delay"]), evaluation)
    assert seconds(flags["rules.alert.for-outage-tolerance"]) >= valid_for


def test_alertmanager_snapshots_at_most_one_scrape_interval_apart(repo) -> None:
    interval = seconds(command_flags(repo, "alertmanager")["data.maintenance-interval"])
    assert 0 < interval <= seconds(prometheus_yml(repo)["global"]["scrape_interval"])


def test_demo_app_down_waits_for_the_first_scrapes_of_a_fresh_start(repo) -> None:
    # DemoAppDown's absent() arm opens N seconds after Prometheus started; by then every
    # target must have had its first scrape (each is scraped within one interval of being
    # found), with an interval to spare. Its start time comes from the self-scrape job.
    config = prometheus_yml(repo)
    scrape = seconds(config["global"]["scrape_interval"])
    assert "prometheus" in {job["job_name"] for job in config["scrape_configs"]}
    for profile in repo.profiles:
        (rule,) = [a for a in repo.alerts(profile) if a["alert"] == "DemoAppDown"]
        match = re.search(
            r'time\(\) - process_start_time_seconds\{job="prometheus"\} > (\d+)', rule["expr"]
        )
        assert match, f"{profile}: DemoAppDown has no start-up gate: {rule['expr']}"
        assert int(match.group(1)) >= 2 * scrape
