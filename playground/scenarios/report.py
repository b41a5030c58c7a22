"""The scenario report: what was planned, what happened, and how the two compare.

build_report() turns a finished run (a RunRecord) into one JSON-able dict; report.json is
that dict, and report.md is render_markdown() of it, for people. Times are seconds from the
incident's start (the fault switch, the surge, or for recovery the faults going off).

Pure: no HTTP, no clock.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtest.scenarios import Scenario
from playground.scenarios.lifecycle import LIFECYCLE, Kind
from playground.scenarios.plan import RunPlan
from playground.scenarios.predictions import AlertConfig, judge
from playground.scenarios.timeline import AlertKey, Transition, describe, episode_keys

# Verdicts that make a run's checks fail.
FAILED = ("early", "late", "never happened")


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


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat()


def _round(value: float | None) -> float | None:
    # + 0.0 turns -0.0 into 0.0.
    return None if value is None else round(value, 1) + 0.0


def build_report(record: RunRecord) -> dict[str, Any]:
    """The report of one run, as a JSON-able dict."""
    origin = record.origin if record.origin is not None else record.started

    def rel(at: float | None) -> float | None:
        return None if at is None else _round(at - origin)

    plan = record.plan
    lengths = plan.lengths
    phases = [
        {
            "name": name,
            "starts_at_s": rel(record.phase_starts.get(name)),
            "planned_s": getattr(lengths, name),
            "users": (
                (record.scenario.incident_users or record.scenario.users)
                if name == "incident"
                else record.scenario.users
            ),
            "preset": record.scenario.preset if name == "incident" else None,
        }
        for name in record.scenario.phases
    ]
    alerts = {}
    for name in sorted(set(plan.expected) | set(plan.predictions)):
        rule = record.config.rule(name)
        if rule is None:
            continue
        intervals = record.config.intervals(name)
        alerts[name] = {
            "query": rule.query,
            "threshold": rule.threshold,
            "window_s": rule.window_seconds,
            "for_s": rule.for_seconds,
            "evaluation_interval_s": rule.evaluation_interval,
            "group_wait_s": intervals.group_wait,
            "group_interval_s": intervals.group_interval,
        }
    predictions = {
        name: {
            "model": prediction.model,
            "windows": {
                str(kind): {
                    "earliest_s": _round(window.earliest),
                    "latest_s": _round(window.latest),
                    "since_s": _round(window.since),
                    "why": window.why,
                }
                for kind, window in prediction.windows.items()
            },
        }
        for name, prediction in plan.predictions.items()
    }
    timeline = [
        {
            "alert": describe(t.key),
            "alertname": t.alertname,
            "labels": dict(t.key),
            "kind": str(t.kind),
            "at_s": rel(t.at),
            "source": t.source,
        }
        for t in sorted(record.transitions, key=lambda t: t.at)
    ]
    run_end = record.ended - origin
    checks = []
    recovering = record.scenario.name == "recovery"
    for name in plan.expected:
        prediction = plan.predictions.get(name)
        keys = episode_keys(record.transitions, record.preexisting, name, recovering)
        for kind in LIFECYCLE:
            observed = next(
                (t for t in record.transitions if t.key in keys and t.kind is kind), None
            )
            at = None if observed is None else observed.at - origin
            window = prediction.windows.get(kind) if prediction else None
            if window is None:
                if at is not None:
                    checks.append(_check(name, kind, at, None, "observed", "no prediction"))
                continue
            if record.origin is None:
                verdict_status, text = "not reached", "the incident never started"
            else:
                verdict = judge(window, at, run_end, record.tolerance, record.slack)
                verdict_status, text = verdict.status, verdict.text
            checks.append(_check(name, kind, at, window, verdict_status, text))
    expected = set(plan.expected)
    unexpected = sorted({t.alertname for t in record.transitions} - expected)
    preexisting = sorted(f"{describe(k)} ({state})" for k, state in record.preexisting.items())
    problems = list(record.problems)
    if record.scenario.name == "baseline":
        # Only alerts that became active during the run: one resolving from before is fine.
        started = sorted(
            name for name in unexpected if episode_keys(record.transitions, (), name, False)
        )
        if started:
            problems.append(f"Nothing should fire in baseline, but {', '.join(started)} did.")
    return {
        "scenario": record.scenario.name,
        "summary": record.scenario.summary,
        "preset": record.scenario.preset,
        "target": dict(record.target),
        "outcome": record.outcome,
        "problems": problems,
        "started_at": _iso(record.started),
        "origin_at": _iso(record.origin),
        "origin": _origin_name(record.scenario),
        "recovery_at_s": rel(record.recovered_at),
        "ended_at_s": rel(record.ended),
        "tolerance": record.tolerance,
        "phases": phases,
        "scrape_interval_s": record.config.scrape_interval,
        "alerts": alerts,
        "expected_alerts": list(plan.expected),
        "predictions": predictions,
        "notes": list(plan.notes),
        "timeline": timeline,
        "checks": checks,
        "checks_failed": [c for c in checks if c["status"] in FAILED],
        "also_seen": unexpected,
        "preexisting": preexisting,
        "locust": dict(record.locust),
        "files": {},
    }


def _check(
    name: str, kind: Kind, at: float | None, window: Any, status: str, text: str
) -> dict[str, Any]:
    return {
        "alert": name,
        "kind": str(kind),
        "observed_s": _round(at),
        "earliest_s": None if window is None else _round(window.earliest),
        "latest_s": None if window is None else _round(window.latest),
        "status": status,
        "text": text,
    }


def _origin_name(scenario: Scenario) -> str:
    if scenario.name == "recovery":
        return "the faults going off"
    if scenario.name == "baseline":
        return "Locust's start"
    if scenario.preset:
        return f"the {scenario.preset} fault switch"
    return "the surge's start"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_markdown(report: Mapping[str, Any]) -> str:
    """report.md: the same facts as report.json, for people."""
    lines = [
        f"# Scenario `{report['scenario']}`",
        "",
        report["summary"],
        "",
        f"- Target: {report['target'].get('name')} stack, "
        f"`{report['target'].get('profile')}` alert profile, "
        f"demo_app at {report['target'].get('demo_app')}",
        f"- Started: {report['started_at']}; times below are seconds from {report['origin']}"
        f" ({report['origin_at'] or 'never reached'}).",
        f"- Outcome: **{report['outcome']}**",
    ]
    for problem in report["problems"]:
        lines.append(f"- Problem: {problem}")
    failed = report["checks_failed"]
    if report["checks"]:
        verdict = (
            "every transition came within its predicted window"
            if not failed
            else f"{len(failed)} transition(s) off prediction: "
            + "; ".join(f"{c['alert']} {c['kind']} {c['status']}" for c in failed)
        )
        lines.append(f"- Verdict: {verdict} (tolerance +{report['tolerance']:.0%}).")
    lines += ["", "![signals and alert states](timeline.png)", "", "## Phases", ""]
    lines += [
        "| phase | starts at (s) | planned (s) | users | fault preset |",
        "|---|---|---|---|---|",
    ]
    for phase in report["phases"]:
        lines.append(
            f"| {phase['name']} | {_seconds(phase['starts_at_s'])} | {phase['planned_s']:g} | "
            f"{phase['users']} | {phase['preset'] or '-'} |"
        )
    if report["alerts"]:
        lines += ["", "## The rules, as Prometheus loaded them", ""]
        lines.append(f"Scrape interval: {report['scrape_interval_s']:g} s.")
        lines.append("")
        lines += [
            "| alert | threshold | window (s) | for (s) | evaluation (s) | group_wait (s) "
            "| group_interval (s) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, alert in report["alerts"].items():
            lines.append(
                f"| {name} | {alert['threshold']} | {alert['window_s']} | {alert['for_s']:g} | "
                f"{alert['evaluation_interval_s']:g} | {alert['group_wait_s']:g} | "
                f"{alert['group_interval_s']:g} |"
            )
    if report["checks"]:
        lines += ["", "## Predicted and observed", ""]
        lines += [
            "| alert | transition | observed (s) | predicted (s) | verdict |",
            "|---|---|---|---|---|",
        ]
        for check in report["checks"]:
            predicted = (
                f"{_seconds(check['earliest_s'])} to {_seconds(check['latest_s'])}"
                if check["latest_s"] is not None
                else "-"
            )
            mark = "**" if check["status"] in FAILED else ""
            lines.append(
                f"| {check['alert']} | {check['kind']} | {_seconds(check['observed_s'])} | "
                f"{predicted} | {mark}{check['status']}{mark}: {check['text']} |"
            )
        lines += ["", "How each window was computed:", ""]
        for name, prediction in report["predictions"].items():
            lines.append(f"- **{name}**: {prediction['model']}.")
            for kind, window in prediction["windows"].items():
                lines.append(f"  - {kind}: {window['why']}")
    for note in report["notes"]:
        lines.append(f"- Note: {note}")
    lines += ["", "## Timeline", ""]
    if report["timeline"]:
        lines += ["| at (s) | alert | transition | seen by |", "|---|---|---|---|"]
        for item in report["timeline"]:
            lines.append(
                f"| {_seconds(item['at_s'])} | `{item['alert']}` | {item['kind']} | "
                f"{item['source']} |"
            )
    else:
        lines.append("No alert changed state during the run.")
    if report["also_seen"]:
        lines += ["", f"Also seen (not this scenario's subject): {', '.join(report['also_seen'])}."]
    if report["preexisting"]:
        lines += ["", f"Already active before the run: {', '.join(report['preexisting'])}."]
    lines += ["", "## Load (Locust)", ""]
    locust = report["locust"]
    if locust.get("available"):
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
        lines += ["", f"Locust's own reports: {', '.join(locust['files'])}."]
    else:
        lines.append("Locust wrote no statistics (it did not start, or was killed).")
    return "\n".join(lines) + "\n"


def write_report(report: Mapping[str, Any], folder: Path) -> tuple[Path, Path]:
    """Write report.json and report.md into the run's folder; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "report.json"
    markdown_path = folder / "report.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    markdown_path.write_text(render_markdown(report), encoding="utf-8")
    return markdown_path, json_path
