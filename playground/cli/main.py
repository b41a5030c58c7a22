"""The `playground` command: up, down, status, preflight, faults, render-rules, scenario,
drill, lab and incident.

One Typer app: the commands that run the stack are here, each other group of commands is a
sub-app in its own module (faults.py, scenario.py, drill.py, lab.py, incident.py). A thin layer
over NativeStack (native/stack.py), the clients (core/clients.py), the rule profiles
(configs/rule_profiles.py) and the teaching material: it reads the command line, prints, and
turns errors into exit codes.
"""

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup
from typer.main import get_command

from playground.cli import drill, faults, incident, lab, scenario
from playground.cli.options import ProfileOption, load_settings
from playground.core.errors import PlaygroundError
from playground.core.exits import EXIT_FAILED, EXIT_OK
from playground.core.signals import signals_as_interrupts, signals_ignored
from playground.native.ports import port_problems
from playground.native.stack import NativeStack, native_ports, stack_status, stop_stack

app = typer.Typer(
    name="playground",
    help="Run the observability playground natively, and drive it.",
    epilog="Ports, profile and folders come from the environment, .env.override and .env.",
    # Plain help and plain tracebacks: no rich boxes, no completion install options.
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # -h as well as --help, as argparse had.
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


@app.command(short_help="start every part; stays in the foreground until Ctrl-C")
def up(
    profile: ProfileOption = None,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh", help="delete the data of Prometheus, Alertmanager and the receiver first"
        ),
    ] = False,
    ha: Annotated[
        bool,
        typer.Option(
            "--ha", help="run Alertmanager as an HA pair that gossips (sets PLAYGROUND_HA)"
        ),
    ] = False,
) -> None:
    """Start the stack and stay in the foreground until Ctrl-C or `playground down`.

    A part that dies is restarted, with a growing wait as compose's restart policy does.
    Under `nohup`, SIGHUP stays ignored, so the stack outlives the terminal.
    """
    # --ha only ever switches the pair on; without it, PLAYGROUND_HA decides.
    settings = load_settings(profile, **({"PLAYGROUND_HA": True} if ha else {}))
    with signals_as_interrupts():
        stack = NativeStack(settings, fresh=fresh, report=_say)
        try:
            stack.start()
            _print_urls(stack)
            stack.supervise()
        except KeyboardInterrupt:
            _say("stopping")
        finally:
            with signals_ignored():
                # A failed start has already stopped what it started.
                if stack.is_running:
                    stack.stop()
                    _say("stopped")


@app.command(short_help="stop a running stack and any leftovers")
def down() -> None:
    """Stop the stack running from this run folder, and anything a crash left behind."""
    stopped = stop_stack(load_settings(), _say)
    _say(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")


@app.command(short_help="is each part running and healthy?")
def status() -> int:
    """One line per part: address, pid, health. Exit 1 unless every part is healthy."""
    statuses = stack_status(load_settings())
    for part in statuses:
        pid = f"pid {part.pid}" if part.pid else "-"
        health = "healthy" if part.healthy else "DOWN"
        print(f"{part.name:<15} {part.url:<24} {pid:<11} {health:<8} {part.detail}")
    return EXIT_OK if all(part.healthy for part in statuses) else EXIT_FAILED


@app.command(short_help="report every busy port before `make up` or `docker compose up`")
def preflight(
    compose: Annotated[
        bool,
        typer.Option(
            "--compose",
            help="check the ports compose publishes (adds GRAFANA_PORT and LOCUST_PORT)",
        ),
    ] = False,
) -> int:
    """Every port problem at once, so one edit of .env.override fixes them all."""
    settings = load_settings()
    ports = settings.compose_ports() if compose else native_ports(settings)
    command = "docker compose up" if compose else "make up"
    problems = port_problems(ports, command)
    for problem in problems:
        _say(problem)
    if not problems:
        listed = ", ".join(f"{port} ({name})" for name, port in ports.items())
        print(f"Every port is free on 127.0.0.1: {listed}.")
    return EXIT_FAILED if problems else EXIT_OK


app.add_typer(faults.app)


@app.command(short_help="generate the lab alert profile from the realistic one")
def render_rules(
    check: Annotated[bool, typer.Option("--check", help="exit 1 if it is out of date")] = False,
) -> int:
    """Regenerate prometheus/rules/lab from prometheus/rules/realistic (or check it)."""
    # Imported here: only this command needs it.
    from playground.configs import rule_profiles

    load_settings()  # a bad setting is reported as by every command
    if check:
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


# The other groups, each defined in its own module (scenario and drill are one command each).
for group in (scenario.app, drill.app, lab.app, incident.app):
    app.add_typer(group)


def _expand_abbreviations(command: Any, args: list[str]) -> list[str]:
    """``args`` with each unique prefix of a long option written in full (--poll for
    --poll-interval), which argparse accepted and click does not."""
    expanded = []
    for index, arg in enumerate(args):
        if arg == "--":
            return [*expanded, *args[index:]]
        if isinstance(command, TyperGroup) and arg in command.commands:
            command = command.commands[arg]
        elif arg.startswith("--"):
            name, equals, value = arg.partition("=")
            options = {opt for param in command.params for opt in param.opts}
            options |= {"--help"}
            matches = [option for option in options if option.startswith(name)]
            if name not in options and len(matches) == 1:
                arg = f"{matches[0]}{equals}{value}"
        expanded.append(arg)
    return expanded


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `playground` console script.

    Returns the command's exit status. Like argparse, a usage error exits 2 and --help
    exits 0 (SystemExit); Ctrl-C outside the commands that handle it propagates.
    """
    command = get_command(app)
    args = _expand_abbreviations(command, list(sys.argv[1:] if argv is None else argv))
    try:
        # Not app(...) nor command.main(): both turn Ctrl-C into exit 130 and EOF into
        # "Aborted!", and app(...) installs Typer's own sys.excepthook.
        with command.make_context("playground", args) as ctx:
            result: Any = command.invoke(ctx)
    except typer.Exit as done:  # --help
        raise SystemExit(done.exit_code) from None
    except typer.TyperException as usage:  # a usage error: shown as Typer does, exit 2
        usage.show()  # type: ignore[attr-defined]
        raise SystemExit(usage.exit_code) from None
    except PlaygroundError as exc:
        _say(f"error: {exc}")
        return EXIT_FAILED
    except ValidationError as exc:
        _say(f"error: a setting in the environment, .env.override or .env is invalid:\n{exc}")
        return EXIT_FAILED
    # Commands that can only succeed return nothing.
    return EXIT_OK if result is None else result


if __name__ == "__main__":
    sys.exit(main())
