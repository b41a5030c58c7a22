"""Every query of every Grafana dashboard returns data from the live Prometheus after a short
run with faults: a panel that shows nothing is a bug.

Grafana cannot run here, so this test does what Grafana would: it substitutes the template
variables the way Grafana does (tests/support/grafana.py), resolves the variables'
label_values() through Prometheus's label API, and sends each panel's and annotation's
query to the session's native Prometheus, as a range query over the dashboard's time range
or as an instant query at its end. It first switches faults on through demo_app's admin API
so that the panels about failure have something to show: 5xx responses, LLM rate-limit
errors, the fault gauges, a fault preset and the alert it fires (DemoAppFaultActive, which
has no `for`). Each query must parse and return at least one finite value, and the panels
about the faults must show them; it is polled until a deadline, then the test fails naming
every query that still showed nothing, with what the stack saw. Faults are reset at the end,
whatever happens, so the other e2e tests (which share the stack) start from healthy.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from playground.native.stack import NativeStack
from tests.support import grafana

pytestmark = pytest.mark.e2e


# The whole test stays well under 90 s: the faults show within two scrapes and evaluations
# (5 s each), the queries need two samples of the first 5xx series.
DEADLINE_SECONDS = 75
POLL_SECONDS = 1.0
# The dashboard's time range as Grafana would send it: the last 10 minutes, at the step
# Grafana picks for it (never below the datasource's timeInterval, the 5 s scrape interval).
RANGE_SECONDS = 600
STEP_SECONDS = 5
SCRAPE_SECONDS = 5
# A custom fault state first (every kind of fault at once), then a preset.
CUSTOM_FAULTS = {
    "http_error_ratio": {"all": 0.3},
    "llm_extra_latency_seconds": 0.2,
    "llm_rate_limit_ratio": 0.5,
    "token_inflation_factor": 2.0,
}
PRESET = "error-storm"

Result = list[dict[str, Any]]


def values_of(series: dict[str, Any]) -> list[float]:
    """The finite values of one series of a range or instant result."""
    points = series.get("values") or [series["value"]]
    return [v for v in (float(point[1]) for point in points) if not math.isnan(v)]


def peak(result: Result, **labels: str) -> float:
    """The highest value of the series carrying these labels (0 if there is none)."""
    found = [
        value
        for series in result
        if all(series["metric"].get(k) == v for k, v in labels.items())
        for value in values_of(series)
    ]
    return max(found, default=0.0)


def labels_of(result: Result, label: str) -> set[str]:
    return {series["metric"].get(label, "") for series in result}


# What the panels about failure must show, beyond "some data": (uid, where, refId) →
# (what, check). The other queries only need one finite value.
FAULT_EVIDENCE: dict[tuple[str, str, str], tuple[str, Callable[[Result], bool]]] = {
    ("playground-service-red", "Request rate by status code", "A"): (
        "500 responses",
        lambda r: peak(r, status="500") > 0,
    ),
    ("playground-service-red", "Error ratio (5xx share)", "A"): (
        "a 5xx share above 0",
        lambda r: peak(r) > 0,
    ),
    ("playground-llm", "LLM errors by kind", "A"): (
        "rate_limit errors",
        lambda r: peak(r, kind="rate_limit") > 0,
    ),
    ("playground-slo", "Alerts pending or firing now", "A"): (
        "DemoAppFaultActive firing",
        lambda r: peak(r, alertname="DemoAppFaultActive", alertstate="firing") > 0,
    ),
    ("playground-slo", "Alert states over time", "A"): (
        "DemoAppFaultActive",
        lambda r: peak(r, alertname="DemoAppFaultActive") == 2,
    ),
    ("playground-slo", "Active faults", "A"): (
        f"the {PRESET} preset on",
        lambda r: peak(r, preset=PRESET) == 1,
    ),
    ("playground-slo", "Active faults", "B"): ("a 500 share", lambda r: peak(r, route="all") > 0),
    ("playground-slo", "Active faults", "C"): ("LLM extra latency", lambda r: peak(r) > 0),
    ("playground-slo", "Active faults", "D"): ("a rate-limit share", lambda r: peak(r) > 0),
    ("playground-slo", "Active faults", "E"): ("token inflation", lambda r: peak(r) > 1),
    ("playground-slo", "annotation Faults", "Anno"): (
        "a region for each kind of fault",
        lambda r: (
            {
                "HTTP 500 share",
                "LLM extra latency",
                "LLM rate-limit share",
                "token inflation",
                "preset",
            }
            <= labels_of(r, "fault")
        ),
    ),
}


@dataclass
class Check:
    """One query to run, and what it showed the last time."""

    name: str
    expr: str
    instant: bool
    evidence: tuple[str, Callable[[Result], bool]] | None = None
    outcome: str = "not run yet"

    def passes(self, result: Result) -> bool:
        if not any(values_of(series) for series in result):
            self.outcome = f"{len(result)} series, no finite value"
            return False
        if self.evidence and not self.evidence[1](result):
            self.outcome = f"data, but not {self.evidence[0]}: {summarise(result)}"
            return False
        return True


def summarise(result: Result, limit: int = 6) -> str:
    return "; ".join(
        f"{series['metric']} peak {max(values_of(series), default=float('nan')):g}"
        for series in result[:limit]
    )


class LivePrometheus:
    """Prometheus's query and label APIs, the way Grafana's datasource calls them."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10, trust_env=False)

    def close(self) -> None:
        self.http.close()

    def _data(self, path: str, params: dict[str, Any]) -> Any:
        body = self.http.post(path, data=params).json()
        if body.get("status") != "success":
            raise ValueError(f"{body.get('errorType')}: {body.get('error')}")
        return body["data"]

    def run(self, check: Check, now: float) -> Result:
        if check.instant:
            return self._data("/api/v1/query", {"query": check.expr, "time": now})["result"]
        params = {
            "query": check.expr,
            "start": now - RANGE_SECONDS,
            "end": now,
            "step": STEP_SECONDS,
        }
        return self._data("/api/v1/query_range", params)["result"]

    def label_values(self, selector: str | None, label: str, now: float) -> list[str]:
        """A label_values() template variable's options."""
        params: dict[str, Any] = {"start": now - RANGE_SECONDS, "end": now}
        if selector:
            params["match[]"] = selector
        response = self.http.get(f"/api/v1/label/{label}/values", params=params).json()
        if response.get("status") != "success":
            raise ValueError(f"{response.get('errorType')}: {response.get('error')}")
        return sorted(response["data"])


def dashboard_variables(prometheus: LivePrometheus, dashboard: dict[str, Any], now: float):
    """Each template variable's options, resolved like Grafana: chained variables first."""
    options: dict[str, list[str]] = {}
    values = grafana.builtin_variables(RANGE_SECONDS, STEP_SECONDS, SCRAPE_SECONDS)
    for variable in grafana.variables(dashboard):
        selector, label = grafana.parse_label_values(grafana.variable_query(variable))
        if selector:
            selector = grafana.substitute(selector, values)
        options[variable["name"]] = prometheus.label_values(selector, label, now)
        values[variable["name"]] = grafana.variable_value(variable, [grafana.ALL])
    return options, values


# Dashboards about Locust show data only while Locust runs: tests/e2e/test_load_metrics_live.py
# checks them during a real Locust run.
NEEDS_LOCUST = {"playground-load-test"}


def checks_for(prometheus: LivePrometheus, now: float, only: set[str] | None = None) -> list[Check]:
    """Every dashboard query on All, plus each variable's options selected one at a time.

    Args:
        only: The uids of the dashboards to check; by default every one that needs no Locust.
    """
    checks = []
    keys = set()
    for dashboard in grafana.load_dashboards().values():
        if dashboard["uid"] not in (only or {dashboard["uid"]} - NEEDS_LOCUST):
            continue
        options, values = dashboard_variables(prometheus, dashboard, now)
        for name, found in options.items():
            if not found:
                raise AssertionError(f"{dashboard['uid']}: ${name} has no options")
        covered: set[str] = set()
        for query in grafana.queries(dashboard):
            key = (query.dashboard, query.where, query.ref_id)
            keys.add(key)
            expr = grafana.substitute(query.expr, values)
            checks.append(Check(str(query), expr, query.instant, FAULT_EVIDENCE.get(key)))
            # Each option alone, in the first query that uses the variable: the escaped
            # value must match its own series (e.g. /api/v1/customers/{customer_id}).
            for variable in grafana.variables(dashboard):
                name = variable["name"]
                if name in covered or name not in grafana.variable_names(query.expr):
                    continue
                covered.add(name)
                for option in options[name]:
                    one = {**values, name: grafana.variable_value(variable, [option])}
                    expr = grafana.substitute(query.expr, one)
                    checks.append(Check(f"{query} ${name}={option}", expr, query.instant))
    evidence = {key for key in FAULT_EVIDENCE if only is None or key[0] in only}
    assert evidence <= keys, f"no such queries: {evidence - keys}"
    return checks


def wait_for(what: str, condition: Callable[[], bool], deadline: float, stack: NativeStack) -> None:
    while time.monotonic() < deadline:
        stack.check_alive()
        if condition():
            return
        time.sleep(POLL_SECONDS)
    pytest.fail(f"Timed out waiting for {what}.\n{stack.diagnostics()}")


def test_every_dashboard_query_returns_data_after_a_run_with_faults(
    native_stack: NativeStack, traffic: Any
) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    prometheus = LivePrometheus(native_stack.urls.prometheus)

    def shows(expr: str) -> bool:
        return bool(native_stack.prometheus.query(expr))

    try:
        native_stack.demo_app.set_faults(CUSTOM_FAULTS)
        wait_for(
            "the custom faults' effects in Prometheus (500s, LLM rate limits)",
            lambda: (
                shows('increase(http_requests_total{job="demo_app", status="500"}[30s]) > 0')
                and shows('increase(llm_errors_total{job="demo_app", kind="rate_limit"}[30s]) > 0')
            ),
            deadline,
            native_stack,
        )
        native_stack.demo_app.apply_preset(PRESET)
        wait_for(
            f"DemoAppFaultActive firing for the {PRESET} preset",
            lambda: shows('ALERTS{alertname="DemoAppFaultActive", alertstate="firing"}'),
            deadline,
            native_stack,
        )
        pending = checks_for(prometheus, time.time())
        while pending and time.monotonic() < deadline:
            native_stack.check_alive()
            now = time.time()
            for check in list(pending):
                try:
                    result = prometheus.run(check, now)
                except ValueError as error:
                    check.outcome = f"Prometheus refused it: {error}"
                    continue
                if check.passes(result):
                    pending.remove(check)
            if pending:
                time.sleep(POLL_SECONDS)
    finally:
        native_stack.demo_app.reset()
        prometheus.close()
    report = "\n".join(f"- {c.name}: {c.outcome}\n    {c.expr}" for c in pending)
    assert not pending, (
        f"{len(pending)} dashboard queries showed nothing within {DEADLINE_SECONDS} s:\n{report}\n"
        f"traffic so far: {traffic.snapshot()}\n{native_stack.diagnostics()}"
    )
