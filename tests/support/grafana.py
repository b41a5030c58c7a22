"""The playground's Grafana dashboards as data: panels, PromQL queries, Grafana's variable
substitution, grid geometry and datasource references.

Pure functions, shared by the static checks (tests/grafana/) and the live check against a
real Prometheus (tests/e2e/test_dashboards_live.py); both import it as tests.support.grafana.

Grafana cannot run where these tests run, so the few things Grafana does to a query before
Prometheus sees it are reproduced here, from Grafana's documentation and source:

- ``$__interval`` is the query step; ``$__rate_interval`` is
  max($__interval + scrape interval, 4 x scrape interval), the scrape interval being the
  datasource's ``timeInterval`` (Ref: https://grafana.com/docs/grafana/latest/datasources/prometheus/template-variables/).
- ``$__range`` is the dashboard's time range.
- A multi-value or include-All variable becomes its ``allValue`` when "All" is selected,
  else its values with regex characters escaped (the Prometheus datasource's
  ``prometheusSpecialRegexEscape``), several joined as ``(a|b)``.
"""

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.core.paths import REPO_ROOT

GRAFANA_DIR = REPO_ROOT / "grafana"
DASHBOARDS_DIR = GRAFANA_DIR / "dashboards"
PROVISIONING_DIR = GRAFANA_DIR / "provisioning"
# A dashboard grid is 24 columns wide (Grafana's GRID_COLUMN_COUNT).
GRID_COLUMNS = 24
# What the dashboards use for "All": a regex matching every value.
ALL = "$__all"

# Grafana's variable syntax: $name, ${name}, ${name:format}, [[name]].
_VARIABLE = re.compile(r"\$(\w+)|\$\{(\w+)(?::[^}]+)?\}|\[\[(\w+)(?::\w+)?\]\]")
_LABEL_VALUES = re.compile(r"^\s*label_values\((?:(?P<selector>.+),\s*)?(?P<label>\w+)\)\s*$", re.S)
# `name{` in PromQL: a metric selector (functions are followed by `(`, never `{`).
_METRIC_SELECTOR = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")
_NAME_REGEX_SELECTOR = re.compile(r'__name__\s*=~\s*"([^"]+)"')
# Characters the Prometheus datasource escapes in a regex-matched variable value.
_REGEX_SPECIAL = re.compile(r"[$^*{}\[\]'+?.()|]")


@dataclass(frozen=True)
class Query:
    """One PromQL expression a dashboard sends to Prometheus.

    Attributes:
        dashboard: The dashboard's uid.
        where: The panel's title, or ``annotation <name>``.
        ref_id: The target's refId.
        expr: The expression as written, variables unsubstituted.
        instant: Whether Grafana runs it as an instant query (at the range's end).
    """

    dashboard: str
    where: str
    ref_id: str
    expr: str
    instant: bool

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.where} / {self.ref_id}"


def load_dashboards(folder: Path = DASHBOARDS_DIR) -> dict[Path, dict[str, Any]]:
    """Every ``*.json`` in the folder, parsed, by path."""
    return {path: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}


def panels(dashboard: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, including those inside collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def queries(dashboard: Mapping[str, Any]) -> list[Query]:
    """Every PromQL expression of the panels and annotations."""
    uid = dashboard["uid"]
    found = [
        Query(uid, panel["title"], target["refId"], target["expr"], bool(target.get("instant")))
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]
    for annotation in dashboard.get("annotations", {}).get("list", []):
        target = annotation.get("target") or {}
        if "expr" in target:
            where = f"annotation {annotation['name']}"
            found.append(Query(uid, where, target.get("refId", "Anno"), target["expr"], False))
    return found


def variables(dashboard: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The dashboard's template variables."""
    return list(dashboard.get("templating", {}).get("list", []))


def variable_query(variable: Mapping[str, Any]) -> str:
    """The query string of a query variable (Grafana stores a string or an object)."""
    query = variable.get("query", "")
    return query.get("query", "") if isinstance(query, dict) else query


def parse_label_values(query: str) -> tuple[str | None, str]:
    """``label_values(selector, label)`` → (selector or None, label).

    Raises:
        ValueError: The query is another kind (only label_values is used here).
    """
    match = _LABEL_VALUES.match(query)
    if match is None:
        raise ValueError(f"not a label_values() query: {query!r}")
    return match["selector"], match["label"]


def datasource_refs(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every ``datasource`` key anywhere in a dashboard."""
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{where}.{key}" if where else key
            if key == "datasource":
                yield path, value
            yield from datasource_refs(value, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from datasource_refs(value, f"{where}[{index}]")


def grid_problems(dashboard: Mapping[str, Any]) -> list[str]:
    """Panels that leave the 24-column grid or overlap another panel."""
    problems = []
    placed: list[tuple[str, int, int, int, int]] = []
    for panel in panels(dashboard):
        pos = panel.get("gridPos")
        title = panel.get("title", f"id {panel.get('id')}")
        if pos is None:
            problems.append(f"{title}: no gridPos")
            continue
        x, y, w, h = (pos.get(key) for key in ("x", "y", "w", "h"))
        if not all(isinstance(v, int) for v in (x, y, w, h)):
            problems.append(f"{title}: gridPos values must be integers: {pos}")
            continue
        if x < 0 or y < 0 or w < 1 or h < 1 or x + w > GRID_COLUMNS:
            problems.append(f"{title}: gridPos {pos} is outside the {GRID_COLUMNS}-column grid")
        for other, ox, oy, ow, oh in placed:
            if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                problems.append(f"{title}: overlaps {other}")
        placed.append((title, x, y, w, h))
    return problems


def seconds(value: float) -> str:
    """A duration as Prometheus reads it, in whole seconds or milliseconds."""
    return f"{value:g}s" if float(value).is_integer() else f"{round(value * 1000)}ms"


def builtin_variables(
    range_seconds: float, interval_seconds: float, scrape_interval_seconds: float
) -> dict[str, str]:
    """Grafana's global variables for a query over ``range_seconds`` at this step.

    Args:
        range_seconds: The dashboard's time range.
        interval_seconds: ``$__interval``, the query step (never below the scrape interval).
        scrape_interval_seconds: The datasource's ``timeInterval``.
    """
    rate_interval = max(interval_seconds + scrape_interval_seconds, 4 * scrape_interval_seconds)
    return {
        "__interval": seconds(interval_seconds),
        "__interval_ms": f"{interval_seconds * 1000:g}",
        "__rate_interval": seconds(rate_interval),
        "__rate_interval_ms": f"{rate_interval * 1000:g}",
        "__range": seconds(range_seconds),
        "__range_s": f"{range_seconds:g}",
        "__range_ms": f"{range_seconds * 1000:g}",
    }


def regex_escape(value: str) -> str:
    """A variable value as the Prometheus datasource writes it into a regex matcher.

    Each special character gets two backslashes: the PromQL string literal turns them into
    one, which the regex then reads as "this character, literally".
    """
    return _REGEX_SPECIAL.sub(lambda match: "\\\\" + match.group(), value.replace("\\", "\\\\\\\\"))


def variable_value(variable: Mapping[str, Any], selected: Sequence[str]) -> str:
    """What Grafana writes for a variable with these values selected (``[ALL]`` for All)."""
    if list(selected) == [ALL]:
        if not variable.get("includeAll"):
            raise ValueError(f"${variable['name']} has no All option")
        return variable.get("allValue") or "(" + "|".join(map(regex_escape, selected)) + ")"
    if not (variable.get("multi") or variable.get("includeAll")):
        (only,) = selected
        return only
    escaped = [regex_escape(value) for value in selected]
    return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """Replace every Grafana variable in an expression.

    ``$1``-style names (label_replace's regex groups) are not variables and stay as they
    are, as in Grafana.

    Raises:
        KeyError: A variable has no value: Grafana would send it to Prometheus verbatim.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        if name.isdigit():
            return match.group()
        if name not in values:
            raise KeyError(f"${name} has no value in {expr!r}")
        return values[name]

    return _VARIABLE.sub(replace, expr)


def variable_names(expr: str) -> set[str]:
    """The Grafana variables an expression uses (not ``$1`` regex groups)."""
    names = {next(g for g in match.groups() if g) for match in _VARIABLE.finditer(expr)}
    return {name for name in names if not name.isdigit()}


def metric_selectors(expr: str) -> tuple[set[str], set[str]]:
    """(metric names, ``__name__`` regexes) an expression selects.

    Every selector in the dashboards is written with braces (``up{job!=""}``), so
    ``name{`` finds them all without a PromQL parser; label matchers inside the braces
    never contain ``{``.
    """
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    names = set(_METRIC_SELECTOR.findall(without_strings))
    return names, set(_NAME_REGEX_SELECTOR.findall(expr))
