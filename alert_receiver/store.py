"""The notifications, kept in SQLite so that they outlive the process.

What is kept, and what a crash can lose:
- A notification is answered ``200`` only after its transaction has committed. The
  database is in WAL mode with ``synchronous=FULL``: the commit fsyncs the WAL, so an
  acknowledged notification survives ``kill -9`` and a power cut alike (one fsync per
  notification: Alertmanager sends a few a minute).
- A request the process dies in the middle of was never acknowledged, so Alertmanager
  retries it (its webhook notifier retries until the next group_interval).
- Ids come from ``AUTOINCREMENT``: never reused, not even after the newest row is evicted,
  so an id names one notification for the life of the database file.
- The store is bounded by bytes and by count: after every insert the oldest notifications
  are deleted until both bounds hold again (the newest one always stays).

Each notification is kept as JSON text, in two parts: the payload without its alerts, and
the alerts (with a copy of the first ``LISTED_ALERTS`` when there are more). Answering the
API splices stored text instead of rebuilding Python objects, and a list never carries a
group of ten thousand alerts in full: ``get`` does.
"""

import json
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from alert_receiver.models import AlertStatus, Notification, WebhookAlert, WebhookPayload

# A listed notification (the JSON list and the HTML page) carries its first this many
# alerts; GET /api/notifications/{id} carries them all.
LISTED_ALERTS = 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_us INTEGER NOT NULL,  -- microseconds since the Unix epoch, UTC
    status TEXT NOT NULL,
    alert_count INTEGER NOT NULL,
    size INTEGER NOT NULL,         -- bytes of the three texts: what the byte bound counts
    listed_size INTEGER NOT NULL,  -- bytes of head and the listed alerts
    head TEXT NOT NULL,            -- the payload without "alerts", in Alertmanager's spelling
    first_alerts TEXT,             -- the first LISTED_ALERTS alerts; NULL when that is all
    alerts TEXT NOT NULL           -- every alert, a JSON array
);
CREATE TABLE IF NOT EXISTS notification_alertnames (
    alertname TEXT NOT NULL,
    notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    PRIMARY KEY (alertname, notification_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS notification_alertnames_by_id
    ON notification_alertnames (notification_id);
"""

_ALERTS = TypeAdapter(list[WebhookAlert])

# Exact integer arithmetic: a float timestamp would be off by a microsecond now and then,
# and the ``since`` filter must match the ``received_at`` the API printed.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _to_us(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _from_us(micros: int) -> datetime:
    return _EPOCH + micros * _MICROSECOND


def _json_bytes(text: str | None) -> int:
    return len(text.encode()) if text is not None else 0


@dataclass(frozen=True)
class StoredNotification:
    """One notification as read back: JSON texts, not parsed.

    Attributes:
        alerts: A JSON array: every alert, or the first ``LISTED_ALERTS`` in a list.
        alert_count: How many alerts the notification has in all.
    """

    id: int
    received_at: datetime
    head: str
    alerts: str
    alert_count: int

    def to_json_text(self) -> str:
        """The API's JSON object: ``id``, ``received_at`` and ``alerts_total``, then the
        payload's own fields (``alerts`` last)."""
        ours = json.dumps(
            {
                "id": self.id,
                "received_at": self.received_at.isoformat(),
                "alerts_total": self.alert_count,
            }
        )
        # Three JSON objects' members joined: drop the braces between them.
        return f'{ours[:-1]},{self.head[1:-1]},"alerts":{self.alerts}}}'

    def to_notification(self) -> Notification:
        """Parsed back into the model, with the alerts this row carries."""
        document: dict[str, Any] = json.loads(self.head)
        document["alerts"] = json.loads(self.alerts)
        payload = WebhookPayload.model_validate(document)
        return Notification(id=self.id, received_at=self.received_at, payload=payload)


@dataclass(frozen=True)
class Page:
    """One answer to a query: the notifications, and whether older ones also matched."""

    notifications: list[StoredNotification]
    has_more: bool

    @property
    def next_before(self) -> int | None:
        """The cursor for the next (older) page, or None on the last page."""
        return self.notifications[-1].id if self.has_more else None


class NotificationStore:
    """Keeps notifications in a SQLite file, within a count and a byte bound.

    Args:
        path: The database file; its directory is created if missing.
        max_notifications: How many notifications to keep at most.
        max_bytes: How many bytes of JSON text to keep at most.
        clock: Returns the time a notification is stamped with. Defaults to UTC now.
    """

    def __init__(
        self,
        path: Path,
        max_notifications: int,
        max_bytes: int,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._max_notifications = max_notifications
        self._max_bytes = max_bytes
        self._clock = clock
        # One connection, used under a lock from the threadpool: writes are rare, and reads
        # are short because they splice text, so a pool would buy nothing.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # 64 KiB pages (SQLite's largest) for a new file: a large text is a chain of
        # overflow pages, and reading 5 MB takes 80 page reads instead of 1,200. It applies
        # only before the first table exists, hence before the schema.
        self._db.execute("PRAGMA page_size=65536")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self.evicted = 0
        with self._lock:
            self._reload_totals()
            self._db.execute("BEGIN IMMEDIATE")
            self._evict()
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database (a clean stop also checkpoints the WAL)."""
        with self._lock:
            self._db.close()

    def __len__(self) -> int:
        return self._count

    @property
    def stored_bytes(self) -> int:
        """Bytes of JSON text kept now."""
        return self._bytes

    def add(self, payload: WebhookPayload) -> Notification:
        """Stamp and keep a payload, evicting the oldest past the bounds; returns it stored."""
        head = payload.model_dump_json(by_alias=True, exclude={"alerts"})
        alerts = _ALERTS.dump_json(payload.alerts, by_alias=True).decode()
        first_alerts = None
        if len(payload.alerts) > LISTED_ALERTS:
            first_alerts = _ALERTS.dump_json(payload.alerts[:LISTED_ALERTS], by_alias=True).decode()
        listed_size = _json_bytes(head) + _json_bytes(first_alerts or alerts)
        size = _json_bytes(head) + _json_bytes(alerts) + _json_bytes(first_alerts)
        received_at = self._clock()
        alertnames = {a.labels["alertname"] for a in payload.alerts if "alertname" in a.labels}
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "INSERT INTO notifications (received_us, status, alert_count, size,"
                    " listed_size, head, first_alerts, alerts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        _to_us(received_at),
                        payload.status,
                        len(payload.alerts),
                        size,
                        listed_size,
                        head,
                        first_alerts,
                        alerts,
                    ),
                )
                notification_id = cursor.lastrowid
                assert notification_id is not None
                self._db.executemany(
                    "INSERT INTO notification_alertnames VALUES (?, ?)",
                    [(name, notification_id) for name in alertnames],
                )
                self._count += 1
                self._bytes += size
                self._evict()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._reload_totals()
                raise
        return Notification(id=notification_id, received_at=received_at, payload=payload)

    def _reload_totals(self) -> None:
        self._count, self._bytes = self._db.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM notifications"
        ).fetchone()

    def _evict(self) -> None:
        # Oldest first, never the newest: a single notification over max_bytes still stays.
        while self._count > 1 and (
            self._count > self._max_notifications or self._bytes > self._max_bytes
        ):
            oldest_id, size = self._db.execute(
                "SELECT id, size FROM notifications ORDER BY id LIMIT 1"
            ).fetchone()
            self._db.execute("DELETE FROM notifications WHERE id = ?", (oldest_id,))
            self._count -= 1
            self._bytes -= size
            self.evicted += 1

    def get(self, notification_id: int) -> StoredNotification | None:
        """One notification with every alert, or None if there is none with that id."""
        with self._lock:
            row = self._db.execute(
                "SELECT received_us, head, alerts, alert_count FROM notifications WHERE id = ?",
                (notification_id,),
            ).fetchone()
        if row is None:
            return None
        received_us, head, alerts, alert_count = row
        return StoredNotification(notification_id, _from_us(received_us), head, alerts, alert_count)

    def query(
        self,
        status: AlertStatus | None = None,
        alertname: str | None = None,
        since: datetime | None = None,
        before_id: int | None = None,
        limit: int | None = None,
        max_bytes: int | None = None,
    ) -> Page:
        """Notifications newest first, each with its first ``LISTED_ALERTS`` alerts,
        narrowed by every filter that is given.

        Args:
            status: Only notifications with this status. Defaults to any.
            alertname: Only notifications carrying an alert with this ``alertname``.
            since: Only notifications received at or after this time.
            before_id: Only notifications with a smaller id (the pagination cursor).
            limit: At most this many. Defaults to all.
            max_bytes: Stop before the notification that would take the listed JSON past
                this many bytes; the first one always comes, so a page is never empty
                while notifications remain.
        """
        where: list[str] = []
        params: list[object] = []
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if alertname is not None:
            where.append(
                "id IN (SELECT notification_id FROM notification_alertnames WHERE alertname = ?)"
            )
            params.append(alertname)
        if since is not None:
            where.append("received_us >= ?")
            params.append(_to_us(since))
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        # Two steps: choose the rows from their small columns, then read only the chosen
        # texts. SQLite reads a large text only when its column is asked for.
        sql = "SELECT id, listed_size FROM notifications"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            # One more than asked: whether it exists says if there is a next page.
            sql += " LIMIT ?"
            params.append(limit + 1)
        chosen: list[int] = []
        taken = 0
        has_more = False
        with self._lock:
            for notification_id, listed_size in self._db.execute(sql, params):
                full = limit is not None and len(chosen) == limit
                if full or (max_bytes is not None and chosen and taken + listed_size > max_bytes):
                    has_more = True
                    break
                taken += listed_size
                chosen.append(notification_id)
            rows = [
                self._db.execute(
                    "SELECT received_us, head, coalesce(first_alerts, alerts), alert_count"
                    " FROM notifications WHERE id = ?",
                    (chosen_id,),
                ).fetchone()
                for chosen_id in chosen
            ]
        selected = [
            StoredNotification(chosen_id, _from_us(received_us), head, alerts, alert_count)
            for chosen_id, (received_us, head, alerts, alert_count) in zip(
                chosen, rows, strict=True
            )
        ]
        return Page(selected, has_more=has_more)
