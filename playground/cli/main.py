"""The `playground` command: up, down, status, preflight, faults, render-rules, scenario,
drill, lab and incident.

A thin layer over NativeStack (native/stack.py), the clients (core/clients.py) and the rule
profiles (configs/rule_profiles.py): it parses arguments, prints, and turns errors into exit
codes.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from demo_app.labels import PRESETS
from playground.cli.incident import add_incident_parser
from playground.cli.options import add_profile_option
from playground.cli.scenario import add_scenario_parser
from playground.core.clients import DemoAppAdminClient, StackApiError, StackUnavailableError
from playground.core.errors import PlaygroundError
from playground.core.exits import EXIT_FAILED, EXIT_OK
from playground.core.settings import PlaygroundSettings
from playground.core.signals import signals_as_interrupts, signals_ignored
from playground.native.ports import port_problems
from playground.native.stack import (
    NativeStack,
    native_ports,
    read_admin_token,
    stack_status,
    stop_stack,
)
from playground.teaching.drills import add_drill_parser
from playground.teaching.labs import add_lab_parser

# Each adds one command (or group of commands) to the parser: a new group is one more entry.
COMMAND_GROUPS = (add_scenario_parser, add_drill_parser, add_lab_parser, add_incident_parser)


def _say(line: str) -> None:
    print(f"playground: {line}", file=sys.stderr, flush=True)


def _shown(path: Path) -> str:
    # Paths inside the working directory print short (.run/logs), others in full.
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# What each part's row on the console says, besides its URL.
_PART_NOTES = {
    "demo_app": "the API; metrics at /metrics",
    "alert_receiver": "notifications page; JSON at /api/notifications",
    "alertmanager": "API at /api/v2/alerts",
    "alertmanager_2": "the HA pair's second Alertmanager (same alerts and silences)",
    "prometheus": "API at /api/v1/alerts",
    "grafana": "dashboards (anonymous Viewer)",
}


def _print_urls(stack: NativeStack) -> None:
    no_ui = "; this build has no web UI"
    notes = dict(_PART_NOTES)
    if not stack.prometheus.has_web_ui():
        notes["prometheus"] += no_ui
    if not stack.alertmanager.is_ready("/"):
        notes["alertmanager"] += no_ui
    password = _shown(stack.settings.PLAYGROUND_RUN_DIR / "grafana" / "admin-password")
    notes["grafana"] += f"; admin password in {password}"
    print(f"\nThe playground is up (alert profile: {stack.settings.ALERT_PROFILE}).")
    for row in stack.parts:
        print(f"  {row.name:<15} {row.url(stack.settings):<24} {notes.get(row.name, '')}")
    print(f"Fault API token: {_shown(stack.paths.admin_token)} (`playground faults` uses it)")
    print(f"Logs: {_shown(stack.paths.logs)}/ (appended; a part that dies is restarted)")
    print("Ctrl-C stops everything.\n", flush=True)


def cmd_up(settings: PlaygroundSettings, args: argparse.Namespace) -> int:
    """Start the stack and stay in the foreground until Ctrl-C or `playground down`.

    A part that dies is restarted, with a growing wait as compose's restart policy does.
    Under `nohup`, SIGHUP stays ignored, so the stack outlives the terminal.
    """
    with signals_as_interrupts():
        stack = NativeStack(settings, fresh=args.fresh, report=_say)
        try:
            stack.start()
            _print_urls(stack)
            stack.supervise()
        except KeyboardInterrupt:
            _say("stopping")
            return EXIT_OK
        finally:
            with signals_ignored():
                # A failed start has already stopped what it started.
                if stack.is_running:
                    stack.stop()
                    _say("stopped")
    return EXIT_OK


def cmd_down(settings: PlaygroundSettings, _args: argparse.Namespace) -> int:
    """Stop the stack running from this run folder, and anything a crash left behind."""
    stopped = stop_stack(settings, _say)
    _say(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")
    return EXIT_OK


def cmd_status(settings: PlaygroundSettings, _args: argparse.Namespace) -> int:
    """One line per part: address, pid, health. Exit 1 unless every part is healthy."""
    statuses = stack_status(settings)
    for part in statuses:
        pid = f"pid {part.pid}" if part.pid else "-"
        health = "healthy" if part.healthy else "DOWN"
        print(f"{part.name:<15} {part.url:<24} {pid:<11} {health:<8} {part.detail}")
    return EXIT_OK if all(part.healthy for part in statuses) else EXIT_FAILED


def cmd_faults(settings: PlaygroundSettings, args: argparse.Namespace) -> int:
    """Show or change demo_app's faults through its admin API."""
    url = f"http://127.0.0.1:{settings.DEMO_APP_PORT}"
    token = read_admin_token(settings)
    try:
        with DemoAppAdminClient(url, token) as admin:
            action = args.action or "show"
            result: Any
            if action == "show":
                result = admin.faults()
            elif action == "preset":
                result = admin.apply_preset(args.name)
            elif action == "reset":
                result = admin.reset()
            else:
                result = admin.set_faults(args.json)
    except StackUnavailableError:
        raise PlaygroundError(
            f"demo_app is not answering at {url}. Start the stack with `playground up`."
        ) from None
    except StackApiError as exc:
        if exc.status_code == 403 and "faults_hidden" in str(exc):
            raise PlaygroundError(
                "The faults are hidden while an incident game runs; `playground incident stop` "
                "ends it and resets them."
            ) from None
        if exc.status_code in (401, 403):
            raise PlaygroundError(
                f"demo_app refused the admin token in {settings.PLAYGROUND_RUN_DIR / 'admin-token'}"
                f" (HTTP {exc.status_code}): was it started by `playground up` from this folder?"
            ) from None
        raise
    print(json.dumps(result, indent=2))
    return EXIT_OK


def cmd_render_rules(_settings: PlaygroundSettings, args: argparse.Namespace) -> int:
    """Regenerate prometheus/rules/lab from prometheus/rules/realistic (or check it)."""
    # Imported here: only this command needs it.
    from playground.configs import rule_profiles

    if args.check:
        stale = rule_profiles.stale_lab_files()
        if stale:
            _say(
                f"the lab profile is out of date: {', '.join(stale)}; run `playground render-rules`"
            )
            return EXIT_FAILED
        _say("the lab profile is up to date")
        return EXIT_OK
    for path in rule_profiles.render_lab_profile():
        _say(f"wrote {_shown(Path(path))}")
    return EXIT_OK


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def cmd_preflight(settings: PlaygroundSettings, args: argparse.Namespace) -> int:
    """Every port problem at once, so one edit of .env.override fixes them all."""
    ports = settings.compose_ports() if args.compose else native_ports(settings)
    command = "docker compose up" if args.compose else "make up"
    problems = port_problems(ports, command)
    for problem in problems:
        _say(problem)
    if not problems:
        listed = ", ".join(f"{port} ({name})" for name, port in ports.items())
        print(f"Every port is free on 127.0.0.1: {listed}.")
    return EXIT_FAILED if problems else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playground",
        description="Run the observability playground natively, and drive it.",
        epilog="Ports, profile and folders come from the environment, .env.override and .env.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="start every part; stays in the foreground until Ctrl-C")
    add_profile_option(up)
    up.add_argument(
        "--fresh",
        action="store_true",
        help="delete the data of Prometheus, Alertmanager and the receiver first",
    )
    up.add_argument(
        "--ha",
        action="store_true",
        help="run Alertmanager as an HA pair that gossips (sets PLAYGROUND_HA)",
    )
    up.set_defaults(handler=cmd_up)

    down = commands.add_parser("down", help="stop a running stack and any leftovers")
    down.set_defaults(handler=cmd_down)

    status = commands.add_parser("status", help="is each part running and healthy?")
    status.set_defaults(handler=cmd_status)

    preflight = commands.add_parser(
        "preflight", help="report every busy port before `make up` or `docker compose up`"
    )
    preflight.add_argument(
        "--compose",
        action="store_true",
        help="check the ports compose publishes (adds GRAFANA_PORT and LOCUST_PORT)",
    )
    preflight.set_defaults(handler=cmd_preflight)

    faults = commands.add_parser("faults", help="show or change demo_app's injected faults")
    faults.set_defaults(handler=cmd_faults, action=None)
    actions = faults.add_subparsers(dest="action", metavar="ACTION")
    actions.add_parser("show", help="print the fault state (the default)")
    preset = actions.add_parser("preset", help="switch to a named preset")
    preset.add_argument("name", choices=PRESETS)
    actions.add_parser("reset", help="back to healthy")
    set_state = actions.add_parser("set", help="replace the whole fault state")
    set_state.add_argument(
        "--json", required=True, type=_json_object, metavar="OBJECT", help="the new state"
    )

    render = commands.add_parser(
        "render-rules", help="generate the lab alert profile from the realistic one"
    )
    render.add_argument("--check", action="store_true", help="exit 1 if it is out of date")
    render.set_defaults(handler=cmd_render_rules)

    for add_group in COMMAND_GROUPS:
        add_group(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `playground` console script."""
    args = build_parser().parse_args(argv)
    try:
        overrides: dict[str, Any] = (
            {"ALERT_PROFILE": args.profile} if getattr(args, "profile", None) else {}
        )
        if getattr(args, "ha", False):
            overrides["PLAYGROUND_HA"] = True
        settings = PlaygroundSettings(**overrides)
        return args.handler(settings, args)
    except PlaygroundError as exc:
        _say(f"error: {exc}")
        return EXIT_FAILED
    except ValidationError as exc:
        _say(f"error: a setting in the environment, .env.override or .env is invalid:\n{exc}")
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
