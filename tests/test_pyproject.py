"""pyproject.toml declares what the installed packages need, from the versions the
requirements files pin: `pip install .` gets a working `playground`, and the two never drift."""

import re
import tomllib

from packaging.requirements import Requirement

from playground.core.paths import REPO_ROOT

# Pinned in requirements-dev.txt for the tests and linting only, never imported by the packages.
TEST_ONLY = {
    "pytest",
    "pytest-timeout",
    "pytest-xdist",
    "check-jsonschema",
    "grafana-foundation-sdk",
    "ruff",
    # the drills' OpenTelemetry claims are proven on the real library, in tests only
    "opentelemetry-instrumentation-fastapi",
    "opentelemetry-sdk",
}


def _pins() -> dict[str, Requirement]:
    pins = {}
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (REPO_ROOT / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                requirement = Requirement(line)
                pins[requirement.name.lower()] = requirement
    return pins


def _declared() -> dict[str, Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return {
        (requirement := Requirement(text)).name.lower(): requirement
        for text in project["dependencies"]
    }


def test_every_pinned_runtime_package_is_declared_and_nothing_else() -> None:
    assert set(_declared()) == set(_pins()) - TEST_ONLY


def test_each_lower_bound_is_the_pinned_version() -> None:
    pins = _pins()
    for name, requirement in _declared().items():
        (pin,) = pins[name].specifier
        (bound,) = requirement.specifier
        assert pin.operator == "==", f"{name} is pinned exactly in requirements*.txt"
        assert (bound.operator, bound.version) == (">=", pin.version), name
        assert requirement.extras == pins[name].extras, name


def test_the_script_entry_point_is_the_cli() -> None:
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, function = scripts["playground"].partition(":")
    assert re.fullmatch(r"playground\.cli\.\w+", module) and function == "main"
