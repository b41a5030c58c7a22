"""compose.yaml and the CI workflow validate against the JSON schemas check-jsonschema ships
(vendor.compose-spec, vendor.github-workflows), the same ones its CLI uses."""

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

from playground.core.paths import REPO_ROOT

WORKFLOW = Path(".github/workflows/compose-e2e.yml")


def schema_errors(document: Any, schema_name: str) -> list[str]:
    """Every schema violation, as `path: message` lines (empty when valid)."""
    schema = get_builtin_schema(schema_name)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


def test_compose_matches_the_compose_spec_schema(compose: dict[str, Any]) -> None:
    assert schema_errors(compose, "vendor.compose-spec") == []


def test_compose_spec_check_rejects_an_unknown_service_key() -> None:
    bad = {"services": {"demo_app": {"image": "x:1", "restart_policy": "always"}}}
    errors = schema_errors(bad, "vendor.compose-spec")
    assert errors
    assert any("restart_policy" in error for error in errors)


def test_ci_workflow_matches_the_github_workflows_schema() -> None:
    # PyYAML reads the `on:` key as True (YAML 1.1); GitHub reads it as "on".
    workflow = yaml.safe_load((REPO_ROOT / WORKFLOW).read_text())
    workflow = {("on" if key is True else key): value for key, value in workflow.items()}
    assert schema_errors(workflow, "vendor.github-workflows") == []


def test_workflow_schema_check_rejects_a_step_that_does_nothing() -> None:
    bad = {"on": "push", "jobs": {"e2e": {"runs-on": "ubuntu-24.04", "steps": [{"name": "x"}]}}}
    assert schema_errors(bad, "vendor.github-workflows")


@pytest.mark.parametrize("schema_name", ["vendor.compose-spec", "vendor.github-workflows"])
def test_vendored_schema_is_available(schema_name: str) -> None:
    assert "properties" in get_builtin_schema(schema_name)
