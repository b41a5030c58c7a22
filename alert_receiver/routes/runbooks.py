"""GET /runbooks: the project's runbooks, where every alert's runbook_url points."""

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from alert_receiver.deps import SettingsDep
from alert_receiver.paths import RUNBOOKS_PATH
from alert_receiver.runbooks import render_runbooks_page

router = APIRouter(tags=["runbooks"])


@router.get(RUNBOOKS_PATH, response_class=HTMLResponse)
def runbooks_page(settings: SettingsDep) -> str:
    """docs/runbooks.md as HTML, one section (and anchor) per alert."""
    try:
        markdown = settings.ALERT_RECEIVER_RUNBOOKS_FILE.read_text(encoding="utf-8")
    except OSError as exc:
        raise HTTPException(
            404, f"The runbooks file is not available here: {exc.strerror}."
        ) from None
    return render_runbooks_page(markdown)
