"""The alert profiles' rule files, as the Grafana checks read them."""

from pathlib import Path
from typing import Any

import yaml

from playground.core.paths import REPO_ROOT

PROFILES = ("lab", "realistic")


def rules_dir(profile: str) -> Path:
    """prometheus/rules/<profile>."""
    return REPO_ROOT / "prometheus" / "rules" / profile


def load_rules(folder: Path) -> list[dict[str, Any]]:
    """Every rule (record or alert) of every group in a rules folder."""
    return [
        rule
        for path in sorted(folder.glob("*.yml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]
