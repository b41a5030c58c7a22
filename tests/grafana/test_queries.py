"""Every PromQL query in the dashboards, with Grafana's variables substituted, uses only
defined variables, selects only series demo_app exports or rules record in both alert
profiles, and parses (promtool). tests/e2e/test_dashboards_live.py runs them for real."""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.core.paths import REPO_ROOT
from tests.support import grafana

# Series Prometheus makes itself: `up` per target, `ALERTS` per pending or firing alert.
PROMETHEUS_SERIES = {"up", "ALERTS"}
# A handler value with regex characters in it: the selection must still match it literally.
AWKWARD_HANDLER = "/api/v1/customers/{customer_id}"
SCRAPE_SECONDS = 5


def dashboard_values(
    dashboard: dict[str, Any],
    selected: dict[str, list[str]] | None = None,
) -> dict[str, str]:
    """Every variable's value for a 30-minute dashboard: All, unless `selected` says otherwise."""
    values = grafana.builtin_variables(1800, SCRAPE_SECONDS, SCRAPE_SECONDS)
    for variable in grafana.variables(dashboard):
        chosen = (selected or {}).get(variable["name"], [grafana.ALL])
        values[variable["name"]] = grafana.variable_value(variable, chosen)
    return values


def all_queries(dashboards: dict[str, dict[str, Any]]) -> list[Any]:
    return [query for d in dashboards.values() for query in grafana.queries(d)]


def test_the_dashboards_have_queries(dashboards: dict[str, dict[str, Any]]):
    counts = {uid: len(grafana.queries(d)) for uid, d in dashboards.items()}
    assert all(count >= 6 for count in counts.values()), counts


def test_every_variable_a_query_uses_is_defined(dashboards: dict[str, dict[str, Any]]) -> None:
    builtins = set(grafana.builtin_variables(60, 5, 5))
    for uid, dashboard in dashboards.items():
        defined = builtins | {v["name"] for v in grafana.variables(dashboard)}
        texts = [q.expr for q in grafana.queries(dashboard)]
        texts += [grafana.variable_query(v) for v in grafana.variables(dashboard)]
        used = set().union(*(grafana.variable_names(text) for text in texts))
        assert used <= defined, f"{uid}: undefined {used - defined}"


def test_every_query_substitutes_completely(dashboards: dict[str, dict[str, Any]]) -> None:
    for dashboard in dashboards.values():
        values = dashboard_values(dashboard)
        for query in grafana.queries(dashboard):
            expr = grafana.substitute(query.expr, values)
            assert not grafana.variable_names(expr), f"{query}: {expr}"
            assert "[[" not in expr and "${" not in expr, f"{query}: {expr}"


def test_template_variables_are_replica_and_handler_lists_with_an_all_regex(
    dashboards: dict[str, dict[str, Any]],
) -> None:
    found = {}
    for uid, dashboard in dashboards.items():
        for variable in grafana.variables(dashboard):
            selector, label = grafana.parse_label_values(grafana.variable_query(variable))
            assert selector and 'job="demo_app"' in selector, f"{uid} ${variable['name']}"
            assert label == variable["name"]
            assert variable["datasource"] == {"type": "prometheus", "uid": "prometheus"}
            # Several replicas: pick any number of them, All matches every one, including a
            # replica that appears after the dashboard loaded (a regex, not a fixed list).
            assert variable["multi"] and variable["includeAll"], f"{uid} ${variable['name']}"
            assert variable["allValue"] == ".*"
            # Re-read on every time-range change, so new replicas and handlers show up.
            assert variable["refresh"] == 2
            found.setdefault(variable["name"], set()).add(uid)
    assert found["instance"] == {"playground-service-red", "playground-llm"}
    assert found["handler"] == {"playground-service-red"}


def test_variables_are_used_as_regex_matchers(dashboards: dict[str, dict[str, Any]]) -> None:
    # `=~`: "All" is `.*` and several values are `(a|b)`; `=` would match neither.
    for dashboard in dashboards.values():
        names = {v["name"] for v in grafana.variables(dashboard)}
        for query in grafana.queries(dashboard):
            for name in grafana.variable_names(query.expr) & names:
                uses = re.findall(rf'(\w+)\s*(=~|=|!=|!~)\s*"\${name}"', query.expr)
                assert uses and all(op == "=~" for _, op in uses), f"{query}: ${name}"


def test_locusts_exported_series_are_read_from_its_collector(locust_series: set[str]) -> None:
    assert {
        "locust_requests_total",
        "locust_request_failures_total",
        "locust_request_duration_seconds_bucket",
        "locust_users",
        "locust_workers",
        "locust_scenario_phase",
    } <= locust_series


def test_every_selected_metric_is_exported_by_demo_app_or_locust_or_recorded_in_both_profiles(
    dashboards: dict[str, dict[str, Any]],
    exported_series: set[str],
    locust_series: set[str],
    records: dict[str, set[str]],
) -> None:
    # A record name written out works in one profile only (its window is in the name).
    in_both = records["lab"] & records["realistic"]
    known = exported_series | locust_series | PROMETHEUS_SERIES | in_both
    texts = [(str(q), q.expr) for q in all_queries(dashboards)]
    texts += [
        (f"{uid} ${v['name']}", grafana.variable_query(v))
        for uid, d in dashboards.items()
        for v in grafana.variables(d)
    ]
    for where, text in texts:
        names, name_regexes = grafana.metric_selectors(text)
        assert names or name_regexes, f"{where}: selects nothing"
        assert names <= known, f"{where}: unknown {names - known}"
        for regex in name_regexes:
            matched = {
                profile: {name for name in found if re.fullmatch(regex, name)}
                for profile, found in records.items()
            }
            # The same records, one per window, whichever profile Prometheus loaded.
            assert matched["lab"] and len(matched["lab"]) == len(matched["realistic"]), (
                f"{where}: {regex} matches {matched}"
            )


def test_metric_selector_extraction() -> None:
    names, regexes = grafana.metric_selectors(
        'sum by (le) (rate(a_bucket{le="0.5", x="{y}"}[5m])) / b{} or vector(0)'
        ' + label_replace({__name__=~"c:d:rate(5m|30s)"}, "w", "$1", "__name__", "(.*)")'
    )
    assert names == {"a_bucket", "b"}
    assert regexes == {"c:d:rate(5m|30s)"}


@pytest.mark.tools
def test_every_query_parses(
    dashboards: dict[str, dict[str, Any]],
    tmp_path: Path,
) -> None:
    """promtool parses each query as a recording rule's expression, offline.

    Every query runs twice: everything on All, and with one awkward value selected for each
    variable, so Grafana's regex escaping must yield a valid regex too.
    """
    promtool = REPO_ROOT / ".tools" / "bin" / "promtool"
    if not promtool.is_file():
        pytest.skip("promtool is missing: run `make setup`")
    rules, where = [], []
    for dashboard in dashboards.values():
        selections = [None, {"handler": [AWKWARD_HANDLER, "/api/v1/messages"]}]
        for selected in selections:
            values = dashboard_values(dashboard, selected)
            for query in grafana.queries(dashboard):
                rules.append(
                    {
                        "record": f"dashboard:query:{len(rules)}",
                        "expr": grafana.substitute(query.expr, values),
                    }
                )
                where.append(str(query))
    path = tmp_path / "dashboards.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", "--lint=none", path], capture_output=True, text=True
    )
    index = "\n".join(f"dashboard:query:{i} = {w}" for i, w in enumerate(where))
    assert result.returncode == 0, f"{result.stdout}{result.stderr}\n{index}"
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_rate_interval_follows_grafanas_formula() -> None:
    # max($__interval + scrape interval, 4 x scrape interval)
    assert grafana.builtin_variables(1800, 5, 5)["__rate_interval"] == "20s"
    assert grafana.builtin_variables(86400, 60, 5)["__rate_interval"] == "65s"
    values = grafana.builtin_variables(3600, 15, 5)
    assert values["__range"] == "3600s" and values["__range_s"] == "3600"
    assert values["__interval"] == "15s" and values["__interval_ms"] == "15000"


def test_selected_values_are_regex_escaped_as_grafana_does() -> None:
    variable = {"name": "handler", "multi": True, "includeAll": True, "allValue": ".*"}
    assert grafana.variable_value(variable, [grafana.ALL]) == ".*"
    assert grafana.variable_value(variable, ["/api/v1/messages"]) == "/api/v1/messages"
    assert grafana.variable_value(variable, [AWKWARD_HANDLER, "a.b"]) == (
        r"(/api/v1/customers/\\{customer_id\\}|a\\.b)"
    )
    assert grafana.variable_value({"name": "x"}, ["a.b"]) == "a.b"


def test_substitution_leaves_regex_groups_and_rejects_unknown_variables() -> None:
    values = {"instance": ".*", "__rate_interval": "20s"}
    expr = 'label_replace(x{i=~"$instance"}[$__rate_interval], "$1")'
    assert grafana.substitute(expr, values) == 'label_replace(x{i=~".*"}[20s], "$1")'
    assert grafana.substitute("${instance:regex} [[instance]]", values) == ".* .*"
    with pytest.raises(KeyError, match=r"\$handler"):
        grafana.substitute('x{h=~"$handler"}', values)
