"""Errors a user can act on. The CLI prints their message, without a traceback."""


class PlaygroundError(Exception):
    """Base class: the message says what happened and what to do."""


class PortInUseError(PlaygroundError):
    """A configured port is taken by another process."""


class MissingToolError(PlaygroundError):
    """A binary or file that `make setup` provides is not there."""


class ConfigError(PlaygroundError):
    """A config file cannot be rendered for the native stack."""


class StackRunningError(PlaygroundError):
    """Another `playground up` already owns this run folder."""


class StartupError(PlaygroundError):
    """A part exited or stayed unhealthy while the stack was starting."""


class ProcessExitedError(PlaygroundError):
    """A part exited while the stack was running."""
