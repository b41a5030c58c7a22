"""`playground faults [show|preset NAME|reset|set --json OBJECT]`: demo_app's injected faults,
through its admin API."""

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from demo_app.labels import Preset
from playground.cli.options import load_settings
from playground.core.clients import DemoAppAdminClient, StackApiError, StackUnavailableError
from playground.core.errors import PlaygroundError
from playground.native.stack import read_admin_token

app = typer.Typer(name="faults", help="show or change demo_app's injected faults")


def _drive(action: Callable[[DemoAppAdminClient], Any]) -> None:
    """Run ``action`` against demo_app's admin API and print its answer."""
    settings = load_settings()
    url = f"http://127.0.0.1:{settings.DEMO_APP_PORT}"
    token = read_admin_token(settings)
    try:
        with DemoAppAdminClient(url, token) as admin:
            result = action(admin)
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


@app.callback(invoke_without_command=True)
def faults(ctx: typer.Context) -> None:
    """Show or change demo_app's faults through its admin API (without an action: show)."""
    if ctx.invoked_subcommand is None:
        _drive(DemoAppAdminClient.faults)


@app.command(short_help="print the fault state (the default)")
def show() -> None:
    _drive(DemoAppAdminClient.faults)


@app.command(short_help="switch to a named preset")
def preset(name: Annotated[Preset, typer.Argument()]) -> None:
    _drive(lambda admin: admin.apply_preset(name))


@app.command(short_help="back to healthy")
def reset() -> None:
    _drive(DemoAppAdminClient.reset)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise typer.BadParameter("must be a JSON object")
    return value


@app.command("set", short_help="replace the whole fault state")
def set_state(
    state: Annotated[
        dict[str, Any],
        typer.Option("--json", parser=_json_object, metavar="OBJECT", help="the new state"),
    ],
) -> None:
    _drive(lambda admin: admin.set_faults(state))
