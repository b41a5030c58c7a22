"""Small HTTP clients for the stack's APIs, shared by the CLI and the end-to-end tests.

Every client talks to loopback and ignores proxy settings from the environment
(``trust_env=False``): an HTTP_PROXY meant for the internet must not swallow 127.0.0.1.
"""

from datetime import datetime
from typing import Any, Literal, Self

import httpx

from playground.core.errors import PlaygroundError

DEFAULT_TIMEOUT_SECONDS = 5.0


class StackApiError(PlaygroundError):
    """One of the stack's APIs (Prometheus, Alertmanager, receiver, demo_app admin) answered
    with an error, or not at all. Not demo_app.errors.ApiError, which demo_app raises to answer."""

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class StackUnavailableError(StackApiError):
    """Nothing answered: the part is not running, or not on that port."""


def sample_value(sample: dict[str, Any]) -> float:
    """One instant-vector sample's number (Prometheus sends "NaN" and "+Inf" as strings)."""
    return float(sample["value"][1])


class Client:
    def __init__(
        self,
        base_url: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, headers=headers, trust_env=False
        )

    @classmethod
    def for_stack(cls, base_url: str, admin_token: str) -> Self:
        """The client of one part of a running stack (only demo_app's needs the token)."""
        del admin_token
        return cls(base_url)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise StackUnavailableError(
                f"{method} {self.base_url}{path} failed: {type(exc).__name__}: {exc}"
            ) from exc
        if response.is_error:
            raise StackApiError(
                f"{method} {self.base_url}{path} answered HTTP {response.status_code}: "
                f"{response.text[:500]}",
                response.status_code,
            )
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    # The path that answers 200 once the part is ready to serve (each client sets its own).
    HEALTH_PATH = "/"

    def is_ready(self, path: str | None = None) -> bool:
        """Whether ``path`` (default: the part's health path) answers 2xx now."""
        path = self.HEALTH_PATH if path is None else path
        try:
            self._request("GET", path)
        except StackApiError:
            return False
        return True


class PrometheusClient(Client):
    """Prometheus's HTTP API (``/api/v1``). Each method returns the ``data`` it documents.

    Ref: https://prometheus.io/docs/prometheus/latest/querying/api/
    """

    HEALTH_PATH = "/-/ready"

    def _data(self, path: str, **params: Any) -> Any:
        body = self._json("GET", f"/api/v1/{path}", params=params)
        if body.get("status") != "success":
            raise StackApiError(f"{self.base_url}/api/v1/{path}: {body}")
        return body["data"]

    def alerts(self) -> list[dict[str, Any]]:
        """Active (pending and firing) alerts, each with ``labels``, ``state``, ``activeAt``."""
        return self._data("alerts")["alerts"]

    def rule_groups(self, rule_type: Literal["alert", "record"] | None = None) -> list[dict]:
        """Rule groups, each with its ``rules`` (``health``, ``lastError``, ``state``...)."""
        params = {"type": rule_type} if rule_type else {}
        return self._data("rules", **params)["groups"]

    def rules(self, rule_type: Literal["alert", "record"] | None = None) -> list[dict]:
        """Every rule of every group, flattened."""
        return [rule for group in self.rule_groups(rule_type) for rule in group["rules"]]

    def targets(self) -> list[dict[str, Any]]:
        """Active targets, each with ``labels``, ``health`` (up/down/unknown), ``lastError``."""
        return self._data("targets", state="active")["activeTargets"]

    def query(self, expr: str, time: datetime | float | None = None) -> list[dict[str, Any]]:
        """An instant query's ``result`` (a vector: ``metric`` and ``value`` per sample)."""
        params: dict[str, Any] = {"query": expr}
        if time is not None:
            params["time"] = time.timestamp() if isinstance(time, datetime) else time
        return self._data("query", **params)["result"]

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict]:
        """A range query's ``result`` (a matrix: ``metric`` and ``values`` per series)."""
        return self._data("query_range", query=expr, start=start, end=end, step=step)["result"]

    def config_yaml(self) -> str:
        """The configuration Prometheus loaded, as YAML (/api/v1/status/config)."""
        return self._data("status/config")["yaml"]

    def alertmanagers(self) -> list[str]:
        """The alert URLs of every Alertmanager Prometheus sends to now."""
        return [a["url"] for a in self._data("alertmanagers")["activeAlertmanagers"]]

    def has_web_ui(self) -> bool:
        """False for builds without the web UI (Debian's), which serve only the API."""
        return super().is_ready("/query")


class AlertmanagerClient(Client):
    """Alertmanager's API v2.

    Ref: https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml
    """

    HEALTH_PATH = "/-/ready"

    def alerts(
        self,
        active: bool = True,
        silenced: bool = True,
        inhibited: bool = True,
        filters: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Alerts Alertmanager holds, each with ``labels``, ``status.state``, ``receivers``.

        Args:
            active, silenced, inhibited: Which states to include. Defaults to all.
            filters: Matchers such as ``alertname="HighErrorRate"``.
        """
        params: dict[str, Any] = {
            "active": str(active).lower(),
            "silenced": str(silenced).lower(),
            "inhibited": str(inhibited).lower(),
        }
        if filters:
            params["filter"] = filters
        return self._json("GET", "/api/v2/alerts", params=params)

    def config_yaml(self) -> str:
        """The configuration Alertmanager loaded, as written (/api/v2/status)."""
        return self._json("GET", "/api/v2/status")["config"]["original"]

    def cluster(self) -> dict[str, Any]:
        """This instance's view of its cluster: ``status`` (disabled, settling, ready) and
        ``peers`` (itself included)."""
        return self._json("GET", "/api/v2/status")["cluster"]

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Send alerts as Prometheus does: ``labels``, ``annotations``, ``startsAt``, ``endsAt``."""
        self._request("POST", "/api/v2/alerts", json=alerts)

    def silences(self) -> list[dict[str, Any]]:
        """Every silence this instance knows (active, pending and expired), with ``status``."""
        return self._json("GET", "/api/v2/silences")

    def create_silence(
        self, matchers: dict[str, str], ends_at: datetime, created_by: str, comment: str
    ) -> str:
        """Silence the alerts whose labels equal ``matchers``, from now to ``ends_at``; its id."""
        body = {
            "matchers": [
                {"name": name, "value": value, "isRegex": False, "isEqual": True}
                for name, value in matchers.items()
            ],
            "startsAt": datetime.now(ends_at.tzinfo).isoformat(),
            "endsAt": ends_at.isoformat(),
            "createdBy": created_by,
            "comment": comment,
        }
        return self._json("POST", "/api/v2/silences", json=body)["silenceID"]


class ReceiverClient(Client):
    """The alert receiver's JSON API (alert_receiver/)."""

    HEALTH_PATH = "/health"

    def notifications(
        self,
        status: Literal["firing", "resolved"] | None = None,
        alertname: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Kept notifications, newest first, each with every alert; the filters are the API's
        own.

        The API answers a page at a time and lists each notification's first alerts only;
        this follows the cursor and fetches whole notifications where alerts were left out.

        Args:
            status: Only this notification status.
            alertname: Only notifications with an alert of this name.
            since: Only those received at or after this time (with a time zone).
            limit: At most this many. Defaults to every one that matches.
        """
        params: dict[str, Any] = {"status": status, "alertname": alertname}
        if since is not None:
            params["since"] = since.isoformat()
        params = {k: v for k, v in params.items() if v is not None}
        found: list[dict[str, Any]] = []
        while limit is None or len(found) < limit:
            if limit is not None:
                params["limit"] = min(limit - len(found), self.PAGE_LIMIT)
            page = self._json("GET", "/api/notifications", params=params)
            found += page["notifications"]
            if page.get("next_before") is None:
                break
            params["before"] = page["next_before"]
        return [self._whole(note) for note in found]

    # The API's largest page.
    PAGE_LIMIT = 1000

    def _whole(self, note: dict[str, Any]) -> dict[str, Any]:
        if note.get("alerts_total", len(note["alerts"])) > len(note["alerts"]):
            return self._json("GET", f"/api/notifications/{note['id']}")
        return note


class DemoAppAdminClient(Client):
    """demo_app's fault API, ``/admin/faults``, with its bearer token.

    Args:
        base_url: demo_app's address.
        token: The admin token (``.run/admin-token`` for the native stack).
        timeout: Seconds per request.
    """

    HEALTH_PATH = "/ready"

    def __init__(self, base_url: str, token: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        super().__init__(base_url, timeout, headers={"Authorization": f"Bearer {token}"})

    @classmethod
    def for_stack(cls, base_url: str, admin_token: str) -> Self:
        return cls(base_url, admin_token)

    def faults(self) -> dict[str, Any]:
        """The current fault state."""
        return self._json("GET", "/admin/faults")

    def set_faults(self, state: dict[str, Any]) -> dict[str, Any]:
        """Replace the whole fault state."""
        return self._json("PUT", "/admin/faults", json=state)

    def apply_preset(self, preset: str) -> dict[str, Any]:
        """Switch to a named preset: ``healthy``, ``error-storm`` or ``slow-llm``."""
        return self._json("POST", f"/admin/faults/presets/{preset}")

    def reset(self) -> dict[str, Any]:
        """Back to healthy."""
        return self._json("DELETE", "/admin/faults")


class GrafanaClient(Client):
    """Grafana's HTTP API; the native stack needs only its health."""

    HEALTH_PATH = "/api/health"
