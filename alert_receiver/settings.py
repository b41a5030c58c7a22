"""The alert receiver's settings, read from ``ALERT_RECEIVER_*`` environment variables."""

from pathlib import Path
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024
# The folder that holds the alert_receiver package: the repository natively, /app in the image.
_REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting is named after the environment variable that sets it.

    Only the environment is read (no .env file): the native runner and compose pass the
    values explicitly, so what runs is what they say.
    """

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    # Loopback by default: the receiver has no authentication.
    ALERT_RECEIVER_HOST: str = "127.0.0.1"
    ALERT_RECEIVER_PORT: int = Field(default=5001, ge=1, le=65535)
    # The SQLite database (plus its -wal and -shm files beside it). Relative paths are from
    # the working directory; the native stack passes one under .run/, compose one on a
    # named volume.
    ALERT_RECEIVER_DB_PATH: Path = Path(".run/alert_receiver/notifications.sqlite3")
    # Largest webhook body accepted (413 above it). Alertmanager sends every alert of a
    # group in one body, 0.3-1 KiB each with this project's labels and annotations, so
    # 8 MiB holds a group of about 10,000 alerts. Parsing a body costs several times its
    # size in memory for a moment, so this also bounds the receiver's peak memory.
    ALERT_RECEIVER_MAX_BODY_BYTES: int = Field(default=8 * MIB, ge=1024)
    # Most payload JSON kept on disk; the oldest notifications are deleted first past it.
    # A lab run stores about 2 KiB a notification and a few a minute, so 128 MiB keeps
    # months of ordinary history, or the latest ~25 floods of 10,000 alerts.
    ALERT_RECEIVER_MAX_STORED_BYTES: int = Field(default=128 * MIB, ge=1024)
    # Most notifications kept, whatever their size; the oldest are deleted first past it.
    ALERT_RECEIVER_MAX_NOTIFICATIONS: int = Field(default=100_000, ge=1)
    # Most JSON in one answer of GET /api/notifications (and on the HTML page): a page
    # ends before the notification that would pass it (the first always comes), and the
    # cursor fetches the rest. With each listed notification cut to its first 20 alerts,
    # 1 MiB holds 100 notifications of ordinary size and keeps a default GET fast.
    ALERT_RECEIVER_MAX_RESPONSE_BYTES: int = Field(default=MIB, ge=1024)
    # The HTML page shows the latest this many notifications.
    ALERT_RECEIVER_PAGE_NOTIFICATIONS: int = Field(default=50, ge=1, le=1000)
    # The HTML page reloads itself this often (seconds); 0 turns the reload off.
    ALERT_RECEIVER_PAGE_REFRESH_SECONDS: int = Field(default=5, ge=0)
    # The runbooks served at /runbooks, where every alert's runbook_url points. Natively the
    # repository's own file; the image copies it to the same place beside the package.
    ALERT_RECEIVER_RUNBOOKS_FILE: Path = _REPO_ROOT / "docs" / "runbooks.md"
    ALERT_RECEIVER_LOG_LEVEL: str = "info"

    @model_validator(mode="after")
    def _store_holds_a_body(self) -> Self:
        if self.ALERT_RECEIVER_MAX_STORED_BYTES < self.ALERT_RECEIVER_MAX_BODY_BYTES:
            raise ValueError(
                "ALERT_RECEIVER_MAX_STORED_BYTES must be at least ALERT_RECEIVER_MAX_BODY_BYTES"
            )
        return self
