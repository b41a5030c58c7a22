"""The layout of the native stack's run folder (``.run/`` by default)."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunPaths:
    """Where each thing the native stack keeps lives, under ``root``."""

    root: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def lock(self) -> Path:
        return self.root / "stack.lock"

    @property
    def admin_token(self) -> Path:
        return self.root / "admin-token"

    @property
    def tools(self) -> Path:
        return self.root / "tools"

    @property
    def alert_receiver_db(self) -> Path:
        """The receiver's notifications (SQLite), kept across restarts like the TSDB."""
        return self.root / "alert_receiver" / "notifications.sqlite3"

    def data(self, part: str) -> Path:
        """A part's own state (Prometheus's TSDB, an Alertmanager's silences and log)."""
        return self.root / part / "data"

    def log(self, part: str) -> Path:
        return self.logs / f"{part}.log"
