"""The READMEs name every `playground` command the app has, so none goes missing again."""

import re

from typer.main import get_command

from playground.cli.main import app
from playground.core.paths import REPO_ROOT


def _commands() -> set[str]:
    return set(get_command(app).commands)  # type: ignore[attr-defined]


def _commands_block() -> str:
    text = (REPO_ROOT / "playground" / "README.md").read_text()
    return text.split("## Commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]


def test_the_package_readme_shows_every_command() -> None:
    shown = set(re.findall(r"^playground ([\w-]+)", _commands_block(), re.M))
    assert shown == _commands()


def test_the_front_readmes_layout_table_names_every_command() -> None:
    row = next(
        line
        for line in (REPO_ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `playground/` |")
    )
    assert {name for name in _commands() if f"`{name}`" not in row} == set()
