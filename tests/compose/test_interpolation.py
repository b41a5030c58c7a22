"""Compose variable interpolation: the resolver the other checks rely on, and compose.yaml
resolving against the committed .env alone (a fresh clone needs nothing else)."""

import re
from collections.abc import Callable, Mapping

import pytest

from tests.support.compose import interpolate, load_compose, parse_env_file

Interpolate = Callable[[str, Mapping[str, str]], str]

ENV = {"SET": "value", "EMPTY": ""}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("$SET/${SET}", "value/value"),
        ("${UNSET}", ""),
        ("${UNSET:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${SET:-fallback}", "value"),
        ("${UNSET:-${SET}}", "value"),
        ("${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET+alt}", "alt||alt|"),
        ("$$HOME and $${SET}", "$HOME and ${SET}"),
        ("127.0.0.1:${PORT:-8000}:8000", "127.0.0.1:8000:8000"),
    ],
)
def test_interpolate_resolves_like_compose(text: str, expected: str) -> None:
    assert interpolate(text, ENV) == expected


@pytest.mark.parametrize("text", ["${UNSET:?set it in .env}", "${EMPTY:?set it}", "${UNSET?x}"])
def test_interpolate_refuses_a_missing_required_variable(text: str) -> None:
    with pytest.raises(ValueError, match=r"(UNSET|EMPTY): "):
        interpolate(text, ENV)


def test_interpolate_accepts_an_empty_value_for_question_without_colon() -> None:
    assert interpolate("${EMPTY?x}", ENV) == ""


@pytest.mark.parametrize("text", ["${", "${1BAD}", "cost: $5", "${SET junk}"])
def test_interpolate_rejects_invalid_syntax(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid|unclosed"):
        interpolate(text, ENV)


def test_parse_env_reads_values_quotes_and_comments() -> None:
    text = "# comment\n\nA=1\nexport B = two\nC='x # y'\nD=plain # trailing\nA=3\n"
    assert parse_env_file(text) == {"A": "3", "B": "two", "C": "x # y", "D": "plain"}


def test_parse_env_rejects_a_line_without_equals() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_env_file("A=1\nnot a variable\n")


def test_compose_resolves_against_the_committed_env_alone(
    compose_text: str, dotenv: dict[str, str]
) -> None:
    # Raises on any ${VAR:?} that .env does not define; the shell is not consulted.
    project = load_compose(compose_text, dotenv)
    assert set(project["services"]) >= {
        "demo_app",
        "alert_receiver",
        "prometheus",
        "alertmanager",
        "grafana",
    }


def variables_without_default(compose_text: str) -> set[str]:
    """Variables used as plain `$VAR` / `${VAR}` (no default, no required message)."""
    unescaped = compose_text.replace("$$", "")
    bare = re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", unescaped)
    return {braced or plain for braced, plain in bare}


def test_variables_without_default_finds_bare_uses() -> None:
    assert variables_without_default("a: ${X}\nb: $Y\nc: ${Z:-1}\nd: $$W") == {"X", "Y"}


def test_every_compose_variable_has_a_default_or_a_message(compose_text: str) -> None:
    # A bare ${VAR} silently becomes "" when unset; say what happens instead.
    assert variables_without_default(compose_text) == set()
