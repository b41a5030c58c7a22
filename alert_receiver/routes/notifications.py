"""GET /api/notifications (JSON) and GET / (HTML): the kept notifications, newest first."""

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime

from alert_receiver.deps import SettingsDep, StoreDep
from alert_receiver.models import AlertStatus
from alert_receiver.page import render_page

router = APIRouter(tags=["notifications"])

# A page of the JSON API holds this many notifications unless `limit` says otherwise (and
# fewer when ALERT_RECEIVER_MAX_RESPONSE_BYTES is reached first).
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@router.get("/api/notifications")
def list_notifications(
    store: StoreDep,
    settings: SettingsDep,
    status: AlertStatus | None = None,
    alertname: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[
        AwareDatetime | None,
        Query(description="RFC 3339 time with a zone, or Unix seconds; received at or after."),
    ] = None,
    before: Annotated[
        int | None,
        Query(ge=1, description="Cursor: only ids below this; pass the last page's next_before."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    """Kept notifications, newest first, narrowed by the optional filters, one page at a time.

    ``next_before`` is the cursor of the next (older) page, or null on the last one. Each
    notification carries its first alerts only (``alerts_total`` says how many it has);
    ``/api/notifications/{id}`` carries them all.
    """
    page = store.query(
        status=status,
        alertname=alertname,
        since=since,
        before_id=before,
        limit=limit,
        max_bytes=settings.ALERT_RECEIVER_MAX_RESPONSE_BYTES,
    )
    # The stored JSON texts are spliced in as they are: no parse, no re-serialisation.
    head = json.dumps({"count": len(page.notifications), "next_before": page.next_before})
    items = ",".join(n.to_json_text() for n in page.notifications)
    return Response(f'{head[:-1]},"notifications":[{items}]}}', media_type="application/json")


@router.get(
    "/api/notifications/{notification_id}",
    responses={404: {"description": "No notification with that id is kept."}},
)
def get_notification(store: StoreDep, notification_id: Annotated[int, Path(ge=1)]) -> Response:
    """One notification with every one of its alerts."""
    notification = store.get(notification_id)
    if notification is None:
        raise HTTPException(404, f"No notification {notification_id} is kept.")
    return Response(notification.to_json_text(), media_type="application/json")


@router.get("/", response_class=HTMLResponse)
def notifications_page(store: StoreDep, settings: SettingsDep) -> str:
    """A plain HTML page of the latest notifications, newest first."""
    page = store.query(
        limit=settings.ALERT_RECEIVER_PAGE_NOTIFICATIONS,
        max_bytes=settings.ALERT_RECEIVER_MAX_RESPONSE_BYTES,
    )
    return render_page(
        ((n.to_notification(), n.alert_count) for n in page.notifications),
        settings.ALERT_RECEIVER_PAGE_REFRESH_SECONDS,
    )
