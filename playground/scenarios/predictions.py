"""When each alert transition should happen, from the live rules and configs.

Nothing here is hard-coded per profile: the windows, `for` durations, thresholds and rule
evaluation intervals come from Prometheus's /api/v1/rules, the scrape interval from its
/api/v1/status/config, and `group_wait`/`group_interval` from Alertmanager's /api/v2/status
(the route the alert takes). The fault's size (30% errors, 12 s of extra LLM latency) comes
from demo_app's /admin/faults.

Every prediction is a window, measured from the moment the incident starts (the fault
switch, or the spike's surge). S is the scrape interval, E the rule group's evaluation
interval; the arithmetic is the one prometheus/README.md ("Alert timing") writes down:

    onset      when the alert's expression first holds: the window filling past the threshold
    pending    onset + S + E: the sample that shows it is scraped within one interval, and
               the rule sees it within one evaluation. A series that did not exist before the
               fault (the first status="500" series) needs two samples before rate() can use
               it, so for HighErrorRate the onset is at least S: max(fill + S, 2S) + E
    firing     pending + `for`, rounded up to whole evaluations
    in Alertmanager  the same evaluation: Prometheus sends firing alerts after each one
    notified   + group_wait (a new Alertmanager group)
    resolved   when the expression stops holding (the fault leaves the window) + S + E
    resolved notified  + up to group_interval (the group's next flush)

The earliest end of a window assumes the best phase (a scrape and an evaluation right
after the change); the latest the worst. An observation after the latest bound by more than
the tolerance is late; that is what `playground scenario` reports.
"""

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from playground.configs.rule_profiles import parse_duration_ms
from playground.core.paths import REPO_ROOT
from playground.scenarios.lifecycle import Kind

# Prometheus's and Alertmanager's documented defaults, used when a config leaves them out.
DEFAULT_SCRAPE_INTERVAL = "1m"
DEFAULT_EVALUATION_INTERVAL = "1m"
DEFAULT_GROUP_WAIT = "30s"
DEFAULT_GROUP_INTERVAL = "5m"
# The scrape job whose samples the alerts read.
DEMO_APP_JOB = "demo_app"
# Resolution of the window-fill search, in seconds.
_STEP = 0.05

_RANGE = re.compile(r"\[((?:\d+(?:ms|[smhdwy]))+)(?::[^\]]*)?\]")
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
# The first "greater than" comparison with a number: `> 0.05`, `> 10` (not `>=`).
_THRESHOLD = re.compile(r"(?<![<>=!])>(?!=)\s*(?:bool\s+)?([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)")
# A burn-rate threshold, `> (14.4 * 0.001)`: the burn rate times the error budget.
_NUMBER = r"([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)"
_BURN_THRESHOLD = re.compile(rf"(?<![<>=!])>(?!=)\s*\(\s*{_NUMBER}\s*\*\s*{_NUMBER}\s*\)")
_AND = re.compile(r"\band\b")
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def seconds(duration: str) -> float:
    """A Prometheus duration literal (`30s`, `1m30s`) in seconds."""
    return parse_duration_ms(duration) / 1000


@dataclass(frozen=True)
class AlertRule:
    """One alerting rule as Prometheus loaded it, with what the predictions need.

    Args:
        name: The alert name.
        query: The expression, as Prometheus prints it.
        for_seconds: The `for` duration.
        evaluation_interval: The interval of the rule's group.
        window_seconds: The longest range window the expression reads, through the
            recording rules it uses; None when it reads no range.
        threshold: The number after the first `>`; None when there is none.
        signal: The expression left of that comparison (what is compared), for plotting.
        labels: The rule's own labels (severity...).
        burn_clauses: For a burn-rate alert (`ratio over W1 > (burn * budget) and ratio over
            W2 > (burn * budget)`), each clause's window and burn rate and the budget; empty
            for any other expression.
        metrics: Every name the expression reads, through the recording rules it uses: what
            picks the model that predicts it (model_of), so the rules alone name the alerts.
    """

    name: str
    query: str
    for_seconds: float
    evaluation_interval: float
    window_seconds: float | None
    threshold: float | None
    signal: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    burn_clauses: tuple["BurnClause", ...] = ()
    metrics: frozenset[str] = frozenset()

    @property
    def for_rounded(self) -> float:
        """`for` as Prometheus waits it: whole evaluations (6s at a 5 s interval waits 10 s)."""
        if self.for_seconds <= 0:
            return 0.0
        return math.ceil(self.for_seconds / self.evaluation_interval - 1e-9) * (
            self.evaluation_interval
        )


@dataclass(frozen=True)
class BurnClause:
    """One side of a burn-rate alert's `and`: the error ratio over ``window_seconds`` is more
    than ``burn_rate`` times the SLO's error ``budget``."""

    window_seconds: float
    burn_rate: float
    budget: float

    @property
    def threshold(self) -> float:
        return self.burn_rate * self.budget


def burn_clauses(query: str, recorded: Mapping[str, str]) -> tuple[BurnClause, ...]:
    """The clauses of a burn-rate expression, or () unless every clause is one."""
    clauses = []
    for part in _AND.split(query):
        threshold = _BURN_THRESHOLD.search(part)
        windows = _windows(part, recorded)
        if threshold is None or not windows:
            return ()
        burn, budget = float(threshold.group(1)), float(threshold.group(2))
        clauses.append(BurnClause(max(windows), burn, budget))
    return tuple(clauses)


@dataclass(frozen=True)
class Intervals:
    """The waits between a change and each stage that sees it, in seconds."""

    scrape: float
    group_wait: float
    group_interval: float


@dataclass(frozen=True)
class AlertConfig:
    """The live alerting configuration: rules by name, and the route's timings per rule."""

    rules: Mapping[str, tuple[AlertRule, ...]]
    scrape_interval: float
    routes: Mapping[str, Intervals]

    def rule(self, name: str) -> AlertRule | None:
        """The rule of this name, if exactly one rule has it."""
        rules = self.rules.get(name, ())
        return rules[0] if len(rules) == 1 else None

    def widest_rule(self, name: str) -> AlertRule | None:
        """Of the rules with this name, the one with the longest window (the slowest to clear)."""
        rules = self.rules.get(name, ())
        return max(rules, key=lambda r: r.window_seconds or 0.0) if rules else None

    def intervals(self, name: str) -> Intervals:
        return self.routes[name]


def _windows(query: str, recorded: Mapping[str, str], depth: int = 0) -> list[float]:
    found = [seconds(m.group(1)) for m in _RANGE.finditer(query)]
    if depth < 5:
        for name in set(_NAME.findall(query)) & set(recorded):
            found += _windows(recorded[name], recorded, depth + 1)
    return found


def _names(query: str, recorded: Mapping[str, str], depth: int = 0) -> set[str]:
    found = set(_NAME.findall(query))
    if depth < 5:
        for name in found & set(recorded):
            found |= _names(recorded[name], recorded, depth + 1)
    return found


def parse_rules(rule_groups: Iterable[Mapping[str, Any]]) -> dict[str, tuple[AlertRule, ...]]:
    """Alerting rules by name, from /api/v1/rules groups (``interval``, ``rules``)."""
    groups = list(rule_groups)
    recorded = {
        rule["name"]: rule["query"]
        for group in groups
        for rule in group.get("rules", [])
        if rule.get("type") == "recording"
    }
    rules: dict[str, list[AlertRule]] = {}
    for group in groups:
        for rule in group.get("rules", []):
            if rule.get("type") != "alerting":
                continue
            query = rule["query"]
            windows = _windows(query, recorded)
            threshold = _THRESHOLD.search(query)
            rules.setdefault(rule["name"], []).append(
                AlertRule(
                    name=rule["name"],
                    query=query,
                    for_seconds=float(rule.get("duration", 0)),
                    evaluation_interval=float(group["interval"]),
                    window_seconds=max(windows) if windows else None,
                    threshold=float(threshold.group(1)) if threshold else None,
                    signal=query[: threshold.start()].strip() if threshold else None,
                    labels=dict(rule.get("labels", {})),
                    burn_clauses=burn_clauses(query, recorded),
                    metrics=frozenset(_names(query, recorded)),
                )
            )
    return {name: tuple(found) for name, found in rules.items()}


def scrape_interval(prometheus_yaml: str, job: str = DEMO_APP_JOB) -> float:
    """The scrape interval of one job in a Prometheus config (its own, else the global)."""
    config = yaml.safe_load(prometheus_yaml) or {}
    interval = (config.get("global") or {}).get("scrape_interval", DEFAULT_SCRAPE_INTERVAL)
    for scrape in config.get("scrape_configs") or []:
        if scrape.get("job_name") == job:
            interval = scrape.get("scrape_interval", interval)
    return seconds(interval)


def _matches(matcher: str, labels: Mapping[str, str]) -> bool:
    parsed = _MATCHER.match(matcher)
    if parsed is None:
        return False
    name, op, value = parsed.groups()
    actual = labels.get(name, "")
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    hit = re.fullmatch(value, actual) is not None
    return hit if op == "=~" else not hit


def _route_matches(route: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    matchers = list(route.get("matchers") or [])
    matchers += [f'{k}="{v}"' for k, v in (route.get("match") or {}).items()]
    matchers += [f'{k}=~"{v}"' for k, v in (route.get("match_re") or {}).items()]
    return all(_matches(m, labels) for m in matchers)


def route_intervals(alertmanager_yaml: str, labels: Mapping[str, str], scrape: float) -> Intervals:
    """group_wait and group_interval of the route an alert with these labels takes.

    Children inherit from their parent; the first matching child wins (``continue`` is
    not followed: its timings would apply to a second notification, not the first).
    """
    route = (yaml.safe_load(alertmanager_yaml) or {}).get("route") or {}
    wait = route.get("group_wait", DEFAULT_GROUP_WAIT)
    interval = route.get("group_interval", DEFAULT_GROUP_INTERVAL)
    children = route.get("routes") or []
    while children:
        child = next((c for c in children if _route_matches(c, labels)), None)
        if child is None:
            break
        wait = child.get("group_wait", wait)
        interval = child.get("group_interval", interval)
        children = child.get("routes") or []
    return Intervals(scrape=scrape, group_wait=seconds(wait), group_interval=seconds(interval))


def alert_config(
    rule_groups: Iterable[Mapping[str, Any]], prometheus_yaml: str, alertmanager_yaml: str
) -> AlertConfig:
    """Everything the predictions read, from the three APIs' answers."""
    rules = parse_rules(rule_groups)
    scrape = scrape_interval(prometheus_yaml)
    routes = {
        name: route_intervals(alertmanager_yaml, {"alertname": name, **found[0].labels}, scrape)
        for name, found in rules.items()
    }
    return AlertConfig(rules, scrape, routes)


def rule_groups_from_files(paths: Iterable[Path], evaluation_interval: float) -> list[dict]:
    """Rule files in the shape of /api/v1/rules groups, to predict without a Prometheus."""
    groups = []
    for path in paths:
        for group in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("groups", []):
            rules = []
            for rule in group.get("rules", []):
                if "alert" in rule:
                    rules.append(
                        {
                            "type": "alerting",
                            "name": rule["alert"],
                            "query": rule["expr"],
                            "duration": seconds(rule.get("for", "0s")),
                            "labels": rule.get("labels", {}),
                        }
                    )
                else:
                    rules.append(
                        {"type": "recording", "name": rule["record"], "query": rule["expr"]}
                    )
            interval = group.get("interval")
            groups.append(
                {
                    "name": group["name"],
                    "interval": seconds(interval) if interval else evaluation_interval,
                    "rules": rules,
                }
            )
    return groups


def offline_alert_config(profile: str, config_dir: Path = REPO_ROOT) -> AlertConfig:
    """The alerting configuration a stack would load from this repository's files."""
    prometheus_yaml = (config_dir / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    alertmanager_yaml = (config_dir / "alertmanager" / "alertmanager.yml").read_text(
        encoding="utf-8"
    )
    evaluation = (yaml.safe_load(prometheus_yaml).get("global") or {}).get(
        "evaluation_interval", DEFAULT_EVALUATION_INTERVAL
    )
    files = sorted((config_dir / "prometheus" / "rules" / profile).glob("*.yml"))
    groups = rule_groups_from_files(files, seconds(evaluation))
    return alert_config(groups, prometheus_yaml, alertmanager_yaml)


# --- the incident, in numbers ---------------------------------------------------------------


@dataclass(frozen=True)
class Incident:
    """What a scenario does, in the numbers the models need. Times in seconds.

    Args:
        history: Seconds of healthy traffic before the incident (the warmup).
        duration: Seconds from the incident's start to the recovery.
        http_error_share: Share of API requests failing with an injected 5xx.
        llm_extra_latency: Seconds added to every LLM call.
        surge_ramp: Seconds the spike's extra users take to arrive (0 without a spike).
        preset: The fault preset switched on, if any.
        recovery_only: The scenario only recovers: the fault was on before the run began,
            for an unknown time, and the incident's start is the recovery.
    """

    history: float
    duration: float
    http_error_share: float = 0.0
    llm_extra_latency: float = 0.0
    surge_ramp: float | None = None
    preset: str | None = None
    recovery_only: bool = False


def http_error_share(faults: Mapping[str, Any]) -> float | None:
    """The share of API requests a fault state fails, when it is the same for every route."""
    ratios = faults.get("http_error_ratio") or {}
    if set(ratios) - {"all"}:
        return None
    return float(ratios.get("all", 0.0))


@dataclass(frozen=True)
class Window:
    """When a transition should happen: seconds from the incident's start.

    ``since`` is the moment the transition is caused from: 0 for the incident's effects,
    the recovery for the resolution. Tolerances apply to the time since then.
    """

    earliest: float
    latest: float
    since: float
    why: str

    def shifted(self, earliest: float, latest: float, why: str) -> "Window":
        return Window(self.earliest + earliest, self.latest + latest, self.since, why)


@dataclass(frozen=True)
class Prediction:
    """The predicted windows of one alert's transitions, and the model behind them."""

    alertname: str
    model: str
    windows: Mapping[Kind, Window]


def first_time(predicate: Callable[[float], bool], start: float, stop: float) -> float | None:
    """The first time in [start, stop], in steps of 50 ms, where predicate holds."""
    steps = math.ceil((stop - start) / _STEP)
    for index in range(steps + 1):
        moment = start + index * _STEP
        if predicate(moment):
            return moment
    return None


def error_ratio(t: float, share: float, window: float, incident: Incident) -> float:
    """The 5xx share over the window ending at t, for steady traffic.

    Traffic runs from -history (or forever, for recovery only); the fault is on from 0 to
    the recovery (from the distant past, for recovery only).
    """
    traffic_start = -math.inf if incident.recovery_only else -incident.history
    fault_start = -math.inf if incident.recovery_only else 0.0
    fault_end = 0.0 if incident.recovery_only else incident.duration
    start = max(t - window, traffic_start)
    covered = t - start
    if covered <= 0:
        return math.nan
    faulty = max(0.0, min(t, fault_end) - max(start, fault_start))
    return share * faulty / covered


# A model's answer: when the expression starts holding (earliest, latest), when it stops
# holding, and the reasoning in words. A bound is None when the scenario does not cause it.
Span = tuple[float, float]
ModelResult = tuple[Span | None, Span | None, str]


def ratio_model(rule: AlertRule, incident: Incident, intervals: Intervals) -> ModelResult | None:
    """HighErrorRate: a share of failing requests against a threshold, over a window.

    With less healthy traffic than a window before the fault (a short warmup on a fresh
    stack) the ratio crosses sooner; with older traffic still in the window (an earlier run)
    later. The window spans both: the warmup alone, and a window full of healthy traffic.
    """
    share, threshold, window = incident.http_error_share, rule.threshold, rule.window_seconds
    if threshold is None or window is None or share <= threshold:
        return None
    end = incident.duration
    onsets, clears = [], []
    for history in (incident.history, math.inf):
        case = replace(incident, history=history)

        def above(t: float, case: Incident = case) -> bool:
            return error_ratio(t, share, window, case) > threshold

        if not incident.recovery_only:
            onsets.append(first_time(above, 0.0, end))
        clears.append(first_time(lambda t, above=above: not above(t), end, end + window + 1))
    why = (
        f"{share:.0%} of requests fail against a {threshold:g} threshold over a {window:g} s "
        f"window, after {incident.history:g} s or more of healthy traffic"
    )
    return *_rate_bounds(onsets, clears, end, intervals.scrape), why


def _rate_bounds(
    onsets: list[float | None], clears: list[float | None], end: float, scrape: float
) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
    """The onset and clear windows of a rate() of errors, from the times found per case.

    The first 5xx series is new: rate() needs its second sample, one scrape after the first,
    so the onset is never before one scrape. rate() counts only the increase between the
    first and the last sample in its window, so errors from before the first sample drop out
    up to one scrape early."""
    found_onsets = [t for t in onsets if t is not None]
    found_clears = [t for t in clears if t is not None]
    onset = (min(found_onsets), max(max(found_onsets), scrape)) if found_onsets else None
    clear = (max(end, min(found_clears) - scrape), max(found_clears)) if found_clears else None
    return onset, clear


def burn_model(rule: AlertRule, incident: Incident, intervals: Intervals) -> ModelResult | None:
    """DemoAppErrorBudgetBurn: the error ratio over a long and a short window both above the
    burn rate times the budget. It holds once both do, and stops once either does not."""
    share, clauses = incident.http_error_share, rule.burn_clauses
    if not clauses or share <= max(clause.threshold for clause in clauses):
        return None
    end = incident.duration
    longest = max(clause.window_seconds for clause in clauses)
    onsets, clears = [], []
    for history in (incident.history, math.inf):
        case = replace(incident, history=history)

        def holds(t: float, case: Incident = case) -> bool:
            return all(
                error_ratio(t, share, clause.window_seconds, case) > clause.threshold
                for clause in clauses
            )

        if not incident.recovery_only:
            onsets.append(first_time(holds, 0.0, end))
        clears.append(first_time(lambda t, holds=holds: not holds(t), end, end + longest + 1))
    windows = " and ".join(
        f"{c.window_seconds:g} s > {c.burn_rate:g} x {c.budget:g}" for c in clauses
    )
    why = f"{share:.0%} of requests fail; the error ratio over {windows}"
    return *_rate_bounds(onsets, clears, end, intervals.scrape), why


def latency_model(rule: AlertRule, incident: Incident, intervals: Intervals) -> ModelResult | None:
    """SlowLLM: a p95 over a window; every call made during the fault is slower than it.

    A slow call is observed only when it ends, `extra` seconds after it began, and the fast
    calls from before the fault must be outnumbered (20 to 1 for a p95) or leave the window.
    Earliest: the first slow calls end. Latest: every fast call has left the window.
    After recovery, calls already sleeping still end slow, up to `extra` later; then the
    slow ones leave the window (or are outnumbered by fast ones: the earliest bound, 0).
    """
    extra, threshold, window = incident.llm_extra_latency, rule.threshold, rule.window_seconds
    if threshold is None or window is None or extra <= threshold:
        return None
    onset = None if incident.recovery_only else (extra, max(window, extra))
    clear = (incident.duration, incident.duration + extra + window)
    why = (
        f"every LLM call takes {extra:g} s more, against a {threshold:g} s threshold on the "
        f"p95 over a {window:g} s window"
    )
    return onset, clear, why


def surge_model(rule: AlertRule, incident: Incident, intervals: Intervals) -> ModelResult | None:
    """DemoAppSaturated: a gauge's max_over_time; the surge's users hold requests open.

    Onset: from the first surge users to all of them (the ramp). Clear: the highest sample
    leaves the max_over_time window, one scrape either side of the surge's end.
    """
    window = rule.window_seconds
    if incident.surge_ramp is None or window is None:
        return None
    onset = None if incident.recovery_only else (0.0, incident.surge_ramp)
    # The last sample taken during the surge is up to one scrape older than its end.
    clear = (incident.duration + window - intervals.scrape, incident.duration + window)
    why = f"the surge's users keep requests in flight; the peak stays {window:g} s in the window"
    return onset, clear, why


def switch_model(rule: AlertRule, incident: Incident, intervals: Intervals) -> ModelResult | None:
    """DemoAppFaultActive: a gauge that flips with the preset; no window."""
    if incident.preset in (None, "healthy") and not incident.recovery_only:
        return None
    onset = None if incident.recovery_only else (0.0, 0.0)
    clear = (incident.duration, incident.duration)
    return onset, clear, "demo_app_fault_preset_active flips with the admin API call"


Model = Callable[[AlertRule, Incident, Intervals], ModelResult | None]

# Which model explains an alert, by the metric its expression reads (AlertRule.metrics):
# the model describes how that metric answers a fault, and the rules name the alerts. The
# first match wins, so the request counter every ratio reads comes last. Burn-rate alerts
# (burn clauses) take burn_model; alerts without a model are reported, not predicted.
MODELS: tuple[tuple[str, Model], ...] = (
    ("llm_call_duration_seconds_bucket", latency_model),
    ("http_requests_inprogress", surge_model),
    ("demo_app_fault_preset_active", switch_model),
    ("http_requests_total", ratio_model),
)


def model_of(rule: AlertRule) -> Model | None:
    """The model that predicts this alert when an incident starts; None if none does."""
    if rule.burn_clauses:
        return burn_model
    return next((model for metric, model in MODELS if metric in rule.metrics), None)


def window_model(rule: AlertRule, incident: Incident, intervals: Intervals) -> ModelResult | None:
    """Any alert, once its cause is gone: it clears by the time the cause leaves its window.

    Only for recovery, where the cause (whatever raised the alert) stops at the recovery.
    The earliest bound is the recovery itself.
    """
    if not incident.recovery_only:
        return None
    window = rule.window_seconds or 0.0
    clear = (incident.duration, incident.duration + window)
    return None, clear, f"its cause stops; the {window:g} s window drains"


def predict(rule: AlertRule, intervals: Intervals, incident: Incident) -> Prediction | None:
    """The windows of every transition of one alert, or None without a model for it."""
    model = model_of(rule)
    if model is None or (model is burn_model and incident.recovery_only):
        model = window_model
    result = model(rule, incident, intervals)
    if result is None:
        return None
    onset, clear, why = result
    delay = intervals.scrape + rule.evaluation_interval
    seen = (
        f"+ up to 1 scrape ({intervals.scrape:g} s) and 1 evaluation "
        f"({rule.evaluation_interval:g} s)"
    )
    windows: dict[Kind, Window] = {}
    if onset is not None:
        expression = Window(onset[0], onset[1], 0.0, why)
        held = expression.shifted(
            0.0, delay, f"expression holds at {onset[0]:.1f}-{onset[1]:.1f} s {seen}"
        )
        if rule.for_seconds > 0:
            windows[Kind.PENDING] = held
        firing = held.shifted(
            rule.for_rounded, rule.for_rounded, f"pending + for {rule.for_rounded:g} s"
        )
        windows[Kind.FIRING] = firing
        windows[Kind.IN_ALERTMANAGER] = firing.shifted(0.0, 0.0, "sent at the firing evaluation")
        windows[Kind.NOTIFIED] = firing.shifted(
            intervals.group_wait, intervals.group_wait, f"+ group_wait {intervals.group_wait:g} s"
        )
    if clear is not None:
        since = incident.duration
        resolved = Window(
            clear[0],
            clear[1] + delay,
            since,
            f"expression stops at {clear[0] - since:.1f}-{clear[1] - since:.1f} s after "
            f"recovery {seen}",
        )
        windows[Kind.RESOLVED] = resolved
        windows[Kind.RESOLVED_NOTIFIED] = resolved.shifted(
            0.0, intervals.group_interval, f"+ up to group_interval {intervals.group_interval:g} s"
        )
    return Prediction(rule.name, why, windows)


@dataclass(frozen=True)
class Verdict:
    """How one observed transition compares with its window."""

    status: "Status"
    text: str


class Status(StrEnum):
    """A check's outcome, as the report and the live timeline print it."""

    ON_TIME = "on time"
    EARLY = "early"
    LATE = "late"
    NEVER_HAPPENED = "never happened"
    NOT_REACHED = "not reached"  # the run ended before the window did
    OBSERVED = "observed"  # seen, with no prediction to compare

    @property
    def failed(self) -> bool:
        """Whether it makes the run's checks fail."""
        return self in (Status.EARLY, Status.LATE, Status.NEVER_HAPPENED)


def judge(
    window: Window,
    observed: float | None,
    run_end: float,
    tolerance: float,
    slack: float,
) -> Verdict:
    """Compare an observation (seconds from the incident's start) with its window.

    Args:
        window: The prediction.
        observed: When it happened, or None if it did not.
        run_end: When observation stopped (same origin).
        tolerance: Allowed lateness as a share of the predicted latest delay since
            ``window.since`` (0.15 = 15%).
        slack: Seconds added to both ends for the polling's own uncertainty.
    """
    deadline = window.since + (window.latest - window.since) * (1 + tolerance) + slack
    if observed is None:
        if run_end < deadline:
            return Verdict(
                Status.NOT_REACHED, f"the run ended at {run_end:.0f} s, before {deadline:.0f} s"
            )
        return Verdict(
            Status.NEVER_HAPPENED, f"expected by {window.latest:.0f} s (+{tolerance:.0%})"
        )
    if observed < window.earliest - slack:
        return Verdict(
            Status.EARLY, f"{window.earliest - observed:.1f} s before the earliest bound"
        )
    if observed > deadline:
        return Verdict(Status.LATE, f"{observed - window.latest:.1f} s after the latest bound")
    return Verdict(Status.ON_TIME, "within the predicted window")
