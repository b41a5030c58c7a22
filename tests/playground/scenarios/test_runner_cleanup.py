"""The scenario runner leaves demo_app healthy and Locust stopped, whatever happened.

Real processes: demo_app (fixture) and Locust. Ctrl-C during a whole run on the native
stack is tested end to end in tests/e2e/test_scenario_error_storm.py.
"""

from pathlib import Path

import pytest

from loadtest.scenarios import SCENARIOS, PhaseLengths
from playground.core.net import free_port
from playground.scenarios.locust_run import LocustRun
from playground.scenarios.plan import RunOptions
from playground.scenarios.runner import ScenarioRunner, Target
from tests.support.demo_app_process import DemoApp


def target_for(url: str, token: str) -> Target:
    # clean_up talks to demo_app only; nothing listens on the other addresses.
    nowhere = f"http://127.0.0.1:{free_port()}"
    return Target("native", url, nowhere, nowhere, nowhere, token, "lab")


def test_after_an_error_mid_incident_the_faults_are_reset_and_locust_stopped(
    tmp_path: Path, healthy_demo_app: DemoApp
) -> None:
    app = healthy_demo_app
    lines: list[str] = []
    runner = ScenarioRunner(
        SCENARIOS["error-storm"],
        target_for(app.url, app.token),
        RunOptions(results_root=tmp_path),
        say=lines.append,
    )
    # The state run() is in during an incident: Locust running, the fault switched on.
    runner.locust = LocustRun(
        tmp_path, "error-storm", PhaseLengths(warmup=1, incident=120, recovery=1), app.url, "lab"
    )
    runner.locust.start()
    runner.locust.wait_for_shape()
    runner.faults_changed = True
    runner.admin.apply_preset("error-storm")
    problems: list[str] = []
    with pytest.raises(RuntimeError, match="mid-incident"):
        try:
            raise RuntimeError("mid-incident")
        finally:
            problems = runner.clean_up()
    runner.close()
    assert problems == []
    assert app.admin.faults()["active_preset"] == "healthy"
    assert not runner.locust.is_running()
    # Stopped as Ctrl-C stops it, so it still wrote its reports.
    assert (tmp_path / "locust.html").stat().st_size > 0
    assert "faults reset to healthy" in lines


def test_when_demo_app_cannot_be_reached_the_cleanup_says_how_to_reset_by_hand() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    runner = ScenarioRunner(
        SCENARIOS["error-storm"], target_for(closed, "x" * 24), say=lambda _line: None
    )
    runner.faults_changed = True
    problems = runner.clean_up()
    runner.close()
    assert len(problems) == 1
    assert "playground faults reset" in problems[0]
