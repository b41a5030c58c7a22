"""`playground lab` (the list) and `playground lab verify N` (check a lab on the live stack).

The labs and their checks are playground/teaching/labs.py; this module only reads the
command line, prints, and turns the checks into an exit status.
"""

from typing import Annotated

import typer

from playground.cli.options import load_settings
from playground.configs.rule_profiles import parse_duration_ms
from playground.core.clients import StackUnavailableError
from playground.core.errors import PlaygroundError
from playground.core.exits import EXIT_FAILED, EXIT_OK
from playground.core.paths import REPO_ROOT
from playground.teaching.labs import DEFAULT_WITHIN, LABS, LiveStack, format_checks, lab

app = typer.Typer(
    name="lab",
    help="Without an action, list the labs (docs/labs/). `verify N` checks the live "
    "stack and says PASS or what is missing.",
    short_help="guided labs: list them, or verify one against the live stack",
)


@app.callback(invoke_without_command=True)
def labs(ctx: typer.Context) -> None:
    """Without an action, list the labs."""
    if ctx.invoked_subcommand is not None:
        return
    load_settings()  # a bad setting is reported as by every command
    for item in LABS:
        print(f"{item.number}  {item.title:<42} {item.page.relative_to(REPO_ROOT)}")
    print("\nCheck your work: playground lab verify N")


@app.command(short_help="check that lab N was done on the running stack")
def verify(
    number: Annotated[
        int, typer.Argument(parser=int, metavar="N", help="the lab's number, 1 to 7")
    ],
    within: Annotated[
        str,
        typer.Option(metavar="DURATION", help="how far back to look for what the lab did"),
    ] = DEFAULT_WITHIN,
) -> int:
    """Verify one lab against the live stack: exit 1 unless every check passes."""
    settings = load_settings()
    chosen = lab(number)
    try:
        parse_duration_ms(within)
    except ValueError:
        raise PlaygroundError(f"--within {within!r} is not a duration such as 30m or 3h") from None
    try:
        live = LiveStack.from_settings(settings)
        try:
            checks = chosen.verify(live, within)
        finally:
            live.close()
    except StackUnavailableError as exc:
        raise PlaygroundError(
            f"The stack is not answering ({exc}). Start it: `playground up`."
        ) from None
    print(f"Lab {chosen.number}: {chosen.title} ({live.profile} profile)\n")
    print(format_checks(checks))
    passed = all(c.passed for c in checks)
    print("\nPASS: lab done." if passed else "\nNot yet: see what is missing above.")
    return EXIT_OK if passed else EXIT_FAILED
