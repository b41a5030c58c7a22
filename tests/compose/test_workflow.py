"""The compose e2e workflow cannot run here (no registry), so its shape is checked: it runs
`make test-compose` with the real images (no stand-in flag), on the lab profile, within a
time bound, and tears the test project down, volumes included, even after a failure."""

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.core.paths import REPO_ROOT
from tests.compose_live.stack import PROJECT

WORKFLOW = Path(".github/workflows/compose-e2e.yml")


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
    if "make test-compose" not in commands:
        problems.append("no `make test-compose` step")
    if any("PLAYGROUND_COMPOSE_STANDINS" in str(item) for item in (job, commands)):
        problems.append("stand-ins asked for: the workflow is the real images' run")
    last_command, last_condition = runs[-1] if runs else ("", "")
    teardown = rf"docker compose --project-name {PROJECT} (.* )?down (.* )?--volumes\b"
    if not re.search(teardown, last_command):
        problems.append(f"the last step does not run `docker compose -p {PROJECT} down -v`")
    if "always()" not in str(last_condition):
        problems.append("teardown does not run `if: always()`")
    return problems


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / WORKFLOW).read_text())


def test_workflow_runs_make_test_compose_on_real_images_and_always_tears_down(
    workflow: dict[str, Any],
) -> None:
    assert workflow_problems(workflow) == []


def test_workflow_check_finds_stand_ins_a_missing_run_and_teardown() -> None:
    bad = {
        "jobs": {
            "e2e": {
                "env": {"ALERT_PROFILE": "realistic", "PLAYGROUND_COMPOSE_STANDINS": "1"},
                "steps": [{"run": "docker compose up -d"}, {"run": "docker compose down"}],
            }
        }
    }
    assert workflow_problems(bad) == [
        "ALERT_PROFILE is not lab",
        "no timeout-minutes",
        "no `make test-compose` step",
        "stand-ins asked for: the workflow is the real images' run",
        f"the last step does not run `docker compose -p {PROJECT} down -v`",
        "teardown does not run `if: always()`",
    ]


def bash_syntax_errors(script: str) -> str:
    """bash -n's complaints about a script (empty when it parses)."""
    result = subprocess.run(
        ["bash", "-n"], input=script, capture_output=True, text=True, timeout=10
    )
    return result.stderr


def test_every_shell_step_parses(workflow: dict[str, Any]) -> None:
    (job,) = workflow["jobs"].values()
    scripts = [step["run"] for step in job["steps"] if "run" in step]
    assert [bash_syntax_errors(script) for script in scripts] == [""] * len(scripts)


def test_bash_syntax_check_rejects_broken_shell() -> None:
    assert bash_syntax_errors("if true; then echo\n")
