"""Guided labs (docs/labs/): the catalogue, and the checks `playground lab verify N` runs.

Each lab's verify asks the running stack (Prometheus, Alertmanager, the alert receiver,
demo_app) whether the lab was done: the alert fired and its notifications arrived, the bad
metric hit its cap, a silence muted a real alert... It prints one line per check, PASS or
what is missing and what to do, and exits 0 only when every check passes. The command
itself is playground/cli/lab.py; this module only checks.

"Was done" looks back over a window (``--within``, 3h by default): Prometheus keeps ALERTS
and every metric for days, the receiver keeps its last notifications in memory.
"""

import functools
import itertools
import math
import re
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from playground.configs.rule_profiles import live_profile, parse_duration_ms, scale_query
from playground.core.clients import (
    AlertmanagerClient,
    DemoAppAdminClient,
    PrometheusClient,
    ReceiverClient,
    StackApiError,
    StackUnavailableError,
    sample_value,
)
from playground.core.errors import PlaygroundError
from playground.core.paths import REPO_ROOT
from playground.core.settings import AlertProfile, PlaygroundSettings
from playground.native.processes import PidRecord
from playground.native.stack import RunPaths, StackUrls
from playground.scenarios.predictions import AlertConfig, alert_config
from playground.scenarios.timings import AlertTiming, about, alert_timing

LABS_DIR = REPO_ROOT / "docs" / "labs"
DEFAULT_WITHIN = "3h"
# How many scrapes of demo_app's /metrics lab 6 compares, each on a new connection (so each
# may reach another worker).
WORKER_SCRAPES = 6
# Lab 5: one scrape interval (5 s) plus a little, around the demo's growth.
SCRAPE_MARGIN_SECONDS = 10
# Lab 6: requests in the recent window that count as "the load is running".
MIN_RECENT_REQUESTS = 10
# Lab 4's alert: the fast burn of the availability SLO.
FAST_BURN = ("DemoAppErrorBudgetBurn", {"burn": "fast"})


@dataclass(frozen=True)
class Check:
    """One thing verify looked at: what, whether it holds, and what was seen or is missing."""

    name: str
    passed: bool
    detail: str


# --- the stack's APIs, with the few calls the labs need beyond playground.core.clients ------------


class LabPrometheus(PrometheusClient):
    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict]:
        """A range query's ``result`` (a matrix: ``metric`` and ``values`` per series)."""
        return self._data("query_range", query=expr, start=start, end=end, step=step)["result"]


class LabAlertmanager(AlertmanagerClient):
    def silences(self) -> list[dict[str, Any]]:
        """Every silence Alertmanager knows, active, pending or expired."""
        return self._json("GET", "/api/v2/silences")


class LabDemoApp(DemoAppAdminClient):
    def cardinality_demo(self) -> dict[str, Any]:
        """Lab 5's switch: ``enabled``, ``series``, ``max_series``."""
        return self._json("GET", "/admin/cardinality-demo")

    def metrics_text(self) -> str:
        """One scrape of /metrics on a new connection (it may reach any worker)."""
        try:
            response = httpx.get(f"{self.base_url}/metrics", timeout=5, trust_env=False)
        except httpx.TransportError as exc:
            raise StackUnavailableError(f"GET {self.base_url}/metrics failed: {exc}") from exc
        response.raise_for_status()
        return response.text

    def route_templates(self) -> set[str]:
        """Every path template the API declares (its OpenAPI schema)."""
        return set(self._json("GET", "/openapi.json")["paths"])


class LiveStack:
    """The running stack as the labs see it.

    Args:
        urls: Where each part answers.
        run_dir: The run folder (pid records, admin token).
        profile: The alert profile Prometheus runs; None: ask Prometheus (fallback: lab).
    """

    def __init__(self, urls: StackUrls, run_dir: Path, profile: AlertProfile | None = None):
        self.urls = urls
        self.paths = RunPaths(run_dir)
        self.prometheus = LabPrometheus(urls.prometheus)
        self.alertmanager = LabAlertmanager(urls.alertmanager)
        self.receiver = ReceiverClient(urls.alert_receiver)
        token = (
            self.paths.admin_token.read_text().strip() if self.paths.admin_token.exists() else ""
        )
        self.demo_app = LabDemoApp(urls.demo_app, token)
        self.profile: AlertProfile = profile or live_profile(self.prometheus) or "lab"

    @classmethod
    def from_settings(cls, settings: PlaygroundSettings) -> "LiveStack":
        return cls(StackUrls.from_settings(settings), settings.PLAYGROUND_RUN_DIR)

    def close(self) -> None:
        for client in (self.prometheus, self.alertmanager, self.receiver, self.demo_app):
            client.close()

    def scaled(self, expr: str) -> str:
        """A realistic-profile expression as it runs under the live profile."""
        return scale_query(expr, self.profile)

    def values(self, expr: str) -> list[tuple[dict[str, str], float]]:
        """An instant query, run as written: (labels, value) per sample."""
        return [(s["metric"], sample_value(s)) for s in self.prometheus.query(expr)]

    def number(self, expr: str) -> float | None:
        """The value of a query that returns at most one sample; None for no data or NaN."""
        values = [value for _, value in self.values(expr) if not math.isnan(value)]
        return values[0] if values else None

    def demo_app_pid(self) -> int | None:
        """The pid of the running demo_app (uvicorn's parent process), from its pid record."""
        for record in PidRecord.load_all(self.paths.pids):
            if record.name == "demo_app" and record.is_alive():
                return record.pid
        return None

    @functools.cached_property
    def alert_config(self) -> AlertConfig:
        """The rules and routes the stack runs, as the predictions read them."""
        return alert_config(
            self.prometheus.rule_groups(),
            self.prometheus.config_yaml(),
            self.alertmanager.config_yaml(),
        )

    def timing(self, alertname: str, **labels: str) -> AlertTiming | None:
        """How long the alert takes, predicted from the live configs and fault presets."""
        try:
            return alert_timing(
                self.alert_config, self.demo_app.faults(), self.profile, alertname, **labels
            )
        except StackApiError:
            return None

    def hint(self, alertname: str, wait: str, **labels: str) -> str:
        """``wait`` (an AlertTiming field) of the alert, as a learner reads it."""
        timing = self.timing(alertname, **labels)
        return "a few minutes" if timing is None else about(getattr(timing, wait))

    def group_wait(self, alertname: str) -> float:
        """The group_wait of the route the alert takes, from the live Alertmanager."""
        return self.alert_config.intervals(alertname).group_wait


# --- small pieces shared by the checks --------------------------------------------------------


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


def matcher_matches(matcher: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether one Alertmanager matcher (API v2: name, value, isRegex, isEqual) matches."""
    value = labels.get(matcher["name"], "")
    if matcher.get("isRegex"):
        hit = re.fullmatch(matcher["value"], value) is not None
    else:
        hit = value == matcher["value"]
    return hit if matcher.get("isEqual", True) else not hit


def silence_matches(silence: dict[str, Any], labels: dict[str, str]) -> bool:
    """Whether a silence's matchers all match an alert's labels."""
    return all(matcher_matches(m, labels) for m in silence["matchers"])


def notified_alerts(
    notifications: Iterable[dict[str, Any]], status: str = "firing"
) -> list[tuple[datetime, dict[str, str]]]:
    """(received_at, labels) of every alert with ``status`` inside the notifications."""
    return [
        (_utc(note["received_at"]), alert["labels"])
        for note in notifications
        for alert in note["alerts"]
        if alert["status"] == status
    ]


def _handler_check(live: LiveStack) -> Check:
    """Unknown paths add no series: every handler label is a route template of the API."""
    templates = live.demo_app.route_templates()
    handlers = {
        labels.get("handler", "")
        for labels, _ in live.values('count by (handler) (http_requests_total{job="demo_app"})')
    }
    strays = sorted(handlers - templates)
    return Check(
        "unknown paths add no series (every handler label is a route template)",
        not strays,
        f"{len(handlers)} handler values, all route templates"
        if not strays
        else f"handler values that are not routes: {strays[:5]}: should_ignore_untemplated "
        "is not in force",
    )


# --- the labs ---------------------------------------------------------------------------------


def _peak(live: LiveStack, record: str, within: str) -> float | None:
    """The highest value a recorded series (named as in the realistic profile) took."""
    return live.number(f"max(max_over_time({live.scaled(record)}[{within}]))")


def verify_explore_metrics(live: LiveStack, within: str) -> list[Check]:
    """Lab 1: the learner's requests are recorded as the instrumentator's options say."""
    up = live.number('max(up{job="demo_app"})')
    checks = [
        Check(
            "Prometheus scrapes demo_app",
            up == 1,
            "up == 1" if up == 1 else f"up is {up}: is `playground up` running?",
        )
    ]
    turn = live.values(
        'http_requests_total{job="demo_app",handler="/api/v1/messages",method="POST",status="200"}'
    )
    checks.append(
        Check(
            "your agent turn is recorded under its route, with status 200",
            bool(turn),
            f"{turn[0][1]:g} turns so far"
            if turn
            else "no successful POST /api/v1/messages yet: send one (step 2), then wait one "
            "scrape (5 s)",
        )
    )
    unknown = live.values(
        'http_requests_total{job="demo_app",handler="/api/v1/customers/{customer_id}",status="404"}'
    )
    checks.append(
        Check(
            "an unknown customer is recorded under the template, with the literal status 404",
            bool(unknown),
            "handler=/api/v1/customers/{customer_id}, status=404"
            if unknown
            else "no 404 on the customer route yet: look up an unknown customer (step 3)",
        )
    )
    statuses = {
        labels.get("status", "")
        for labels, _ in live.values('count by (status) (http_requests_total{job="demo_app"})')
    }
    coded = live.values('count(http_requests_total{job="demo_app",code!=""})')
    literal = bool(statuses) and all(re.fullmatch(r"\d{3}", s) for s in statuses) and not coded
    checks.append(
        Check(
            "the status label is `status`, with literal codes (no `code` label)",
            literal,
            f"status values {sorted(statuses)}"
            if literal
            else f"status values {sorted(statuses)}, `code` series: {len(coded)}",
        )
    )
    probes = 'handler=~"/health|/ready|/metrics"'
    excluded = live.values(f'count by (handler) (http_requests_total{{job="demo_app",{probes}}})')
    checks.append(
        Check(
            "/health, /ready and /metrics are not recorded",
            not excluded,
            "none of them has a series"
            if not excluded
            else f"recorded: {[labels['handler'] for labels, _ in excluded]}",
        )
    )
    checks.append(_handler_check(live))
    return checks


def _alert_lifecycle(live: LiveStack, alertname: str, within: str, how: str) -> list[Check]:
    """The alert fired, was notified, resolved and was notified resolved, within the window."""
    fired = live.values(
        f'max_over_time(ALERTS{{alertname="{alertname}",alertstate="firing"}}[{within}])'
    )
    fires_in = live.hint(alertname, "fires_within")
    checks = [
        Check(
            f"{alertname} fired in Prometheus",
            bool(fired),
            f"firing at some point in the last {within}"
            if fired
            else f"{alertname} has not fired in the last {within}: {how}, then wait (it fires "
            f"within about {fires_in} in the {live.profile} profile)",
        )
    ]
    since = datetime.fromtimestamp(time.time() - parse_duration_ms(within) / 1000, UTC)
    notes = live.receiver.notifications(alertname=alertname, since=since)
    firing = [t for t, labels in notified_alerts(notes) if labels.get("alertname") == alertname]
    checks.append(
        Check(
            f"the receiver got a firing {alertname} notification",
            bool(firing),
            f"last one at {_when(max(firing))}"
            if firing
            else "none yet: Alertmanager sends it group_wait "
            f"({live.group_wait(alertname):g} s) after the alert fires",
        )
    )
    resolved = [
        t
        for t, labels in notified_alerts(notes, "resolved")
        if labels.get("alertname") == alertname and (not firing or t > max(firing))
    ]
    resolved_in = live.hint(alertname, "resolved_notified_within")
    checks.append(
        Check(
            f"a resolved {alertname} notification came after it",
            bool(resolved),
            f"at {_when(max(resolved))}"
            if resolved
            else "none yet: reset the faults (`playground faults reset`) and wait; the "
            f"resolved notification arrives within about {resolved_in} ({live.profile})",
        )
    )
    active = [a for a in live.prometheus.alerts() if a["labels"].get("alertname") == alertname]
    checks.append(
        Check(
            f"{alertname} is inactive now",
            not active,
            "not pending, not firing"
            if not active
            else f"still {active[0]['state']}: is the fault still on? (`playground faults`)",
        )
    )
    return checks


def verify_high_error_rate(live: LiveStack, within: str) -> list[Check]:
    """Lab 2: HighErrorRate fired, notified, resolved and notified resolved."""
    return _alert_lifecycle(
        live, "HighErrorRate", within, "switch on `playground faults preset error-storm`"
    )


def verify_slow_llm(live: LiveStack, within: str) -> list[Check]:
    """Lab 3: SlowLLM's lifecycle, and the p95 above 10 s that only buckets past 10 make."""
    checks = _alert_lifecycle(
        live, "SlowLLM", within, "switch on `playground faults preset slow-llm` under load"
    )
    peak = _peak(live, 'job:llm_call_duration_seconds:p95_rate5m{job="demo_app"}', within)
    checks.append(
        Check(
            "the recorded p95 went past 10 s",
            peak is not None and peak > 10,
            f"peak p95 {peak:.2f} s" if peak is not None else "no p95 recorded: no LLM calls",
        )
    )
    top = live.values('count by (le) (llm_call_duration_seconds_bucket{job="demo_app"})')
    bounds = sorted(float(labels["le"]) for labels, _ in top if labels["le"] != "+Inf")
    checks.append(
        Check(
            "llm_call_duration_seconds has buckets above 10 s",
            bool(bounds) and bounds[-1] > 10,
            f"highest finite bucket {bounds[-1]:g} s" if bounds else "no LLM histogram scraped",
        )
    )
    return checks


def _first_firing(live: LiveStack, selector: str, within: str) -> float | None:
    """When the alert was first seen firing in the window (Unix seconds), from ALERTS."""
    return live.number(
        f'min(min_over_time(timestamp(ALERTS{{alertstate="firing",{selector}}})[{within}:]))'
    )


def verify_slos(live: LiveStack, within: str) -> list[Check]:
    """Lab 4: the fast burn-rate alert and HighErrorRate both fired on the same fault."""
    burn_alert, burn_labels = FAST_BURN
    burn = f'alertname="{burn_alert}",' + ",".join(f'{k}="{v}"' for k, v in burn_labels.items())
    threshold = 'alertname="HighErrorRate"'
    firsts: dict[str, float | None] = {}
    checks = []
    for title, selector, alertname, labels in (
        (f"{burn_alert} (burn=fast)", burn, burn_alert, burn_labels),
        ("HighErrorRate", threshold, "HighErrorRate", {}),
    ):
        first = firsts[alertname] = _first_firing(live, selector, within)
        checks.append(
            Check(
                f"{title} fired",
                first is not None,
                f"first seen firing at {_when(datetime.fromtimestamp(first, UTC))}"
                if first is not None
                else f"not in the last {within}: run `playground faults preset error-storm` "
                f"and wait about {live.hint(alertname, 'fires_within', **labels)} "
                f"({live.profile})",
            )
        )
    burn_first, threshold_first = firsts[burn_alert], firsts["HighErrorRate"]
    if burn_first is not None and threshold_first is not None:
        lead = threshold_first - burn_first
        checks.append(
            Check(
                "compare: which paged first",
                True,
                f"the burn-rate alert fired {abs(lead):.0f} s "
                f"{'before' if lead >= 0 else 'after'} HighErrorRate",
            )
        )
    # The rule's long window, its burn rate and the SLO's budget, as the live rules say.
    rules = [
        rule
        for rule in live.alert_config.rules.get(burn_alert, ())
        if all(rule.labels.get(k) == v for k, v in burn_labels.items())
    ]
    clause = max(rules[0].burn_clauses, key=lambda c: c.window_seconds)
    errors = 'handler:http_request_errors:ratio_rate1h{job="demo_app",handler="/api/v1/messages"}'
    peak_ratio = _peak(live, errors, within)
    burn_rate = None if peak_ratio is None else peak_ratio / clause.budget
    checks.append(
        Check(
            f"the 1h burn rate went past {clause.burn_rate:g}",
            burn_rate is not None and burn_rate > clause.burn_rate,
            f"peak burn rate {burn_rate:.1f}" if burn_rate is not None else "no traffic recorded",
        )
    )
    return checks


def _head_growth_check(live: LiveStack, cap: int, within: str) -> Check:
    """Prometheus created at least ``cap`` head series between the demo's start and its cap."""
    series = 'count(demo_bad_customer_lookups_total{job="demo_app"})'
    started = live.number(f"min_over_time(timestamp({series} >= 1)[{within}:])")
    capped = live.number(f"min_over_time(timestamp({series} >= {cap})[{within}:])")
    name = f"Prometheus created at least {cap} head series as it grew"
    if started is None or capped is None:
        return Check(name, False, "the demo did not reach its cap, so nothing to compare")
    # One scrape interval either side: the series arrive with the scrape after the lookups.
    seconds = math.ceil(capped - started) + 2 * SCRAPE_MARGIN_SECONDS
    created = live.prometheus.query(
        f'sum(increase(prometheus_tsdb_head_series_created_total{{job="prometheus"}}[{seconds}s]))',
        time=capped + SCRAPE_MARGIN_SECONDS,
    )
    count = sample_value(created[0]) if created else 0.0
    return Check(
        name,
        count >= cap,
        f"{count:.0f} series created in the head in the {seconds} s it took",
    )


def verify_cardinality(live: LiveStack, within: str) -> list[Check]:
    """Lab 5: the capped bad metric grew to its cap, the head grew, and it is off again."""
    try:
        demo = live.demo_app.cardinality_demo()
    except StackApiError as exc:
        raise PlaygroundError(
            f"Cannot read demo_app's cardinality switch ({exc}): lab 5 needs the native stack "
            "started by `playground up` from this folder (its admin token is in .run/)."
        ) from None
    cap = int(demo["max_series"])
    peak = live.number(
        f'max_over_time(count(demo_bad_customer_lookups_total{{job="demo_app"}})[{within}:])'
    )
    reached = peak is not None and peak >= cap
    checks = [
        Check(
            f"demo_bad_customer_lookups_total reached its cap of {cap} series",
            reached,
            f"peak {peak:g} series"
            if reached
            else f"peak {peak or 0:g} series: switch the demo on and look up more than {cap} "
            "different customers (steps 2 and 3)",
        ),
        Check(
            "it never went past the cap",
            peak is None or peak <= cap,
            f"peak {peak or 0:g} <= {cap}",
        ),
    ]
    checks.append(_head_growth_check(live, cap, within))
    now = live.values('count(demo_bad_customer_lookups_total{job="demo_app"})')
    off = not demo["enabled"] and not now
    checks.append(
        Check(
            "the demo is switched off again and its series are gone from the scrape",
            off,
            "off; no demo_bad_customer_lookups_total series in the last scrape"
            if off
            else "still on: switch it off (step 5)"
            if demo["enabled"]
            else "off, but Prometheus still has its series: wait one scrape (5 s)",
        )
    )
    checks.append(_handler_check(live))
    return checks


def spawned_children(parent: int, ps_output: str) -> list[int]:
    """The children of ``parent`` started by multiprocessing's spawn, in ``ps`` output.

    Args:
        parent: The parent's pid.
        ps_output: ``ps -A -ww -o pid= -o ppid= -o args=``: pid, parent pid, command line.
    """
    workers = []
    for line in ps_output.splitlines():
        fields = line.split(None, 2)
        if len(fields) == 3 and fields[1] == str(parent) and "spawn_main" in fields[2]:
            workers.append(int(fields[0]))
    return sorted(workers)


def worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes, from ``ps`` (the same on Linux and macOS; no /proc).

    ``-ww`` keeps ``ps`` from cutting command lines to a terminal width (COLUMNS).
    """
    listing = subprocess.run(
        ["ps", "-A", "-ww", "-o", "pid=", "-o", "ppid=", "-o", "args="],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return spawned_children(parent, listing.stdout)


def _total_requests(metrics_text: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
        if sample.name == "http_requests_total"
    )


def verify_workers(live: LiveStack, within: str) -> list[Check]:
    """Lab 6: several workers in multiprocess mode; every scrape sees every worker's counts."""
    pid = live.demo_app_pid()
    workers = worker_pids(pid) if pid else []
    checks = [
        Check(
            "demo_app runs two or more worker processes",
            len(workers) >= 2,
            f"{len(workers)} workers (pids {workers})"
            if len(workers) >= 2
            else "one process: stop the stack and start it with `DEMO_APP_WORKERS=2 playground up`"
            if pid
            else "no running demo_app recorded in this run folder: is `playground up` running?",
        )
    ]
    text = live.demo_app.metrics_text()
    multiprocess = "process_cpu_seconds_total" not in text and "http_requests_total" in text
    checks.append(
        Check(
            "prometheus-client runs in multiprocess mode",
            multiprocess,
            "no process_* metrics: the multiprocess collector answers the scrape"
            if multiprocess
            else "/metrics carries process_* metrics: one process answers alone",
        )
    )
    totals = [_total_requests(text)]
    for _ in range(WORKER_SCRAPES - 1):
        totals.append(_total_requests(live.demo_app.metrics_text()))
    steady = all(b >= a for a, b in itertools.pairwise(totals))
    checks.append(
        Check(
            "scrapes on new connections never go backwards",
            steady,
            f"requests in {WORKER_SCRAPES} scrapes: {[f'{t:g}' for t in totals]}",
        )
    )
    window = live.scaled("5m")
    recent = live.number(f'sum(increase(http_requests_total{{job="demo_app"}}[{window}]))')
    resets = live.number(f'sum(resets(http_requests_total{{job="demo_app"}}[{window}]))')
    loaded = recent is not None and recent >= MIN_RECENT_REQUESTS
    checks.append(
        Check(
            f"load ran in the last {window}",
            loaded,
            f"{recent:.0f} requests"
            if loaded
            else f"{recent or 0:.0f} requests: run the load (`playground scenario baseline`)",
        )
    )
    checks.append(
        Check(
            f"Prometheus saw no counter reset in the last {window}",
            loaded and resets == 0,
            f"resets: {resets:g}"
            if resets is not None
            else "no http_requests_total series scraped",
        )
    )
    return checks


def _silence_window(silence: dict[str, Any], now: float) -> tuple[float, float]:
    start = _utc(silence["startsAt"]).timestamp()
    return start, min(_utc(silence["endsAt"]).timestamp(), now)


def _firing_during(live: LiveStack, start: float, end: float) -> list[dict[str, str]]:
    """Label sets of every alert Prometheus had firing between two moments."""
    step = max(5.0, (end - start) / 1000)
    series = live.prometheus.query_range('ALERTS{alertstate="firing"}', start, end, step)
    return [
        {k: v for k, v in s["metric"].items() if k not in ("__name__", "alertstate")}
        for s in series
    ]


def verify_silences_and_inhibition(live: LiveStack, within: str) -> list[Check]:
    """Lab 7: a silence muted a real alert, and an inhibition is holding one back now."""
    now = time.time()
    oldest = now - parse_duration_ms(within) / 1000
    silences = [
        s
        for s in live.alertmanager.silences()
        if _utc(s["endsAt"]).timestamp() >= oldest and s["status"]["state"] != "pending"
    ]
    alerts = live.alertmanager.alerts()
    since = datetime.fromtimestamp(oldest, UTC)
    notified = notified_alerts(live.receiver.notifications(since=since))
    # A silence counts when an alert matching it was active while it was: held by
    # Alertmanager now, or firing in Prometheus during its time.
    muted: list[tuple[dict[str, Any], dict[str, str]]] = []
    for silence in silences:
        held = [a["labels"] for a in alerts if silence["id"] in a["status"]["silencedBy"]]
        start, end = _silence_window(silence, now)
        fired = [
            labels
            for labels in _firing_during(live, start, end)
            if silence_matches(silence, labels)
        ]
        muted += [(silence, labels) for labels in held or fired]
    checks = [
        Check(
            "you created a silence",
            bool(silences),
            f"{len(silences)} silence(s) in the last {within}"
            if silences
            else f"no silence in the last {within}: add one with amtool (step 1)",
        ),
        Check(
            "it silenced an alert",
            bool(muted),
            f"{muted[0][1].get('alertname')} was silenced by {muted[0][0]['id'][:8]}"
            if muted
            else "no alert matched a silence while it was active: fire the alert it covers "
            "(step 2) before it expires",
        ),
    ]
    leaked = [
        labels
        for silence, labels in muted
        for at, notified_labels in notified
        if notified_labels == labels
        and _silence_window(silence, now)[0] < at.timestamp() <= _silence_window(silence, now)[1]
    ]
    if muted:
        checks.append(
            Check(
                "no notification of a silenced alert got through",
                not leaked,
                "the receiver got none while the silence was active"
                if not leaked
                else f"notified despite the silence: {leaked[0].get('alertname')}",
            )
        )
    by_fingerprint = {a["fingerprint"]: a for a in alerts}
    inhibited = [
        (alert, [by_fingerprint[f] for f in alert["status"]["inhibitedBy"] if f in by_fingerprint])
        for alert in alerts
        if alert["status"]["inhibitedBy"]
    ]
    checks.append(
        Check(
            "an alert is inhibited by DemoAppDown now",
            any(
                s["labels"].get("alertname") == "DemoAppDown"
                and s["labels"].get("job") == a["labels"].get("job")
                for a, sources in inhibited
                for s in sources
            ),
            f"{inhibited[0][0]['labels'].get('alertname')} held back by DemoAppDown"
            if inhibited
            else "no inhibited alert in Alertmanager: send the two alerts of step 4 and verify "
            "before the clean-up",
        )
    )
    if inhibited:
        through = [
            a["labels"]
            for a, _ in inhibited
            for at, labels in notified
            if labels == a["labels"] and at >= _utc(a["startsAt"])
        ]
        checks.append(
            Check(
                "the inhibited alert was not notified",
                not through,
                "the receiver has no notification of it"
                if not through
                else f"notified: {through[0].get('alertname')}",
            )
        )
    return checks


@dataclass(frozen=True)
class Lab:
    number: int
    slug: str
    title: str
    verify: Callable[[LiveStack, str], list[Check]]

    @property
    def page(self) -> Path:
        return LABS_DIR / f"{self.number:02d}-{self.slug}.md"


LABS: tuple[Lab, ...] = (
    Lab(1, "explore-metrics", "Explore the metrics", verify_explore_metrics),
    Lab(2, "high-error-rate", "Fire and resolve HighErrorRate", verify_high_error_rate),
    Lab(3, "slow-llm", "Fire and resolve SlowLLM", verify_slow_llm),
    Lab(4, "slos-and-burn-rates", "SLOs, error budgets and burn-rate alerts", verify_slos),
    Lab(5, "cardinality", "Cardinality", verify_cardinality),
    Lab(6, "several-workers", "Several workers", verify_workers),
    Lab(7, "silences-and-inhibition", "Silences and inhibition", verify_silences_and_inhibition),
)


def lab(number: int) -> Lab:
    for candidate in LABS:
        if candidate.number == number:
            return candidate
    raise PlaygroundError(f"No lab {number}: labs run from 1 to {len(LABS)}.")


def format_checks(checks: list[Check]) -> str:
    return "\n".join(
        f"{'PASS' if c.passed else 'MISSING'}  {c.name}"
        + (f"\n         {c.detail}" if c.detail else "")
        for c in checks
    )
