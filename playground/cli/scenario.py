"""`playground scenario NAME`: run a load scenario and watch the alerts' lifecycle.

The command only reads its options and finds the stack (native, or compose's published
ports); ScenarioRunner (playground/scenarios/runner.py) does the work.

Exit status: 0 when the run completed and every transition came within its predicted
window; 1 otherwise (an error, Ctrl-C, a late or missing transition), with the reason printed.
"""

import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from loadtest.scenarios import SCENARIOS
from playground.cli.options import (
    TargetOptions,
    folder_default,
    load_settings,
    resolve_target,
    with_target_options,
)
from playground.core.errors import PlaygroundError
from playground.core.exits import EXIT_FAILED, EXIT_OK
from playground.core.signals import signals_as_interrupts
from playground.scenarios.plan import RunOptions
from playground.scenarios.runner import ScenarioRunner

# The scenario table's names, as choices (a Literal built at run time).
ScenarioName = Literal[tuple(SCENARIOS)]  # type: ignore[valid-type]
# Where a run's defaults live: RunOptions, not this module.
DEFAULTS = RunOptions()

app = typer.Typer()


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise typer.BadParameter(f"not a number: {text!r}") from None
    if value <= 0:
        raise typer.BadParameter("must be more than 0")
    return value


def _scenario_table() -> str:
    rows = [f"  {name:<12} {scenario.summary}" for name, scenario in SCENARIOS.items()]
    # \b: click prints the paragraph as it is, not rewrapped.
    return "\b\nscenarios:\n" + "\n".join(rows)


PhaseLength = Annotated[
    float | None,
    typer.Option(parser=_positive, metavar="S", help="seconds; default: from the predictions"),
]


@app.command(
    help="Run one scenario against a running stack: Locust load, the fault switched on "
    "and off through demo_app's admin API, and a live timeline of every alert "
    "transition beside its predicted time. Writes report.md, report.json, "
    "timeline.png and Locust's reports into results/<scenario>-<time>/.",
    short_help="run a load scenario and watch the alerts fire, notify and resolve",
    epilog=_scenario_table(),
)
@with_target_options
def scenario(
    name: Annotated[ScenarioName, typer.Argument(metavar="NAME", help="see below")],
    target: TargetOptions,
    warmup: PhaseLength = DEFAULTS.warmup,
    duration: Annotated[
        float | None,
        typer.Option(
            parser=_positive,
            metavar="S",
            help="seconds of the incident, or of the only phase; default: from the predictions",
        ),
    ] = DEFAULTS.duration,
    recovery: Annotated[
        float | None,
        typer.Option(
            parser=_positive,
            metavar="S",
            help="seconds of the longest recovery; default: from the predictions",
        ),
    ] = DEFAULTS.recovery,
    # parser=float: Python's float(), as argparse's type=float was.
    tolerance: Annotated[
        float,
        typer.Option(parser=float, help="allowed lateness as a share of the predicted delay"),
    ] = DEFAULTS.tolerance,
    poll_interval: Annotated[
        float, typer.Option(parser=_positive, metavar="S")
    ] = DEFAULTS.poll_interval,
    workers: Annotated[
        int,
        typer.Option(
            parser=int,
            metavar="N",
            help="run Locust distributed: one master and N workers (0: one process)",
        ),
    ] = DEFAULTS.workers,
    results: Annotated[
        Path,
        typer.Option(
            metavar="DIR",
            show_default=folder_default(DEFAULTS.results_root),
        ),
    ] = DEFAULTS.results_root,
    no_early_end: Annotated[
        bool,
        typer.Option(
            "--no-early-end",
            help="run the whole recovery phase even after every alert has resolved",
        ),
    ] = False,
) -> int:
    """Run one scenario; exit 1 unless it completed and matched its predictions."""
    settings = load_settings(target.profile)
    if workers < 0:
        raise PlaygroundError("--workers must be 0 or more.")
    resolved = resolve_target(settings, target)
    options = RunOptions(
        warmup=warmup,
        duration=duration,
        recovery=recovery,
        tolerance=tolerance,
        poll_interval=poll_interval,
        workers=workers,
        results_root=results,
        should_end_early=not no_early_end,
    )
    runner = ScenarioRunner(SCENARIOS[name], resolved, options)
    try:
        with signals_as_interrupts():
            result = runner.run()
    except KeyboardInterrupt:
        # Before anything was changed (the runner handles it once the run has begun).
        print("playground: interrupted", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if result.ok else EXIT_FAILED
