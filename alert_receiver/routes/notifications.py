"""GET /api/notifications (JSON) and GET / (HTML): the kept notifications, newest first."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime

from alert_receiver.deps import SettingsDep, StoreDep
from alert_receiver.models import AlertStatus
from alert_receiver.page import render_page

router = APIRouter(tags=["notifications"])


@router.get("/api/notifications")
def list_notifications(
    store: StoreDep,
    status: AlertStatus | None = None,
    alertname: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[
        AwareDatetime | None,
        Query(description="RFC 3339 time with a zone, or Unix seconds; received at or after."),
    ] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """Kept notifications, newest first, narrowed by the optional filters."""
    selected = store.query(status=status, alertname=alertname, since=since, limit=limit)
    return {"count": len(selected), "notifications": [n.to_json() for n in selected]}


@router.get("/", response_class=HTMLResponse)
def notifications_page(store: StoreDep, settings: SettingsDep) -> str:
    """A plain HTML page of the kept notifications, newest first."""
    return render_page(store.query(), settings.ALERT_RECEIVER_PAGE_REFRESH_SECONDS)
