"""Options several commands share, defined once: the alert profile, and which stack to drive.

Every command takes its settings from PlaygroundSettings; these options only override them.
"""

import functools
import inspect
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import typer

from playground.core.errors import PlaygroundError
from playground.core.paths import REPO_ROOT
from playground.core.settings import LOOPBACK, AlertProfile, PlaygroundSettings
from playground.native.stack import read_admin_token
from playground.scenarios.runner import Target

TargetName = Literal["native", "compose"]
TARGETS: tuple[TargetName, ...] = get_args(TargetName)
# Where compose keeps the generated admin token, inside the demo_app container.
COMPOSE_TOKEN_HINT = "docker compose exec demo_app cat /var/lib/demo_app/admin-token"

# --profile: the alert profile, instead of ALERT_PROFILE.
ProfileOption = Annotated[AlertProfile | None, typer.Option(help="overrides ALERT_PROFILE")]


def _url_option(part: str) -> Any:
    return typer.Option(
        f"--{part}-url", metavar="URL", help="default: 127.0.0.1 and the port in .env"
    )


@dataclass(frozen=True)
class TargetOptions:
    """--target, --profile, the parts' addresses and the admin token: the stack to drive."""

    target: Annotated[
        TargetName,
        typer.Option(help="the stack of `playground up`, or compose's published ports"),
    ] = TARGETS[0]
    profile: ProfileOption = None
    demo_app_url: Annotated[str | None, _url_option("demo-app")] = None
    prometheus_url: Annotated[str | None, _url_option("prometheus")] = None
    alertmanager_url: Annotated[str | None, _url_option("alertmanager")] = None
    receiver_url: Annotated[str | None, _url_option("receiver")] = None
    admin_token_file: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="demo_app's admin token; default: .run/admin-token (native) or "
            "$DEMO_APP_ADMIN_TOKEN (compose)",
        ),
    ] = None


def with_target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``command`` the options of TargetOptions, passed to it as ``target: TargetOptions``.

    Typer reads a command's options from its signature, so the wrapper's signature lists
    TargetOptions' fields in place of ``target``: each command that drives a stack gets the
    same options without repeating them.
    """
    names = [field.name for field in fields(TargetOptions)]
    shared = [
        inspect.Parameter(
            field.name, inspect.Parameter.KEYWORD_ONLY, default=field.default, annotation=field.type
        )
        for field in fields(TargetOptions)
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        chosen = TargetOptions(**{name: kwargs.pop(name) for name in names})
        return command(*args, target=chosen, **kwargs)

    own = inspect.signature(command).parameters.values()
    parameters = [p for p in own if p.name != "target"]
    wrapper.__signature__ = inspect.signature(command).replace(  # type: ignore[attr-defined]
        parameters=[*parameters, *shared]
    )
    return wrapper


def folder_default(path: Path) -> str:
    """How --help shows a default folder: relative to the repository, as the docs write it."""
    return f"{path.relative_to(REPO_ROOT)}/"


def load_settings(profile: AlertProfile | None = None, **overrides: Any) -> PlaygroundSettings:
    """The settings from the environment and .env files, with the command line's overrides."""
    if profile:
        overrides["ALERT_PROFILE"] = profile
    return PlaygroundSettings(**overrides)


def resolve_target(settings: PlaygroundSettings, options: TargetOptions) -> Target:
    """The addresses and admin token of the stack the user means."""

    def url(option: str | None, port: int) -> str:
        return (option or f"http://{LOOPBACK}:{port}").rstrip("/")

    if options.admin_token_file is not None:
        try:
            token = options.admin_token_file.read_text().strip()
        except OSError as exc:
            raise PlaygroundError(f"Cannot read the admin token file: {exc}") from None
    elif options.target == "native":
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
        name=options.target,
        demo_app=url(options.demo_app_url, settings.DEMO_APP_PORT),
        prometheus=url(options.prometheus_url, settings.PROMETHEUS_PORT),
        alertmanager=url(options.alertmanager_url, settings.ALERTMANAGER_PORT),
        alert_receiver=url(options.receiver_url, settings.ALERT_RECEIVER_PORT),
        admin_token=token,
        profile=settings.ALERT_PROFILE,
        locust_metrics_port=settings.LOCUST_METRICS_PORT if options.target == "native" else None,
    )
