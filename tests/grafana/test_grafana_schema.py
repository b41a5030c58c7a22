"""Every dashboard is what the pinned Grafana accepts, checked offline with Grafana's own
types (grafana-foundation-sdk, pinned exactly in requirements-dev.txt): it loads through
the SDK's models with nothing dropped, states every panel option the schema gives a
default, uses only panel types the pinned Grafana ships, and is the classic JSON model
that file provisioning loads, not the v2 resource format Grafana 13's editor can save.

Grafana itself cannot run where these tests run; tests/e2e/test_dashboards_live.py runs
every query against a live Prometheus."""

import json
import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from grafana_foundation_sdk.cog import runtime
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from playground.core.paths import REPO_ROOT

# The SDK line whose types are Grafana 12.2+/13's (schemaVersion 42). A plain
# `pip install grafana-foundation-sdk` picks `1769699998!10.1.0` instead, Grafana 10.1's
# types, because its epoch-prefixed versions sort above 0.0.x.
SDK_PIN = "0.0.21"
# What Grafana 13.2 no longer reads on a table: the footer moved to the fields' options.
# The SDK still fills in a hidden one, so a round trip through it adds this and only this.
RETIRED_OPTIONS = {"table": {"footer"}}
# The top-level keys of the v2 dashboard resource (apiVersion dashboard.grafana.app/v2…),
# which file provisioning rejects; a classic dashboard has none of them.
V2_KEYS = {"apiVersion", "kind", "metadata", "spec", "elements", "layout"}

register_default_plugins()

# The SDK's classic Dashboard warns that v2 exists; the classic model is the one we need.
pytestmark = pytest.mark.filterwarnings("ignore:Prefer using dashboardv2:DeprecationWarning")


def round_trip(dashboard: dict[str, Any]) -> dict[str, Any]:
    """The dashboard loaded into the SDK's models and written back as JSON."""
    return json.loads(json.dumps(Dashboard.from_json(dashboard), cls=JSONEncoder))


def lost_keys(before: Any, after: Any, path: str = "") -> list[str]:
    """Every key or value in `before` that `after` does not hold the same way."""
    if isinstance(before, dict):
        if not isinstance(after, dict):
            return [f"{path or '.'}: {before!r} became {after!r}"]
        return [
            problem
            for key, value in before.items()
            for problem in (
                [f"{path}.{key}"]
                if key not in after
                else lost_keys(value, after[key], f"{path}.{key}")
            )
        ]
    if isinstance(before, list):
        if not isinstance(after, list) or len(before) != len(after):
            return [f"{path}: list changed"]
        return [
            p
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for p in lost_keys(b, a, f"{path}[{i}]")
        ]
    return [] if before == after else [f"{path}: {before!r} became {after!r}"]


def dropped(dashboard: dict[str, Any]) -> list[str]:
    """What the SDK's models do not carry: unknown keys, misspelt options, wrong types."""
    return lost_keys(dashboard, round_trip(dashboard))


def missing_option_defaults(dashboard: dict[str, Any]) -> list[str]:
    """Panel options the schema gives a default that the file leaves out."""
    back = round_trip(dashboard)
    problems = []
    for index, (panel, loaded) in enumerate(zip(dashboard["panels"], back["panels"], strict=True)):
        retired = RETIRED_OPTIONS.get(panel["type"], set())
        options = {k: v for k, v in loaded.get("options", {}).items() if k not in retired}
        for where, written, filled in (
            ("options", panel.get("options", {}), options),
            ("fieldConfig", panel.get("fieldConfig", {}), loaded.get("fieldConfig", {})),
        ):
            problems += [
                f"{panel['title']} (panels[{index}]) {where}{key}"
                for key in lost_keys(filled, written)
            ]
    return problems


def panel_types() -> set[str]:
    """The panel plugins the SDK (and so the pinned Grafana) knows, plus rows."""
    return set(runtime.Runtime().panelcfg_variants) | {"row"}


def v2_problems(dashboard: dict[str, Any]) -> list[str]:
    """Signs of the v2 resource format, which dashboard file provisioning does not load."""
    problems = [f"top-level {key!r}" for key in sorted(V2_KEYS & dashboard.keys())]
    if not isinstance(dashboard.get("schemaVersion"), int):
        problems.append("no integer schemaVersion")
    if not isinstance(dashboard.get("panels"), list):
        problems.append("no panels list")
    return problems


def test_the_sdk_is_pinned_exactly_and_installed_at_the_pin() -> None:
    requirements = (REPO_ROOT / "requirements-dev.txt").read_text()
    assert re.search(rf"^grafana-foundation-sdk=={re.escape(SDK_PIN)}$", requirements, re.M)
    assert version("grafana-foundation-sdk").lstrip("v") == SDK_PIN


def test_the_sdk_writes_the_schema_version_the_dashboards_use(
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    # The SDK's types are generated from the Grafana release whose schemaVersion it writes.
    assert {d["schemaVersion"] for d in dashboard_files.values()} == {
        Dashboard().schema_version
    }  # 42


def test_every_dashboard_loads_through_the_sdk_with_nothing_dropped(
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    assert {path.name: dropped(d) for path, d in dashboard_files.items()} == {
        path.name: [] for path in dashboard_files
    }


def test_a_misspelt_option_or_an_unknown_key_is_dropped_and_so_caught(
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    dashboard = json.loads(json.dumps(next(iter(dashboard_files.values()))))
    panel = dashboard["panels"][0]
    panel["options"]["legend"]["showLegnd"] = True
    panel["colour"] = "red"
    assert sorted(dropped(dashboard)) == [
        ".panels[0].colour",
        ".panels[0].options.legend.showLegnd",
    ]


def test_every_option_the_schema_defaults_is_written_out(
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    # Grafana fills a missing default in when it loads a panel, and writes it on save, so a
    # file without it differs from what Grafana shows (percentChangeColorMode on stat,
    # legend.calcs on state-timeline, frameIndex on table).
    assert {path.name: missing_option_defaults(d) for path, d in dashboard_files.items()} == {
        path.name: [] for path in dashboard_files
    }


def test_a_missing_option_default_is_named(dashboard_files: dict[Path, dict[str, Any]]) -> None:
    slo = json.loads(
        json.dumps(next(d for d in dashboard_files.values() if d["uid"] == "playground-slo"))
    )
    stat = next(panel for panel in slo["panels"] if panel["type"] == "stat")
    del stat["options"]["percentChangeColorMode"]
    problems = missing_option_defaults(slo)
    assert [p for p in problems if p.endswith("options.percentChangeColorMode")] == [
        f"{stat['title']} (panels[{slo['panels'].index(stat)}]) options.percentChangeColorMode"
    ]


def test_no_table_keeps_the_retired_footer_option(
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    for path, dashboard in dashboard_files.items():
        for panel in dashboard["panels"]:
            retired = RETIRED_OPTIONS.get(panel["type"], set())
            assert not retired & panel.get("options", {}).keys(), f"{path.name} / {panel['title']}"


def test_every_panel_type_is_one_the_pinned_grafana_has(
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    known = panel_types()
    # Angular panels (graph, singlestat) are gone since Grafana 12; the SDK has no types for them.
    assert "graph" not in known and "singlestat" not in known
    used = {p["type"] for d in dashboard_files.values() for p in d["panels"]}
    assert used <= known, used - known


def test_every_dashboard_is_the_classic_model_that_file_provisioning_loads(
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    assert {path.name: v2_problems(d) for path, d in dashboard_files.items()} == {
        path.name: [] for path in dashboard_files
    }


def test_a_dashboard_saved_as_v2_is_refused() -> None:
    # The shape Grafana 13's editor exports when "v2 resource" is chosen.
    saved_as_v2 = {
        "apiVersion": "dashboard.grafana.app/v2beta1",
        "kind": "Dashboard",
        "metadata": {"name": "playground-slo"},
        "spec": {"title": "x", "elements": {}, "layout": {"kind": "GridLayout", "spec": {}}},
    }
    assert v2_problems(saved_as_v2) == [
        "top-level 'apiVersion'",
        "top-level 'kind'",
        "top-level 'metadata'",
        "top-level 'spec'",
        "no integer schemaVersion",
        "no panels list",
    ]
    # The SDK would load it silently as an empty dashboard: the round trip shows the loss.
    assert dropped(saved_as_v2)[:2] == [".apiVersion", ".kind"]


@pytest.mark.parametrize("kind", ["graph", "singlestat"])
def test_an_angular_panel_type_is_not_allowed(kind: str) -> None:
    assert kind not in panel_types()
