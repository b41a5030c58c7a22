"""The scenario report: what was planned, what happened, and how the two compare.

build_report() turns a finished run (a RunRecord) into a Report: typed sections, each built by
its own function. report.json is Report.to_dict(); report.md is render_markdown(), one
function per Markdown section (MARKDOWN_SECTIONS). Times are seconds from the incident's start
(the fault switch, the surge, or for recovery the faults going off).

To add a section: a field on Report (its JSON key), a function that builds it from the
RunRecord (called in build_report), and a Markdown function added to MARKDOWN_SECTIONS.

Pure: no HTTP, no clock.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtest.scenarios import Scenario, ScenarioKind
from playground.scenarios.client_server import RouteRow, Side
from playground.scenarios.lifecycle import LIFECYCLE, Kind
from playground.scenarios.plan import RunPlan
from playground.scenarios.predictions import AlertConfig, Status, judge
from playground.scenarios.timeline import (
    AlertKey,
    Transition,
    describe,
    episode_keys,
    episode_transitions,
)

# Verdicts that make a run's checks fail.
FAILED = tuple(status for status in Status if status.failed)


@dataclass
class RunRecord:
    """Everything a finished run knows. Times are epoch seconds.

    Args:
        origin: The incident's start; None if the run ended before it.
        phase_starts: When each phase began.
        recovered_at: When the faults went off (or the surge ended).
        outcome: completed, interrupted or error.
    """

    scenario: Scenario
    target: Mapping[str, str]
    tolerance: float
    slack: float
    config: AlertConfig
    plan: RunPlan
    transitions: list[Transition]
    preexisting: Mapping[AlertKey, str]
    started: float
    origin: float | None
    phase_starts: Mapping[str, float]
    recovered_at: float | None
    ended: float
    outcome: str
    problems: list[str] = field(default_factory=list)
    locust: Mapping[str, Any] = field(default_factory=dict)
    both_ends: list[RouteRow] = field(default_factory=list)


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat()


def _round(value: float | None) -> float | None:
    # + 0.0 turns -0.0 into 0.0.
    return None if value is None else round(value, 1) + 0.0


@dataclass(frozen=True)
class PhaseRow:
    name: str
    starts_at_s: float | None
    planned_s: float
    users: int
    preset: str | None


@dataclass(frozen=True)
class AlertRow:
    """One expected alert's rule and route, as the stack loaded them."""

    query: str
    threshold: float | None
    window_s: float | None
    for_s: float
    evaluation_interval_s: float
    group_wait_s: float
    group_interval_s: float


@dataclass(frozen=True)
class WindowRow:
    earliest_s: float | None
    latest_s: float | None
    since_s: float | None
    why: str


@dataclass(frozen=True)
class PredictionRow:
    model: str
    windows: dict[str, WindowRow]


@dataclass(frozen=True)
class TimelineRow:
    alert: str
    alertname: str
    labels: dict[str, str]
    kind: str
    at_s: float | None
    source: str


@dataclass(frozen=True)
class CheckRow:
    """One predicted transition against what was observed."""

    alert: str
    kind: str
    observed_s: float | None
    earliest_s: float | None
    latest_s: float | None
    status: Status
    text: str

    @property
    def failed(self) -> bool:
        return self.status.failed


@dataclass
class Report:
    """The report of one run. Field order is report.json's key order."""

    scenario: str
    summary: str
    preset: str | None
    target: dict[str, str]
    outcome: str
    problems: list[str]
    started_at: str | None
    origin_at: str | None
    origin: str
    recovery_at_s: float | None
    ended_at_s: float | None
    tolerance: float
    phases: list[PhaseRow]
    scrape_interval_s: float
    alerts: dict[str, AlertRow]
    expected_alerts: list[str]
    predictions: dict[str, PredictionRow]
    notes: list[str]
    timeline: list[TimelineRow]
    checks: list[CheckRow]
    also_seen: list[str]
    preexisting: list[str]
    locust: dict[str, Any]
    client_vs_server: list[RouteRow] = field(default_factory=list)
    files: dict[str, str | None] = field(default_factory=dict)

    @property
    def checks_failed(self) -> list[CheckRow]:
        return [check for check in self.checks if check.failed]

    @property
    def ok(self) -> bool:
        """Completed, with no problem and every check within its window."""
        return self.outcome == "completed" and not self.problems and not self.checks_failed

    def to_dict(self) -> dict[str, Any]:
        """report.json: every field, and the failed checks after the checks."""
        data: dict[str, Any] = {}
        for key, value in asdict(self).items():
            data[key] = value
            if key == "checks":
                data["checks_failed"] = [asdict(check) for check in self.checks_failed]
        return data


def build_report(record: RunRecord) -> Report:
    """The report of one run."""
    origin = record.origin if record.origin is not None else record.started

    def rel(at: float | None) -> float | None:
        return None if at is None else _round(at - origin)

    scenario, plan = record.scenario, record.plan
    checks = _checks(record, origin)
    unexpected = sorted({t.alertname for t in record.transitions} - set(plan.expected))
    return Report(
        scenario=scenario.name,
        summary=scenario.summary,
        preset=scenario.preset,
        target=dict(record.target),
        outcome=record.outcome,
        problems=_problems(record, unexpected),
        started_at=_iso(record.started),
        origin_at=_iso(record.origin),
        origin=_origin_name(scenario),
        recovery_at_s=rel(record.recovered_at),
        ended_at_s=rel(record.ended),
        tolerance=record.tolerance,
        phases=_phases(record, rel),
        scrape_interval_s=record.config.scrape_interval,
        alerts=_alerts(record),
        expected_alerts=list(plan.expected),
        predictions=_predictions(plan),
        notes=list(plan.notes),
        timeline=_timeline(record, rel),
        checks=checks,
        also_seen=unexpected,
        preexisting=sorted(f"{describe(k)} ({state})" for k, state in record.preexisting.items()),
        locust=dict(record.locust),
        client_vs_server=list(record.both_ends),
    )


def _phases(record: RunRecord, rel: Callable[[float | None], float | None]) -> list[PhaseRow]:
    scenario = record.scenario
    return [
        PhaseRow(
            name=name,
            starts_at_s=rel(record.phase_starts.get(name)),
            planned_s=getattr(record.plan.lengths, name),
            users=(scenario.incident_users or scenario.users)
            if name == "incident"
            else scenario.users,
            preset=scenario.preset if name == "incident" else None,
        )
        for name in scenario.phases
    ]


def _alerts(record: RunRecord) -> dict[str, AlertRow]:
    plan, alerts = record.plan, {}
    for name in sorted(set(plan.expected) | set(plan.predictions)):
        rule = record.config.rule(name)
        if rule is None:
            continue
        intervals = record.config.intervals(name)
        alerts[name] = AlertRow(
            query=rule.query,
            threshold=rule.threshold,
            window_s=rule.window_seconds,
            for_s=rule.for_seconds,
            evaluation_interval_s=rule.evaluation_interval,
            group_wait_s=intervals.group_wait,
            group_interval_s=intervals.group_interval,
        )
    return alerts


def _predictions(plan: RunPlan) -> dict[str, PredictionRow]:
    return {
        name: PredictionRow(
            model=prediction.model,
            windows={
                str(kind): WindowRow(
                    _round(window.earliest), _round(window.latest), _round(window.since), window.why
                )
                for kind, window in prediction.windows.items()
            },
        )
        for name, prediction in plan.predictions.items()
    }


def _timeline(record: RunRecord, rel: Callable[[float | None], float | None]) -> list[TimelineRow]:
    return [
        TimelineRow(describe(t.key), t.alertname, dict(t.key), str(t.kind), rel(t.at), t.source)
        for t in sorted(record.transitions, key=lambda t: t.at)
    ]


def _checks(record: RunRecord, origin: float) -> list[CheckRow]:
    """Each expected alert's transitions against their predicted windows."""
    plan = record.plan
    run_end = record.ended - origin
    checks = []
    recovering = record.scenario.kind is ScenarioKind.RECOVERY
    for name in plan.expected:
        prediction = plan.predictions.get(name)
        episode = episode_transitions(record.transitions, record.preexisting, name, recovering)
        for kind in LIFECYCLE:
            observed = next((t for t in episode if t.kind is kind), None)
            at = None if observed is None else observed.at - origin
            window = prediction.windows.get(kind) if prediction else None
            if window is None:
                if at is not None:
                    checks.append(_check(name, kind, at, None, Status.OBSERVED, "no prediction"))
                continue
            if record.origin is None:
                status, text = Status.NOT_REACHED, "the incident never started"
            else:
                verdict = judge(window, at, run_end, record.tolerance, record.slack)
                status, text = verdict.status, verdict.text
            checks.append(_check(name, kind, at, window, status, text))
    return checks


def _problems(record: RunRecord, unexpected: list[str]) -> list[str]:
    problems = list(record.problems)
    if record.scenario.kind is ScenarioKind.QUIET:
        # Only alerts that became active during the run: one resolving from before is fine.
        started = sorted(
            name for name in unexpected if episode_keys(record.transitions, (), name, False)
        )
        if started:
            problems.append(f"Nothing should fire in baseline, but {', '.join(started)} did.")
    return problems


def _check(
    name: str, kind: Kind, at: float | None, window: Any, status: Status, text: str
) -> CheckRow:
    return CheckRow(
        alert=name,
        kind=str(kind),
        observed_s=_round(at),
        earliest_s=None if window is None else _round(window.earliest),
        latest_s=None if window is None else _round(window.latest),
        status=status,
        text=text,
    )


def _origin_name(scenario: Scenario) -> str:
    if scenario.kind is ScenarioKind.RECOVERY:
        return "the faults going off"
    if scenario.kind is ScenarioKind.QUIET:
        return "Locust's start"
    if scenario.preset:
        return f"the {scenario.preset} fault switch"
    return "the surge's start"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _md_header(report: Report) -> list[str]:
    target = report.target
    lines = [
        f"# Scenario `{report.scenario}`",
        "",
        report.summary,
        "",
        f"- Target: {target.get('name')} stack, `{target.get('profile')}` alert profile, "
        f"demo_app at {target.get('demo_app')}",
        f"- Started: {report.started_at}; times below are seconds from {report.origin}"
        f" ({report.origin_at or 'never reached'}).",
        f"- Outcome: **{report.outcome}**",
    ]
    for problem in report.problems:
        lines.append(f"- Problem: {problem}")
    failed = report.checks_failed
    if report.checks:
        verdict = (
            "every transition came within its predicted window"
            if not failed
            else f"{len(failed)} transition(s) off prediction: "
            + "; ".join(f"{c.alert} {c.kind} {c.status}" for c in failed)
        )
        lines.append(f"- Verdict: {verdict} (tolerance +{report.tolerance:.0%}).")
    return [*lines, "", "![signals and alert states](timeline.png)"]


def _md_phases(report: Report) -> list[str]:
    lines = [
        "",
        "## Phases",
        "",
        "| phase | starts at (s) | planned (s) | users | fault preset |",
        "|---|---|---|---|---|",
    ]
    for phase in report.phases:
        lines.append(
            f"| {phase.name} | {_seconds(phase.starts_at_s)} | {phase.planned_s:g} | "
            f"{phase.users} | {phase.preset or '-'} |"
        )
    return lines


def _md_rules(report: Report) -> list[str]:
    if not report.alerts:
        return []
    lines = ["", "## The rules, as Prometheus loaded them", ""]
    lines.append(f"Scrape interval: {report.scrape_interval_s:g} s.")
    lines.append("")
    lines += [
        "| alert | threshold | window (s) | for (s) | evaluation (s) | group_wait (s) "
        "| group_interval (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, alert in report.alerts.items():
        lines.append(
            f"| {name} | {alert.threshold} | {alert.window_s} | {alert.for_s:g} | "
            f"{alert.evaluation_interval_s:g} | {alert.group_wait_s:g} | "
            f"{alert.group_interval_s:g} |"
        )
    return lines


def _md_checks(report: Report) -> list[str]:
    if not report.checks:
        return []
    lines = [
        "",
        "## Predicted and observed",
        "",
        "| alert | transition | observed (s) | predicted (s) | verdict |",
        "|---|---|---|---|---|",
    ]
    for check in report.checks:
        predicted = (
            f"{_seconds(check.earliest_s)} to {_seconds(check.latest_s)}"
            if check.latest_s is not None
            else "-"
        )
        mark = "**" if check.failed else ""
        lines.append(
            f"| {check.alert} | {check.kind} | {_seconds(check.observed_s)} | "
            f"{predicted} | {mark}{check.status}{mark}: {check.text} |"
        )
    lines += ["", "How each window was computed:", ""]
    for name, prediction in report.predictions.items():
        lines.append(f"- **{name}**: {prediction.model}.")
        for kind, window in prediction.windows.items():
            lines.append(f"  - {kind}: {window.why}")
    return lines


def _md_notes(report: Report) -> list[str]:
    return [f"- Note: {note}" for note in report.notes]


def _md_timeline(report: Report) -> list[str]:
    lines = ["", "## Timeline", ""]
    if report.timeline:
        lines += ["| at (s) | alert | transition | seen by |", "|---|---|---|---|"]
        for item in report.timeline:
            lines.append(
                f"| {_seconds(item.at_s)} | `{item.alert}` | {item.kind} | {item.source} |"
            )
    else:
        lines.append("No alert changed state during the run.")
    if report.also_seen:
        lines += ["", f"Also seen (not this scenario's subject): {', '.join(report.also_seen)}."]
    if report.preexisting:
        lines += ["", f"Already active before the run: {', '.join(report.preexisting)}."]
    return lines


def _md_locust(report: Report) -> list[str]:
    lines = ["", "## Load (Locust)", ""]
    locust = report.locust
    if not locust.get("available"):
        return [*lines, "Locust wrote no statistics (it did not start, or was killed)."]
    lines += [
        "| request | count | failures | failure share | median (ms) | p95 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for entry in [*locust["endpoints"], locust["total"]]:
        share = entry["failures"] / entry["requests"] if entry["requests"] else 0.0
        lines.append(
            f"| {entry['method']} {entry['name']} | {entry['requests']} | "
            f"{entry['failures']} | {share:.1%} | {entry['median_ms']} | {entry['p95_ms']} |"
        )
    return [*lines, "", f"Locust's own reports: {', '.join(locust['files'])}."]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _share(side: Side) -> str:
    share = side.failure_share
    return "-" if share is None else f"{share:.1%}"


def _md_client_server(report: Report) -> list[str]:
    if not report.client_vs_server:
        return []
    lines = [
        "",
        "## The run from both ends: Locust and demo_app",
        "",
        "Locust's counts are its final totals; every quantile and the server's numbers come",
        "from Prometheus over the run, from histograms with the same buckets. The server counts",
        "every request to the route (Locust's and anyone else's). Quantiles in ms, as",
        "p50 / p95 / p99; a client far above the server is time queued before demo_app's",
        "middleware saw the request (docs/labs/06-several-workers.md, section 3).",
        "",
        "| route | requests (Locust / demo_app) | failed: Locust / demo_app 5xx "
        "| Locust p50 / p95 / p99 | demo_app p50 / p95 / p99 |",
        "|---|---|---|---|---|",
    ]
    for row in report.client_vs_server:
        client, server = row.client, row.server
        lines.append(
            f"| {row.method} {row.route} | {_ms(client.requests)} / {_ms(server.requests)} | "
            f"{_share(client)} / {_share(server)} | "
            f"{_ms(client.p50_ms)} / {_ms(client.p95_ms)} / {_ms(client.p99_ms)} | "
            f"{_ms(server.p50_ms)} / {_ms(server.p95_ms)} / {_ms(server.p99_ms)} |"
        )
    return lines


# report.md, in order: each function renders one section of the Report.
MARKDOWN_SECTIONS: tuple[Callable[[Report], list[str]], ...] = (
    _md_header,
    _md_phases,
    _md_rules,
    _md_checks,
    _md_notes,
    _md_timeline,
    _md_locust,
    _md_client_server,
)


def render_markdown(report: Report) -> str:
    """report.md: the same facts as report.json, for people."""
    return "\n".join(line for section in MARKDOWN_SECTIONS for line in section(report)) + "\n"


def write_report(report: Report, folder: Path) -> tuple[Path, Path]:
    """Write report.json and report.md into the run's folder; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "report.json"
    markdown_path = folder / "report.md"
    json_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    markdown_path.write_text(render_markdown(report), encoding="utf-8")
    return markdown_path, json_path
