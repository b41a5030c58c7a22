"""`playground scenario NAME`: run a load scenario and watch the alerts' lifecycle.

The subcommand only parses arguments and finds the stack (native, or compose's published
ports); ScenarioRunner (playground/scenarios/runner.py) does the work.

Exit status: 0 when the run completed and every transition came within its predicted
window; 1 otherwise (an error, Ctrl-C, a late or missing transition), with the reason printed.
"""

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest.scenarios import SCENARIOS
from playground.core.errors import PlaygroundError
from playground.core.settings import LOOPBACK, PlaygroundSettings
from playground.core.signals import signals_as_interrupts
from playground.native.stack import read_admin_token
from playground.scenarios.plan import RESULTS_DIR, RunOptions
from playground.scenarios.runner import ScenarioRunner, Target

EXIT_OK, EXIT_FAILED = 0, 1
# Where compose keeps the generated admin token, inside the demo_app container.
COMPOSE_TOKEN_HINT = "docker compose exec demo_app cat /var/lib/demo_app/admin-token"


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
    parser.add_argument(
        "--target",
        choices=("native", "compose"),
        default="native",
        help="the stack of `playground up` (default), or compose's published ports",
    )
    parser.add_argument("--profile", choices=("lab", "realistic"), help="overrides ALERT_PROFILE")
    urls = parser.add_argument_group("addresses (default: 127.0.0.1 and the ports in .env)")
    for part in ("demo-app", "prometheus", "alertmanager", "receiver"):
        urls.add_argument(f"--{part}-url", metavar="URL")
    parser.add_argument(
        "--admin-token-file",
        type=Path,
        metavar="PATH",
        help="demo_app's admin token; default: .run/admin-token (native) or "
        "$DEMO_APP_ADMIN_TOKEN (compose)",
    )
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


def resolve_target(settings: PlaygroundSettings, args: argparse.Namespace) -> Target:
    """The addresses and admin token of the stack the user means."""

    def url(option: str | None, port: int) -> str:
        return (option or f"http://{LOOPBACK}:{port}").rstrip("/")

    if args.admin_token_file is not None:
        try:
            token = args.admin_token_file.read_text().strip()
        except OSError as exc:
            raise PlaygroundError(f"Cannot read the admin token file: {exc}") from None
    elif args.target == "native":
        token = read_admin_token(settings)
    else:
        token = os.environ.get("DEMO_APP_ADMIN_TOKEN", "")
        if not token:
            raise PlaygroundError(
                "compose generates demo_app's admin token. Save it with\n"
                f"  {COMPOSE_TOKEN_HINT} > .admin-token\n"
                "and pass --admin-token-file .admin-token (or set DEMO_APP_ADMIN_TOKEN)."
            )
    return Target(
        name=args.target,
        demo_app=url(args.demo_app_url, settings.DEMO_APP_PORT),
        prometheus=url(args.prometheus_url, settings.PROMETHEUS_PORT),
        alertmanager=url(args.alertmanager_url, settings.ALERTMANAGER_PORT),
        alert_receiver=url(args.receiver_url, settings.ALERT_RECEIVER_PORT),
        admin_token=token,
        profile=settings.ALERT_PROFILE,
        locust_metrics_port=settings.LOCUST_METRICS_PORT if args.target == "native" else None,
    )


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


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m playground.cli.scenario NAME ...`: the subcommand on its own."""
    parser = argparse.ArgumentParser(prog="playground")
    add_scenario_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["scenario", *(sys.argv[1:] if argv is None else argv)])
    try:
        overrides = {"ALERT_PROFILE": args.profile} if args.profile else {}
        return cmd_scenario(PlaygroundSettings(**overrides), args)
    except PlaygroundError as exc:
        print(f"playground: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
