"""The steps of an alert's lifecycle, shared by the predictions (when each should happen) and
the timeline (when each did). A leaf module, so neither has to import the other.
"""

from enum import StrEnum


class Kind(StrEnum):
    """A transition in an alert's lifecycle, in the order they should happen."""

    PENDING = "pending"
    FIRING = "firing"
    IN_ALERTMANAGER = "in Alertmanager"
    NOTIFIED = "notified"
    RESOLVED = "resolved"
    RESOLVED_NOTIFIED = "resolved notified"


LIFECYCLE: tuple[Kind, ...] = tuple(Kind)
