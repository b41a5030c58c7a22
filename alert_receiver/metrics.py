"""The receiver's own metrics, declared once, on a registry per application.

Every label value comes from a fixed set (a status or a rejection reason), never from
the request, so no payload can create a new series. All series exist from the start at 0.
"""

from typing import Literal

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
)

from alert_receiver.models import ALERT_STATUSES
from alert_receiver.store import NotificationStore

RejectionReason = Literal["too_large", "unsupported_media_type", "malformed_json", "invalid_schema"]
REJECTION_REASONS: tuple[RejectionReason, ...] = (
    "too_large",
    "unsupported_media_type",
    "malformed_json",
    "invalid_schema",
)


class ReceiverMetrics:
    """The counters and gauges one receiver application updates.

    Args:
        registry: Where the metrics are registered. Defaults to a new registry that
            also carries the process, platform and GC collectors.
    """

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        if registry is None:
            registry = CollectorRegistry()
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                registry.register(collector)
        self.registry = registry
        self.notifications = Counter(
            "alert_receiver_notifications",
            "Webhook notifications accepted, by notification status.",
            ["status"],
            registry=registry,
        )
        self.alerts = Counter(
            "alert_receiver_alerts",
            "Alerts inside accepted notifications, by alert status.",
            ["status"],
            registry=registry,
        )
        self.invalid_payloads = Counter(
            "alert_receiver_invalid_payloads",
            "Webhook requests rejected, by reason.",
            ["reason"],
            registry=registry,
        )
        self.stored_notifications = Gauge(
            "alert_receiver_stored_notifications",
            "Notifications currently kept in the database.",
            registry=registry,
        )
        self.stored_bytes = Gauge(
            "alert_receiver_stored_bytes",
            "Bytes of payload JSON currently kept (what ALERT_RECEIVER_MAX_STORED_BYTES bounds).",
            registry=registry,
        )
        self.evicted_notifications = Counter(
            "alert_receiver_evicted_notifications",
            "Notifications deleted, oldest first, to keep the store within its bounds.",
            registry=registry,
        )
        self._evicted_seen = 0
        for status in ALERT_STATUSES:
            self.notifications.labels(status=status)
            self.alerts.labels(status=status)
        for reason in REJECTION_REASONS:
            self.invalid_payloads.labels(reason=reason)

    def record_store(self, store: NotificationStore) -> None:
        """Bring the store's gauges and eviction count up to date."""
        self.stored_notifications.set(len(store))
        self.stored_bytes.set(store.stored_bytes)
        self.evicted_notifications.inc(store.evicted - self._evicted_seen)
        self._evicted_seen = store.evicted
