"""The plain HTML page of notifications, newest first. Every value is escaped."""

from collections.abc import Iterable
from html import escape
from urllib.parse import urlsplit

from alert_receiver.models import Notification, WebhookAlert
from alert_receiver.paths import RUNBOOKS_PATH

_STYLE = """
body { font-family: sans-serif; margin: 1.5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
.firing { color: #b00020; font-weight: bold; }
.resolved { color: #1b7f3b; font-weight: bold; }
code { font-size: 0.85em; }
"""


def _runbook_link(url: str) -> str:
    """A link to the alert's runbook. One served here is linked relative to this page, so
    it opens whatever port the receiver runs on; other web links as they are."""
    link = urlsplit(url)
    if link.path == RUNBOOKS_PATH:
        href = f"{RUNBOOKS_PATH.lstrip('/')}#{link.fragment}"
    elif link.scheme in ("http", "https"):
        href = url
    else:
        return ""
    return f' <a href="{escape(href)}">runbook</a>'


def _alert_item(alert: WebhookAlert) -> str:
    labels = ", ".join(f"{escape(k)}={escape(v)}" for k, v in sorted(alert.labels.items()))
    summary = alert.annotations.get("summary", "")
    description = alert.annotations.get("description", "")
    runbook = _runbook_link(alert.annotations.get("runbook_url", ""))
    ends = "" if alert.status == "firing" else f", ended {escape(alert.ends_at.isoformat())}"
    return (
        f'<li><span class="{escape(alert.status)}">{escape(alert.status)}</span> '
        f"{escape(summary)} {escape(description)}{runbook}<br>"
        f"<code>{labels}</code><br>"
        f"started {escape(alert.starts_at.isoformat())}{ends}</li>"
    )


def _row(notification: Notification, alert_count: int) -> str:
    payload = notification.payload
    group = ", ".join(f"{escape(k)}={escape(v)}" for k, v in sorted(payload.group_labels.items()))
    alerts = "".join(_alert_item(a) for a in payload.alerts)
    hidden = alert_count - len(payload.alerts)
    if hidden > 0:
        link = f"api/notifications/{notification.id}"
        alerts += f'<li>and {hidden} more: <a href="{link}">{link}</a></li>'
    return (
        "<tr>"
        f"<td>{notification.id}</td>"
        f"<td>{escape(notification.received_at.isoformat(timespec='seconds'))}</td>"
        f'<td class="{escape(payload.status)}">{escape(payload.status)}</td>'
        f"<td>{escape(payload.receiver)}</td>"
        f"<td><code>{group}</code></td>"
        f"<td><ul>{alerts}</ul></td>"
        "</tr>"
    )


def render_page(notifications: Iterable[tuple[Notification, int]], refresh_seconds: int) -> str:
    """The whole page for ``notifications`` (already newest first), rendered one at a time.

    Args:
        notifications: What to show, in display order: each notification with the alerts
            to show, and how many alerts it has in all.
        refresh_seconds: Reload interval for the browser; 0 for none.
    """
    refresh = f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds else ""
    rows = "".join(_row(n, alert_count) for n, alert_count in notifications)
    if rows:
        body = (
            "<table><thead><tr><th>#</th><th>received (UTC)</th><th>status</th>"
            "<th>receiver</th><th>group</th><th>alerts</th></tr></thead><tbody>"
            + rows
            + "</tbody></table>"
        )
    else:
        body = "<p>No notifications yet. Alertmanager posts here when an alert fires.</p>"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"{refresh}<title>Alert receiver</title><style>{_STYLE}</style></head><body>"
        "<h1>Alert notifications</h1>"
        "<p>The latest, newest first. Every one, as JSON: "
        '<a href="api/notifications">api/notifications</a>. '
        'What to do about an alert: <a href="runbooks">the runbooks</a>.</p>'
        f"{body}</body></html>"
    )
