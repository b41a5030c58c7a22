"""The compose e2e workflow cannot run here (no Docker engine), so its shape is checked:
lab profile, health-gated start, the error-storm scenario, teardown with volumes that runs
even after a failure, a time bound, and shell that parses."""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.core.paths import REPO_ROOT

WORKFLOW = Path(".github/workflows/compose-e2e.yml")
SCENARIO_COMMAND = "playground scenario error-storm --target compose"


def workflow_problems(workflow: dict[str, Any]) -> list[str]:
    """What would make the e2e workflow wrong or leave a stack behind."""
    problems = []
    jobs = workflow.get("jobs", {})
    if len(jobs) != 1:
        return [f"expected one job, found {sorted(jobs)}"]
    (job,) = jobs.values()
    if job.get("env", {}).get("ALERT_PROFILE") != "lab":
        problems.append("ALERT_PROFILE is not lab")
    if not isinstance(job.get("timeout-minutes"), int):
        problems.append("no timeout-minutes")
    runs = [(step.get("run", ""), step.get("if", "")) for step in job.get("steps", [])]
    commands = [run for run, _ in runs]
    up = next((i for i, c in enumerate(commands) if "docker compose up" in c), None)
    if up is None or "--wait" not in commands[up]:
        problems.append("no `docker compose up --wait` step")
    scenario = next((i for i, c in enumerate(commands) if "error" in c and "storm" in c), None)
    if scenario is None or up is None or scenario < up:
        problems.append("no error-storm step after the stack is up")
    last_command, last_condition = runs[-1] if runs else ("", "")
    if not re.search(r"docker compose down (.* )?(-v|--volumes)\b", last_command):
        problems.append("the last step does not run `docker compose down -v`")
    if "always()" not in str(last_condition):
        problems.append("teardown does not run `if: always()`")
    return problems


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / WORKFLOW).read_text())


def test_workflow_runs_the_lab_error_storm_and_always_tears_down(
    workflow: dict[str, Any],
) -> None:
    assert workflow_problems(workflow) == []


def test_workflow_check_finds_a_missing_wait_scenario_and_teardown() -> None:
    bad = {
        "jobs": {
            "e2e": {
                "env": {"ALERT_PROFILE": "realistic"},
                "steps": [{"run": "docker compose up -d"}, {"run": "docker compose down"}],
            }
        }
    }
    assert workflow_problems(bad) == [
        "ALERT_PROFILE is not lab",
        "no timeout-minutes",
        "no `docker compose up --wait` step",
        "no error-storm step after the stack is up",
        "the last step does not run `docker compose down -v`",
        "teardown does not run `if: always()`",
    ]


def test_workflow_runs_the_scenario_command_as_the_cli_parses_it(
    workflow: dict[str, Any],
) -> None:
    from playground.cli.main import build_parser

    commands = [step.get("run", "") for step in workflow["jobs"]["error-storm"]["steps"]]
    (scenario,) = [command for command in commands if SCENARIO_COMMAND in command]
    args = build_parser().parse_args(scenario.split()[1:])
    assert (args.command, args.name, args.target) == ("scenario", "error-storm", "compose")


def bash_syntax_errors(script: str) -> str:
    """bash -n's complaints about a script (empty when it parses)."""
    result = subprocess.run(
        ["bash", "-n"], input=script, capture_output=True, text=True, timeout=10
    )
    return result.stderr


def test_every_shell_step_parses(workflow: dict[str, Any]) -> None:
    steps = workflow["jobs"]["error-storm"]["steps"]
    scripts = [step["run"] for step in steps if "run" in step]
    assert [bash_syntax_errors(script) for script in scripts] == [""] * len(scripts)


def test_bash_syntax_check_rejects_broken_shell() -> None:
    assert bash_syntax_errors("if true; then echo\n")
