"""Fixtures for the static compose checks: .env parsing, compose interpolation, loaded configs.

There is no Docker engine where these tests run, so compose.yaml is read the way Compose v2
reads it: YAML (anchors and `<<` merge keys included), then `${VAR}` interpolation against
.env. The shell environment is deliberately ignored, so the result is what a fresh clone
gets, whatever the developer has exported.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.core.net import free_port
from playground.core.paths import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "compose.yaml"
ENV_FILE = REPO_ROOT / ".env"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_BRACED_HEAD = re.compile(rf"({_NAME})(:?[-?+])?")
_BARE_NAME = re.compile(_NAME)
_ENV_LINE = re.compile(rf"^\s*(?:export\s+)?({_NAME})\s*=\s*(.*?)\s*$")


class MissingVariableError(ValueError):
    """A `${VAR:?message}` or `${VAR?message}` whose variable is missing."""


def parse_env_file(text: str) -> dict[str, str]:
    """Parse a Compose .env file: KEY=VALUE lines, `#` comments, optional quotes.

    Args:
        text: The file's content.

    Returns:
        Each variable's value, later lines winning.
    """
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match is None:
            raise ValueError(f"line {number} is not KEY=VALUE: {line!r}")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            # An unquoted value ends at ` #`, as in Compose.
            value = re.split(r"\s+#", value, maxsplit=1)[0]
        values[key] = value
    return values


def _matching_brace(text: str, start: int) -> int:
    """Index of the `}` closing the `${` whose `{` is at ``start``."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unclosed '${{' in {text!r}")


def _expand_braced(inner: str, env: Mapping[str, str]) -> str:
    """Expand the inside of one `${...}`: a name and an optional operator and word."""
    match = _BRACED_HEAD.match(inner)
    if match is None:
        raise ValueError(f"invalid interpolation '${{{inner}}}'")
    name, operator = match.groups()
    word = inner[match.end() :]
    if operator is None:
        if word:
            raise ValueError(f"invalid interpolation '${{{inner}}}'")
        return env.get(name, "")
    is_set = name in env
    has_value = is_set and env[name] != ""
    # `:` in the operator means "empty counts as missing".
    present = has_value if operator.startswith(":") else is_set
    if operator.endswith("-"):
        return env[name] if present else interpolate(word, env)
    if operator.endswith("+"):
        return interpolate(word, env) if present else ""
    if not present:
        raise MissingVariableError(f"{name}: {interpolate(word, env) or 'required'}")
    return env[name]


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Resolve Compose interpolation in one string.

    Supports `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
    `${VAR?error}`, `${VAR:+replacement}` and `${VAR+replacement}`, nested in the word.

    Args:
        text: A string from compose.yaml.
        env: The variables (the parsed .env).

    Returns:
        The string Compose would use.

    Raises:
        MissingVariableError: A required variable is missing.
        ValueError: The syntax is invalid (Compose refuses it too).
    """
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        following = text[index + 1 : index + 2]
        if following == "$":
            out.append("$")
            index += 2
        elif following == "{":
            end = _matching_brace(text, index + 1)
            out.append(_expand_braced(text[index + 2 : end], env))
            index = end + 1
        elif bare := _BARE_NAME.match(text, index + 1):
            out.append(env.get(bare.group(), ""))
            index = bare.end()
        else:
            raise ValueError(f"invalid '$' at {index} in {text!r} (write '$$' for a literal $)")
    return "".join(out)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    """Interpolate every string value (not keys) in a loaded YAML tree."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    return node


def load_compose_text(text: str, env: Mapping[str, str]) -> dict[str, Any]:
    """Load compose YAML and interpolate it, as `docker compose config` would."""
    return interpolate_tree(yaml.safe_load(text), env)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def dotenv() -> dict[str, str]:
    """The committed .env, parsed."""
    return parse_env_file(ENV_FILE.read_text())


@pytest.fixture(scope="session")
def compose_text() -> str:
    """compose.yaml as written."""
    return COMPOSE_FILE.read_text()


@pytest.fixture(scope="session")
def compose(compose_text: str, dotenv: dict[str, str]) -> dict[str, Any]:
    """compose.yaml, loaded and interpolated against .env only."""
    return load_compose_text(compose_text, dotenv)


@pytest.fixture(scope="session")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services of the interpolated compose.yaml."""
    return compose["services"]


@pytest.fixture(scope="session")
def load_compose() -> Callable[[str, Mapping[str, str]], dict[str, Any]]:
    """The loader itself, for tests that feed it bad fixtures."""
    return load_compose_text


def load_yaml(path: Path) -> Any:
    """A YAML file's content."""
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="session")
def read_yaml() -> Callable[[Path], Any]:
    """Read a YAML file (the configs that compose mounts)."""
    return load_yaml


@pytest.fixture(scope="session")
def interpolate_fn() -> Callable[[str, Mapping[str, str]], str]:
    """The interpolation function itself, for its unit tests."""
    return interpolate


@pytest.fixture(scope="session")
def parse_env_fn() -> Callable[[str], dict[str, str]]:
    """The .env parser itself, for its unit tests."""
    return parse_env_file


@pytest.fixture
def unused_port() -> int:
    """A free loopback port for one server in this test."""
    return free_port()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts; each is stopped (SIGTERM, then SIGKILL) at teardown."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.terminate()
    for process in started:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def launch_app(
    processes: list[subprocess.Popen[bytes]],
) -> Callable[[str, Mapping[str, str]], dict[str, str]]:
    """Start `python -m <package>` the way its image does, on a free loopback port.

    The callable returns the environment the app got (its ``<PACKAGE>_PORT`` says where it
    listens) without waiting for it to serve; every app is stopped at teardown.
    """

    def launch(package: str, extra_env: Mapping[str, str]) -> dict[str, str]:
        if not (REPO_ROOT / package / "__main__.py").exists():
            pytest.skip(f"{package}/__main__.py does not exist yet (its helper is writing it)")
        prefix = package.upper()
        env = {
            **os.environ,
            **extra_env,
            f"{prefix}_HOST": "127.0.0.1",
            f"{prefix}_PORT": str(free_port()),
        }
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", package],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        return env

    return launch
