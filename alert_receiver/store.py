"""A bounded, thread-safe ring buffer of received notifications."""

import itertools
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime

from alert_receiver.models import AlertStatus, Notification, WebhookPayload


def _utc_now() -> datetime:
    return datetime.now(UTC)


class NotificationStore:
    """Keeps the newest ``max_notifications`` notifications; the oldest are dropped first.

    Args:
        max_notifications: How many notifications to keep.
        clock: Returns the time a notification is stamped with. Defaults to UTC now.
    """

    def __init__(self, max_notifications: int, clock: Callable[[], datetime] = _utc_now) -> None:
        self._notifications: deque[Notification] = deque(maxlen=max_notifications)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._clock = clock

    def add(self, payload: WebhookPayload) -> Notification:
        """Stamp and keep a payload; returns the stored notification."""
        with self._lock:
            notification = Notification(
                id=next(self._ids), received_at=self._clock(), payload=payload
            )
            self._notifications.append(notification)
        return notification

    def __len__(self) -> int:
        return len(self._notifications)

    def query(
        self,
        status: AlertStatus | None = None,
        alertname: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Notification]:
        """Notifications newest first, narrowed by every filter that is given.

        Args:
            status: Only notifications with this status. Defaults to any.
            alertname: Only notifications carrying an alert with this ``alertname``.
            since: Only notifications received at or after this time.
            limit: At most this many. Defaults to all.
        """
        with self._lock:
            newest_first = list(reversed(self._notifications))
        selected = [
            n
            for n in newest_first
            if (status is None or n.payload.status == status)
            and (alertname is None or alertname in n.alertnames())
            and (since is None or n.received_at >= since)
        ]
        return selected if limit is None else selected[:limit]
