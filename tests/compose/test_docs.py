"""docs/compose.md tells the truth about the stack: its URLs use the ports in .env, its
port table names every port variable, and its image table lists the pins in force."""

import re
from pathlib import Path

import pytest

from playground.core.paths import REPO_ROOT

DOC = Path("docs/compose.md")


@pytest.fixture(scope="module")
def doc() -> str:
    return (REPO_ROOT / DOC).read_text()


def undocumented(doc: str, expected: set[str]) -> set[str]:
    """The expected strings the document never mentions."""
    return {item for item in expected if item not in doc}


def test_every_url_uses_a_port_from_env(doc: str, dotenv: dict[str, str]) -> None:
    ports = {value for name, value in dotenv.items() if name.endswith("_PORT")}
    used = set(re.findall(r"http://127\.0\.0\.1:(\d+)", doc))
    assert used, "no URL found"
    assert used - ports == set()


def test_port_table_names_every_port_variable(doc: str, dotenv: dict[str, str]) -> None:
    variables = {f"`{name}`" for name in dotenv if name.endswith("_PORT")}
    assert undocumented(doc, variables) == set()


def test_image_table_lists_every_pin(doc: str, dotenv: dict[str, str]) -> None:
    pins = {f"`{value}`" for name, value in dotenv.items() if name.endswith("_IMAGE")}
    for dockerfile in ("demo_app/Dockerfile", "alert_receiver/Dockerfile"):
        base = re.search(r"^FROM (\S+)", (REPO_ROOT / dockerfile).read_text(), re.M)
        assert base
        pins.add(f"`{base.group(1)}`")
    assert undocumented(doc, pins) == set()


def test_undocumented_reports_what_is_missing() -> None:
    assert undocumented("`prom/prometheus:v3.5.3`", {"`prom/prometheus:v3.5.3`", "`x:1`"}) == {
        "`x:1`"
    }
