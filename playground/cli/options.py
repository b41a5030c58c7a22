"""Options several commands share, defined once: the alert profile, and which stack to drive.

Every command takes its settings from PlaygroundSettings; these options only override them.
"""

import argparse
import os
from pathlib import Path

from playground.core.errors import PlaygroundError
from playground.core.settings import ALERT_PROFILES, LOOPBACK, PlaygroundSettings
from playground.native.stack import read_admin_token
from playground.scenarios.runner import Target

TARGETS = ("native", "compose")
# Where compose keeps the generated admin token, inside the demo_app container.
COMPOSE_TOKEN_HINT = "docker compose exec demo_app cat /var/lib/demo_app/admin-token"


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    """--profile: the alert profile, instead of ALERT_PROFILE."""
    parser.add_argument("--profile", choices=ALERT_PROFILES, help="overrides ALERT_PROFILE")


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """--target, --profile, the parts' addresses and the admin token: the stack to drive."""
    parser.add_argument(
        "--target",
        choices=TARGETS,
        default=TARGETS[0],
        help="the stack of `playground up` (default), or compose's published ports",
    )
    add_profile_option(parser)
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
