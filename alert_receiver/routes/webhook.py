"""POST /webhook: where Alertmanager delivers notifications."""

import logging

from fastapi import APIRouter, HTTPException, Request

from alert_receiver.deps import MetricsDep, SettingsDep, StoreDep
from alert_receiver.payload import PayloadRejected, read_webhook_payload

logger = logging.getLogger(__name__)
router = APIRouter(tags=["webhook"])


@router.post("/webhook")
async def receive_notification(
    request: Request, settings: SettingsDep, store: StoreDep, metrics: MetricsDep
) -> dict[str, int | str]:
    """Validate and keep one Alertmanager notification."""
    try:
        payload = await read_webhook_payload(request, settings.ALERT_RECEIVER_MAX_BODY_BYTES)
    except PayloadRejected as exc:
        metrics.invalid_payloads.labels(reason=exc.reason).inc()
        logger.info("rejected a webhook request (%s): HTTP %d", exc.reason, exc.status_code)
        raise HTTPException(exc.status_code, detail=exc.detail) from None
    notification = store.add(payload)
    metrics.notifications.labels(status=payload.status).inc()
    for alert in payload.alerts:
        metrics.alerts.labels(status=alert.status).inc()
    metrics.stored_notifications.set(len(store))
    logger.info(
        "notification %d: %s %s (%d alerts) for receiver %s",
        notification.id,
        payload.status,
        ",".join(sorted(notification.alertnames())) or "-",
        len(payload.alerts),
        payload.receiver,
    )
    return {"status": "stored", "id": notification.id}
