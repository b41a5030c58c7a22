"""Flags of a compose service's command that the native stack passes on unchanged.

Some flags decide behaviour rather than paths or addresses: how often Alertmanager writes its
state to disk, whether Prometheus restores alert state after a restart. compose.yaml sets
them and says why; the native stack reads them from there, so each is set in one place.
"""

from pathlib import Path

import yaml

from playground.core.errors import ConfigError

# By compose service: the flags the native stack takes from its command.
SHARED_FLAGS: dict[str, tuple[str, ...]] = {
    "prometheus": (
        "rules.alert.resend-delay",
        "rules.alert.for-grace-period",
        "rules.alert.for-outage-tolerance",
    ),
    "alertmanager": ("data.maintenance-interval",),
}


def compose_flags(compose_file: Path, service: str) -> list[str]:
    """The service's SHARED_FLAGS as written in its compose command (``--name=value``).

    Raises:
        ConfigError: The file is unreadable, or the command lacks a flag, or sets it from a
            variable (``${...}``), which only compose can expand.
    """
    try:
        compose = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
        command = compose["services"][service]["command"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(f"{compose_file}: no command for service {service!r} ({exc})") from None
    written = {
        argument.removeprefix("--").partition("=")[0]: argument
        for argument in command
        if isinstance(argument, str) and argument.startswith("--")
    }
    flags = []
    for name in SHARED_FLAGS[service]:
        argument = written.get(name)
        if argument is None or "${" in argument:
            raise ConfigError(
                f"{compose_file}: the {service} command should set --{name}=<value> literally; "
                "the native stack runs with the same value."
            )
        flags.append(argument)
    return flags
