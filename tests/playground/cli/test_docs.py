"""The READMEs name every `playground` command the app has, and every command and flag the
package README shows exists, so none goes missing or goes stale again."""

import re

from typer.core import TyperGroup
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


def test_every_flag_and_action_the_package_readme_shows_exists() -> None:
    root = get_command(app)
    for line in _commands_block().strip().splitlines():
        words = line.split("#", 1)[0].split()[1:]
        command = root.commands[words[0]]  # type: ignore[attr-defined]
        known = {opt for param in command.params for opt in param.opts}
        if isinstance(command, TyperGroup):
            # `faults preset`, `lab [verify N]`, `incident list|start|...`
            actions = {w for word in words[1:] for w in word.strip("[]").split("|")}
            named = actions & set(command.commands)
            assert named or words[1:] == [], line
            known |= {
                opt
                for name in named
                for param in command.commands[name].params
                for opt in param.opts
            }
        flags = set(re.findall(r"(?<![\w-])(--[\w-]+)", line.split("#", 1)[0]))
        assert flags <= known, (line, flags - known)


def test_the_front_readmes_layout_table_names_every_command() -> None:
    row = next(
        line
        for line in (REPO_ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `playground/` |")
    )
    assert {name for name in _commands() if f"`{name}`" not in row} == set()
