"""The report (JSON and Markdown) of a finished run, and the PNG plot."""

import json
import struct
from pathlib import Path

from demo_app.faults import PRESET_STATES
from loadtest.scenarios import SCENARIOS
from playground.scenarios.lifecycle import Kind
from playground.scenarios.plan import RunOptions, plan_run
from playground.scenarios.plot import Panel, render_plot
from playground.scenarios.predictions import offline_alert_config
from playground.scenarios.report import RunRecord, build_report, render_markdown, write_report
from playground.scenarios.timeline import Transition, alert_key

LAB = offline_alert_config("lab")
T0 = 1_800_000_000.0
HIGH = alert_key({"alertname": "HighErrorRate", "job": "demo_app", "severity": "critical"})
FAULT = alert_key({"alertname": "DemoAppFaultActive", "preset": "error-storm"})
BURN = alert_key({"alertname": "DemoAppErrorBudgetBurn", "burn": "fast"})
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def error_storm_record(transitions: list[Transition], scenario: str = "error-storm") -> RunRecord:
    faults = {
        "faults": PRESET_STATES["healthy"].model_dump(),
        "active_preset": "healthy",
        "presets": {name: state.model_dump() for name, state in PRESET_STATES.items()},
    }
    plan = plan_run(SCENARIOS[scenario], LAB, faults, RunOptions(), "lab", set())
    origin = T0 + 30
    return RunRecord(
        scenario=SCENARIOS[scenario],
        target={"name": "native", "profile": "lab", "demo_app": "http://127.0.0.1:8000"},
        tolerance=0.15,
        slack=1.5,
        config=LAB,
        plan=plan,
        transitions=transitions,
        preexisting={},
        started=T0,
        origin=origin,
        phase_starts={"warmup": T0, "incident": origin, "recovery": origin + 70},
        recovered_at=origin + 70,
        ended=origin + 140,
        outcome="completed",
        locust={"available": False},
    )


def at(seconds: float) -> float:
    return T0 + 30 + seconds


ON_TIME = [
    Transition(FAULT, Kind.FIRING, at(3), "Prometheus"),
    Transition(FAULT, Kind.IN_ALERTMANAGER, at(3.5), "Alertmanager"),
    Transition(FAULT, Kind.NOTIFIED, at(13), "receiver"),
    Transition(HIGH, Kind.PENDING, at(8), "Prometheus"),
    Transition(BURN, Kind.PENDING, at(9), "Prometheus"),
    Transition(HIGH, Kind.FIRING, at(38), "Prometheus"),
    Transition(HIGH, Kind.IN_ALERTMANAGER, at(38.4), "Alertmanager"),
    Transition(HIGH, Kind.NOTIFIED, at(48), "receiver"),
    Transition(FAULT, Kind.RESOLVED, at(72), "Prometheus"),
    Transition(FAULT, Kind.RESOLVED_NOTIFIED, at(98), "receiver"),
    Transition(HIGH, Kind.RESOLVED, at(93), "Prometheus"),
    Transition(HIGH, Kind.RESOLVED_NOTIFIED, at(103), "receiver"),
]


def test_a_run_on_time_has_every_check_on_time() -> None:
    report = build_report(error_storm_record(ON_TIME)).to_dict()
    high = {c["kind"]: c for c in report["checks"] if c["alert"] == "HighErrorRate"}
    assert list(high) == [str(kind) for kind in Kind]
    assert high["pending"]["observed_s"] == 8.0
    assert (high["notified"]["earliest_s"], high["notified"]["latest_s"]) == (45.0, 55.0)
    assert {c["status"] for c in report["checks"]} == {"on time"}
    assert report["checks_failed"] == []
    # The burn-rate alert is not the scenario's subject: reported, not judged.
    assert report["also_seen"] == ["DemoAppErrorBudgetBurn"]
    assert report["timeline"][0] == {
        "alert": 'DemoAppFaultActive{preset="error-storm"}',
        "alertname": "DemoAppFaultActive",
        "labels": {"alertname": "DemoAppFaultActive", "preset": "error-storm"},
        "kind": "firing",
        "at_s": 3.0,
        "source": "Prometheus",
    }


def test_a_late_and_a_missing_transition_are_said_plainly() -> None:
    late = [t for t in ON_TIME if t.key != HIGH or t.kind is Kind.PENDING]
    late.append(Transition(HIGH, Kind.FIRING, at(80), "Prometheus"))
    typed = build_report(error_storm_record(late))
    report = typed.to_dict()
    statuses = {c["kind"]: c["status"] for c in report["checks"] if c["alert"] == "HighErrorRate"}
    assert statuses["firing"] == "late"
    assert statuses["notified"] == "never happened"
    markdown = render_markdown(typed)
    assert "| HighErrorRate | firing | 80.0 | 35.0 to 45.0 | **late**" in markdown
    assert "HighErrorRate notified never happened" in markdown


def test_baseline_with_an_alert_firing_reports_a_problem() -> None:
    record = error_storm_record([Transition(HIGH, Kind.PENDING, at(8), "Prometheus")], "baseline")
    report = build_report(record).to_dict()
    assert report["checks"] == []
    assert report["problems"] == ["Nothing should fire in baseline, but HighErrorRate did."]


def test_baseline_does_not_blame_an_alert_that_only_resolved_during_it() -> None:
    record = error_storm_record([Transition(HIGH, Kind.RESOLVED, at(2), "Prometheus")], "baseline")
    record.preexisting = {HIGH: "pending"}
    assert build_report(record).problems == []


def test_an_interrupted_run_keeps_its_outcome_and_problem() -> None:
    record = error_storm_record(ON_TIME[:3])
    record.outcome = "interrupted"
    record.problems = ["Interrupted (SIGTERM) in the incident phase."]
    record.ended = at(20)
    report = build_report(record).to_dict()
    assert report["outcome"] == "interrupted"
    statuses = {c["kind"]: c["status"] for c in report["checks"] if c["alert"] == "HighErrorRate"}
    assert statuses["notified"] == "not reached"
    assert "Outcome: **interrupted**" in render_markdown(build_report(record))


def test_the_report_files_hold_the_same_facts(tmp_path: Path) -> None:
    report = build_report(error_storm_record(ON_TIME))
    markdown, json_path = write_report(report, tmp_path)
    assert json.loads(json_path.read_text()) == report.to_dict()
    text = markdown.read_text()
    assert text.startswith("# Scenario `error-storm`")
    assert "![signals and alert states](timeline.png)" in text
    assert "| warmup | -30.0 | 30 | 10 | - |" in text


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert (length, chunk) == (13, b"IHDR")
    return struct.unpack(">II", data[16:24])


def test_the_plot_is_a_png_of_sensible_size(tmp_path: Path) -> None:
    seconds = range(-30, 141, 5)
    ratio = [(t, 0.3 if 5 <= t <= 90 else 0.0) for t in seconds]
    p95 = [(t, 0.2) for t in seconds]
    path = render_plot(
        tmp_path / "timeline.png",
        "error-storm on the native stack (lab profile)",
        [
            Panel(
                "5xx share of requests",
                ratio,
                threshold=0.05,
                stretches=[(8, 38, "pending"), (38, 93, "firing")],
                events=[(48, "notified"), (103, "resolved notified")],
                percent=True,
            ),
            Panel("p95 of LLM call durations", p95, threshold=10, unit="seconds"),
            Panel("requests in flight", [], threshold=50),
        ],
        marks=[(0, "incident starts"), (70, "recovery starts")],
        x_range=(-30, 145),
    )
    data = path.read_bytes()
    assert png_size(data) == (1200, 900)
    assert 20_000 < len(data) < 1_000_000
