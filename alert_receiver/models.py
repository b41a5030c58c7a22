"""Alertmanager's webhook payload (version 4) and the notification the receiver keeps.

Ref: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
Field names on the wire stay Alertmanager's (``groupKey``, ``startsAt``, ``externalURL``).
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

AlertStatus = Literal["firing", "resolved"]
ALERT_STATUSES: tuple[AlertStatus, ...] = ("firing", "resolved")


class _WireModel(BaseModel):
    # Unknown fields are ignored so a newer Alertmanager that adds one is still accepted.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class WebhookAlert(_WireModel):
    """One alert of a notification."""

    status: AlertStatus
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: AwareDatetime
    # A firing alert has the zero time, 0001-01-01T00:00:00Z.
    ends_at: AwareDatetime
    generator_url: str = Field(default="", alias="generatorURL")
    fingerprint: str


class WebhookPayload(_WireModel):
    """What Alertmanager POSTs to a webhook receiver."""

    version: Literal["4"]
    group_key: str = ""
    truncated_alerts: int = Field(default=0, ge=0)
    status: AlertStatus
    receiver: str
    group_labels: dict[str, str]
    common_labels: dict[str, str]
    common_annotations: dict[str, str] = Field(default_factory=dict)
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[WebhookAlert] = Field(min_length=1)


class Notification(BaseModel):
    """A payload as kept by the receiver: numbered, and stamped when it arrived."""

    model_config = ConfigDict(frozen=True)

    id: int
    received_at: datetime
    payload: WebhookPayload

    def alertnames(self) -> set[str]:
        """The ``alertname`` labels of the alerts in this notification."""
        return {a.labels["alertname"] for a in self.payload.alerts if "alertname" in a.labels}

    def to_json(self) -> dict[str, Any]:
        """The payload's own fields, in Alertmanager's spelling, plus ``id`` and ``received_at``."""
        return {
            "id": self.id,
            "received_at": self.received_at.isoformat(),
            **self.payload.model_dump(mode="json", by_alias=True),
        }
