"""The READMEs name every `playground` command the parser has, so none goes missing again."""

import argparse
import re

from playground.cli.main import build_parser
from playground.core.paths import REPO_ROOT


def _commands() -> set[str]:
    actions = build_parser()._subparsers._group_actions  # type: ignore[union-attr]
    (commands,) = [a for a in actions if isinstance(a, argparse._SubParsersAction)]
    return set(commands.choices)


def test_the_package_readme_shows_every_command() -> None:
    text = (REPO_ROOT / "playground" / "README.md").read_text()
    block = text.split("## Commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    shown = set(re.findall(r"^playground ([\w-]+)", block, re.M))
    assert shown == _commands()


def test_the_front_readmes_layout_table_names_every_command() -> None:
    row = next(
        line
        for line in (REPO_ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `playground/` |")
    )
    assert {name for name in _commands() if f"`{name}`" not in row} == set()
