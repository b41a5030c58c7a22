"""`playground scenario NAME`: run a load scenario and watch the alerts' lifecycle.

The subcommand only parses arguments and finds the stack (native, or compose's published
ports); ScenarioRunner (playground/scenarios/runner.py) does the work.

Exit status: 0 when the run completed and every transition came within its predicted
window; 1 otherwise (an error, Ctrl-C, a late or missing transition), with the reason printed.
"""

import argparse
import sys
from pathlib import Path

from loadtest.scenarios import SCENARIOS
from playground.cli.options import add_target_options, resolve_target
from playground.core.errors import PlaygroundError
from playground.core.exits import EXIT_FAILED, EXIT_OK
from playground.core.settings import PlaygroundSettings
from playground.core.signals import signals_as_interrupts
from playground.scenarios.plan import RESULTS_DIR, RunOptions
from playground.scenarios.runner import ScenarioRunner


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _scenario_table() -> str:
    rows = [f"  {name:<12} {scenario.summary}" for name, scenario in SCENARIOS.items()]
    return "scenarios:\n" + "\n".join(rows)


def add_scenario_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `scenario` to the `playground` command's subcommands."""
    parser = subparsers.add_parser(
        "scenario",
        help="run a load scenario and watch the alerts fire, notify and resolve",
        description=(
            "Run one scenario against a running stack: Locust load, the fault switched on "
            "and off through demo_app's admin API, and a live timeline of every alert "
            "transition beside its predicted time. Writes report.md, report.json, "
            "timeline.png and Locust's reports into results/<scenario>-<time>/."
        ),
        epilog=_scenario_table(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", choices=list(SCENARIOS), metavar="NAME", help="see below")
    add_target_options(parser)
    lengths = parser.add_argument_group("phase lengths in seconds (default: from the predictions)")
    lengths.add_argument("--warmup", type=_positive, metavar="S")
    lengths.add_argument(
        "--duration", type=_positive, metavar="S", help="the incident, or the only phase"
    )
    lengths.add_argument("--recovery", type=_positive, metavar="S", help="the longest recovery")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.15,
        help="allowed lateness as a share of the predicted delay (default 0.15)",
    )
    parser.add_argument(
        "--poll-interval", type=_positive, default=1.0, metavar="S", help="default 1"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="run Locust distributed: one master and N workers (default: one process)",
    )
    parser.add_argument(
        "--results", type=Path, default=RESULTS_DIR, metavar="DIR", help="default results/"
    )
    parser.add_argument(
        "--no-early-end",
        action="store_true",
        help="run the whole recovery phase even after every alert has resolved",
    )
    parser.set_defaults(handler=cmd_scenario)
    return parser


def cmd_scenario(settings: PlaygroundSettings, args: argparse.Namespace) -> int:
    """Run one scenario; exit 1 unless it completed and matched its predictions."""
    if args.workers < 0:
        raise PlaygroundError("--workers must be 0 or more.")
    target = resolve_target(settings, args)
    options = RunOptions(
        warmup=args.warmup,
        duration=args.duration,
        recovery=args.recovery,
        tolerance=args.tolerance,
        poll_interval=args.poll_interval,
        workers=args.workers,
        results_root=args.results,
        should_end_early=not args.no_early_end,
    )
    runner = ScenarioRunner(SCENARIOS[args.name], target, options)
    try:
        with signals_as_interrupts():
            result = runner.run()
    except KeyboardInterrupt:
        # Before anything was changed (the runner handles it once the run has begun).
        print("playground: interrupted", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if result.ok else EXIT_FAILED
