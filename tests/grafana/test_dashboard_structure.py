"""Every dashboard is valid JSON for the pinned Grafana, with fixed kebab-case uids, unique
panel ids, a grid without overlaps, datasources referenced by a provisioned uid, no import
placeholders, and the fault annotations on its time-series panels."""

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from playground.core.paths import REPO_ROOT
from tests.support import grafana

# The dashboard JSON schemaVersion each pinned Grafana writes when it saves a dashboard.
# Source: Grafana's backend migrations, apps/dashboard/pkg/migration/schemaversion/:
# migrations.go registers V42 last (LATEST_VERSION = 42), and the frontend's
# DashboardMigrator.ts has DASHBOARD_SCHEMA_VERSION = 42. v42.go (hideFrom.tooltip follows
# hideFrom.viz, PR #110517) came after 12.1.1, so 12.1 wrote 41. A v43.go (formatTime
# becomes convertFieldType) exists in Grafana's tree, but no migrations.go that registers it
# was found, so 13.2 writes 42; grafana-foundation-sdk 0.0.21 (the pinned SDK) agrees.
GRAFANA_SCHEMA_VERSIONS = {"12.1": 41, "13.2": 42}
KEBAB_CASE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Grafana's uid limit (40 characters).
MAX_UID_LENGTH = 40
# demo_app's fault gauges all start with this (demo_app/metrics.py).
FAULT_PREFIX = "demo_app_fault_"


def grafana_minor(dotenv_text: str) -> str:
    """`13.2` from GRAFANA_IMAGE=grafana/grafana:13.2.1 in .env."""
    match = re.search(r"^GRAFANA_IMAGE=grafana/grafana:(\d+\.\d+)\.\d+", dotenv_text, re.M)
    assert match, "GRAFANA_IMAGE in .env is not a pinned grafana/grafana:X.Y.Z"
    return match.group(1)


def test_every_file_in_the_dashboards_folder_is_a_json_dashboard() -> None:
    # The provider loads every file of the folder; a stray file is a silent error in its log.
    for path in sorted(grafana.DASHBOARDS_DIR.iterdir()):
        assert path.suffix == ".json", f"{path.name}: not a dashboard"
        dashboard = json.loads(path.read_text())
        assert isinstance(dashboard, dict) and dashboard.get("panels"), path.name


def test_schema_version_is_the_one_the_pinned_grafana_writes(
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    minor = grafana_minor((REPO_ROOT / ".env").read_text())
    assert minor in GRAFANA_SCHEMA_VERSIONS, (
        f"Grafana {minor} is pinned: find the schemaVersion it writes and add it here"
    )
    expected = GRAFANA_SCHEMA_VERSIONS[minor]
    assert {path.name: d["schemaVersion"] for path, d in dashboard_files.items()} == {
        path.name: expected for path in dashboard_files
    }


def test_each_file_is_named_after_its_fixed_kebab_case_uid(
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    for path, dashboard in dashboard_files.items():
        uid = dashboard.get("uid")
        assert isinstance(uid, str) and KEBAB_CASE.fullmatch(uid), f"{path.name}: uid {uid!r}"
        assert len(uid) <= MAX_UID_LENGTH
        assert path.stem == uid
        # A stored id would clash with another instance's database ids; provisioning assigns one.
        assert dashboard.get("id") is None


def test_dashboard_uids_and_titles_are_unique(dashboard_files: dict[Path, dict[str, Any]]) -> None:
    for key in ("uid", "title"):
        counts = Counter(d[key] for d in dashboard_files.values())
        assert [value for value, n in counts.items() if n > 1] == []


def test_panel_ids_are_unique_within_each_dashboard(dashboards: dict[str, dict[str, Any]]) -> None:
    for uid, dashboard in dashboards.items():
        ids = [panel.get("id") for panel in grafana.panels(dashboard)]
        assert all(isinstance(i, int) and i > 0 for i in ids), f"{uid}: {ids}"
        assert len(ids) == len(set(ids)), f"{uid}: duplicate panel ids {ids}"
        titles = [panel["title"] for panel in grafana.panels(dashboard)]
        assert len(titles) == len(set(titles)), f"{uid}: duplicate panel titles"


def test_ref_ids_are_unique_within_each_panel(dashboards: dict[str, dict[str, Any]]) -> None:
    for uid, dashboard in dashboards.items():
        for panel in grafana.panels(dashboard):
            ref_ids = [target["refId"] for target in panel.get("targets", [])]
            assert len(ref_ids) == len(set(ref_ids)), f"{uid} / {panel['title']}: {ref_ids}"


def test_panels_stay_on_the_grid_without_overlapping(dashboards: dict[str, dict[str, Any]]) -> None:
    assert {uid: grafana.grid_problems(d) for uid, d in dashboards.items()} == {
        uid: [] for uid in dashboards
    }


def test_grid_check_finds_overlaps_and_panels_off_the_grid() -> None:
    bad = {
        "panels": [
            {"title": "a", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}},
            {"title": "b", "gridPos": {"x": 11, "y": 7, "w": 6, "h": 2}},
            {"title": "c", "gridPos": {"x": 20, "y": 20, "w": 6, "h": 2}},
            {"title": "d", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8}},
            {"title": "e"},
        ]
    }
    assert grafana.grid_problems(bad) == [
        "b: overlaps a",
        "c: gridPos {'x': 20, 'y': 20, 'w': 6, 'h': 2} is outside the 24-column grid",
        "d: overlaps b",
        "e: no gridPos",
    ]


def test_every_datasource_reference_is_a_provisioned_uid(
    dashboards: dict[str, dict[str, Any]],
    datasources: list[dict[str, Any]],
) -> None:
    provisioned = {source["uid"]: source["type"] for source in datasources}
    problems = []
    for uid, dashboard in dashboards.items():
        refs = list(grafana.datasource_refs(dashboard))
        assert refs, f"{uid}: no datasource reference at all"
        for where, ref in refs:
            if not isinstance(ref, dict) or provisioned.get(ref.get("uid")) != ref.get("type"):
                problems.append(f"{uid} {where}: {ref!r}")
    assert problems == [], f"provisioned: {provisioned}"


def test_every_query_names_its_datasource(dashboards: dict[str, dict[str, Any]]) -> None:
    # Without one, a panel silently uses whatever datasource is the default on that Grafana.
    for uid, dashboard in dashboards.items():
        for panel in grafana.panels(dashboard):
            assert "datasource" in panel, f"{uid} / {panel['title']}"
            for target in panel.get("targets", []):
                assert "datasource" in target, f"{uid} / {panel['title']} / {target['refId']}"


def test_no_import_inputs_or_placeholders(dashboard_files: dict[Path, dict[str, Any]]) -> None:
    for path, dashboard in dashboard_files.items():
        text = path.read_text()
        assert "${DS_" not in text, path.name
        assert "__inputs" not in dashboard and "__requires" not in dashboard, path.name


def test_faults_are_annotations_on_every_dashboard(
    dashboards: dict[str, dict[str, Any]], exported_series: set[str]
) -> None:
    fault_gauges = {name for name in exported_series if name.startswith(FAULT_PREFIX)}
    assert len(fault_gauges) >= 5
    expressions = set()
    for uid, dashboard in dashboards.items():
        annotations = {a["name"]: a for a in dashboard["annotations"]["list"]}
        faults = annotations.get("Faults")
        assert faults, f"{uid}: no Faults annotation"
        # Enabled and shown, on every panel (no filter): cause beside every effect.
        assert faults["enable"] and not faults.get("hide") and "filter" not in faults, uid
        assert faults["datasource"] == {"type": "prometheus", "uid": "prometheus"}
        names, _ = grafana.metric_selectors(faults["target"]["expr"])
        assert {name for name in names if name.startswith(FAULT_PREFIX)} == fault_gauges, uid
        expressions.add(faults["target"]["expr"])
    assert len(expressions) == 1, "the dashboards show different fault annotations"


def test_the_slo_dashboard_has_a_panel_of_active_faults(
    dashboards: dict[str, dict[str, Any]], exported_series: set[str]
) -> None:
    slo = grafana.queries(dashboards["playground-slo"])
    queries = [query for query in slo if query.where == "Active faults"]
    selected = set().union(*(grafana.metric_selectors(q.expr)[0] for q in queries))
    assert selected >= {name for name in exported_series if name.startswith(FAULT_PREFIX)}


def test_quantile_panels_say_how_replicas_are_combined(
    dashboards: dict[str, dict[str, Any]],
) -> None:
    # A learner scaling demo_app should know why the fleet's p95 is right.
    for uid, dashboard in dashboards.items():
        for panel in grafana.panels(dashboard):
            if any("histogram_quantile" in t["expr"] for t in panel.get("targets", [])):
                assert "sum by le" in panel.get("description", ""), f"{uid} / {panel['title']}"


def test_every_panel_has_a_description(dashboards: dict[str, dict[str, Any]]) -> None:
    for uid, dashboard in dashboards.items():
        for panel in grafana.panels(dashboard):
            assert len(panel.get("description", "")) > 40, f"{uid} / {panel['title']}"
