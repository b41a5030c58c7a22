"""This repository's alerting rules, edited the way a learner might edit them."""

import yaml

from playground.core.paths import REPO_ROOT
from playground.scenarios.predictions import (
    AlertConfig,
    alert_config,
    rule_groups_from_files,
    seconds,
)


def renamed_alert(profile: str, old: str, new: str) -> AlertConfig:
    """This repository's rules for ``profile`` with one alert renamed, as a live API would
    serve them after someone edited the rule file."""
    prometheus_yaml = (REPO_ROOT / "prometheus" / "prometheus.yml").read_text()
    alertmanager_yaml = (REPO_ROOT / "alertmanager" / "alertmanager.yml").read_text()
    files = sorted((REPO_ROOT / "prometheus" / "rules" / profile).glob("*.yml"))
    evaluation = seconds(yaml.safe_load(prometheus_yaml)["global"]["evaluation_interval"])
    groups = rule_groups_from_files(files, evaluation)
    for group in groups:
        for rule in group["rules"]:
            if rule["name"] == old:
                rule["name"] = new
    return alert_config(groups, prometheus_yaml, alertmanager_yaml)
