"""POST /webhook: where Alertmanager delivers notifications."""

import logging
import threading
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from alert_receiver.deps import MetricsDep, SettingsDep, StoreDep
from alert_receiver.metrics import ReceiverMetrics
from alert_receiver.payload import PayloadRejected, parse_webhook_payload, read_webhook_body
from alert_receiver.store import NotificationStore

logger = logging.getLogger(__name__)
router = APIRouter(tags=["webhook"])

# One body is parsed and stored at a time: parsing costs several times the body's size in
# memory, so this bounds the peak to one body's worth however many arrive at once.
_parse_and_store = threading.Lock()


@dataclass(frozen=True)
class _Kept:
    """What the log line needs: not the payload, whose objects are freed as soon as stored."""

    id: int
    status: str
    alertnames: str
    alert_count: int
    receiver: str


def _keep(body: bytes, store: NotificationStore, metrics: ReceiverMetrics) -> _Kept:
    with _parse_and_store:
        payload = parse_webhook_payload(body)
        notification = store.add(payload)
        metrics.notifications.labels(status=payload.status).inc()
        for alert in payload.alerts:
            metrics.alerts.labels(status=alert.status).inc()
        metrics.record_store(store)
        return _Kept(
            notification.id,
            payload.status,
            ",".join(sorted(notification.alertnames())) or "-",
            len(payload.alerts),
            payload.receiver,
        )


@router.post("/webhook")
async def receive_notification(
    request: Request, settings: SettingsDep, store: StoreDep, metrics: MetricsDep
) -> dict[str, int | str]:
    """Validate and keep one Alertmanager notification; 200 means it is on disk."""
    try:
        body = await read_webhook_body(request, settings.ALERT_RECEIVER_MAX_BODY_BYTES)
        # Off the event loop, so /health and the API answer while a large body is parsed.
        kept = await run_in_threadpool(_keep, body, store, metrics)
    except PayloadRejected as exc:
        metrics.invalid_payloads.labels(reason=exc.reason).inc()
        logger.info("rejected a webhook request (%s): HTTP %d", exc.reason, exc.status_code)
        raise HTTPException(exc.status_code, detail=exc.detail) from None
    logger.info(
        "notification %d: %s %s (%d alerts) for receiver %s",
        kept.id,
        kept.status,
        kept.alertnames,
        kept.alert_count,
        kept.receiver,
    )
    return {"status": "stored", "id": kept.id}
