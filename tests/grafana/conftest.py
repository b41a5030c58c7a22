"""Fixtures for the Grafana checks: the dashboards, the provisioning files, the compose
service that mounts them, the alert rules whose thresholds the panels draw.

The dashboards as data and Grafana's substitution are in tests/support/grafana.py.
"""

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.core.paths import REPO_ROOT
from tests.support import grafana
from tests.support.files import read_yaml
from tests.support.rules import PROFILES, load_rules, rules_dir

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def dashboard_files() -> dict[Path, dict[str, Any]]:
    """Every dashboard JSON under grafana/dashboards, parsed, by path."""
    found = grafana.load_dashboards()
    assert found, f"no dashboards in {grafana.DASHBOARDS_DIR}"
    return found


@pytest.fixture(scope="session")
def dashboards(dashboard_files: dict[Path, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every dashboard, by uid."""
    return {dashboard["uid"]: dashboard for dashboard in dashboard_files.values()}


def _provisioned(kind: str, key: str) -> list[dict[str, Any]]:
    """The `key` entries of every grafana/provisioning/<kind>/*.yml, in file order."""
    return [
        entry
        for path in sorted((grafana.PROVISIONING_DIR / kind).glob("*.y*ml"))
        for entry in (yaml.safe_load(path.read_text()) or {}).get(key, [])
    ]


@pytest.fixture(scope="session")
def datasources() -> list[dict[str, Any]]:
    """Every provisioned datasource."""
    return _provisioned("datasources", "datasources")


@pytest.fixture(scope="session")
def providers() -> list[dict[str, Any]]:
    """Every provisioned dashboard provider."""
    return _provisioned("dashboards", "providers")


@pytest.fixture(scope="session")
def grafana_service() -> dict[str, Any]:
    """compose.yaml's grafana service, as written (its mounts use no variables)."""
    return read_yaml(REPO_ROOT / "compose.yaml")["services"]["grafana"]


@pytest.fixture(scope="session")
def scrape_interval() -> str:
    """prometheus.yml's global scrape_interval."""
    return read_yaml(REPO_ROOT / "prometheus" / "prometheus.yml")["global"]["scrape_interval"]


# The series names each metric type puts into the exposition format.
_SERIES_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
}


@pytest.fixture(scope="session")
def exported_series() -> set[str]:
    """Every series name demo_app exports, from its metric declarations (demo_app/metrics.py)."""
    from prometheus_client.metrics import MetricWrapperBase

    from demo_app import metrics

    return {
        family.name + suffix
        for declared in vars(metrics).values()
        if isinstance(declared, MetricWrapperBase)
        for family in declared.describe()
        for suffix in _SERIES_SUFFIXES[family.type]
    }


# The constructors of loadtest/exposition.py, by the type of metric they make.
_FAMILY_TYPES = {"counter": "counter", "gauge": "gauge", "histogram": "histogram"}


@pytest.fixture(scope="session")
def locust_series() -> set[str]:
    """Every series name Locust's master exports, from loadtest/metrics.py's families.

    Read from the source (the families collect() builds), not by importing it: importing
    Locust monkey-patches the test process with gevent. tests/loadtest/test_metrics.py and
    the e2e test check these names on a live Locust.
    """
    tree = ast.parse((REPO_ROOT / "loadtest" / "metrics.py").read_text())
    series = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            kind = _FAMILY_TYPES.get(node.func.id)
            if kind and node.args and isinstance(node.args[0], ast.Constant):
                # A counter family is named without _total; the exposition adds it.
                series |= {node.args[0].value + suffix for suffix in _SERIES_SUFFIXES[kind]}
    return series


@pytest.fixture(scope="session")
def rules() -> dict[str, list[dict[str, Any]]]:
    """Every rule of each alert profile, by profile."""
    return {profile: load_rules(rules_dir(profile)) for profile in PROFILES}


@pytest.fixture(scope="session")
def records(rules: dict[str, list[dict[str, Any]]]) -> dict[str, set[str]]:
    """The recording rules' names of each profile."""
    return {
        profile: {rule["record"] for rule in found if "record" in rule}
        for profile, found in rules.items()
    }
