"""The alert receiver's settings, read from ``ALERT_RECEIVER_*`` environment variables."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting is named after the environment variable that sets it.

    Only the environment is read (no .env file): the native runner and compose pass the
    values explicitly, so what runs is what they say.
    """

    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    # Loopback by default: the receiver has no authentication.
    ALERT_RECEIVER_HOST: str = "127.0.0.1"
    ALERT_RECEIVER_PORT: int = Field(default=5001, ge=1, le=65535)
    # Ring buffer size. A lab run produces a few notifications a minute, so 1000 keeps
    # hours of history in a few MiB; older ones are dropped first.
    ALERT_RECEIVER_MAX_NOTIFICATIONS: int = Field(default=1000, ge=1)
    # Largest webhook body accepted. Alertmanager sends ~1 KiB per alert; 1 MiB holds a
    # group of several hundred alerts and stops a runaway client from filling memory.
    ALERT_RECEIVER_MAX_BODY_BYTES: int = Field(default=1024 * 1024, ge=1024)
    # The HTML page reloads itself this often (seconds); 0 turns the reload off.
    ALERT_RECEIVER_PAGE_REFRESH_SECONDS: int = Field(default=5, ge=0)
    ALERT_RECEIVER_LOG_LEVEL: str = "info"
