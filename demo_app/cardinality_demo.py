"""Lab 5's intentionally BAD metric: one series per customer id, with a hard cap. Off by default.

Never do this in a real service. Every distinct label value is a new series, in the client's
memory and in Prometheus's head block, index and WAL; with a customer id as a label the
series count grows with the customer base. The lab switches it on (``PUT
/admin/cardinality-demo``, or DEMO_APP_BAD_CARDINALITY_DEMO=true at start) so a learner can
watch ``count(demo_bad_customer_lookups_total)`` and ``prometheus_tsdb_head_series`` grow.

The cap keeps the lesson from hurting the playground: at most MAX_SERIES customer ids are
ever recorded; lookups of other ids are answered as usual and not recorded. Switching it off
removes every series from /metrics (Prometheus keeps them in its head block until the next
compaction, which is part of the lesson).

Declared apart from demo_app/metrics.py on purpose: it is not part of the service's
instrumentation, and with the switch off it exports no sample at all. Its state belongs to the
process, like the metric: one worker only (the settings refuse it with DEMO_APP_WORKERS > 1,
where removed series would live on in the workers' files and each worker would have its
own cap).
"""

import threading

from prometheus_client import Counter

METRIC_NAME = "demo_bad_customer_lookups_total"
# The hard cap on series. 500 is enough to see the head series jump on a dashboard and small
# enough to cost nothing (a few hundred KB in Prometheus).
MAX_SERIES = 500

BAD_CUSTOMER_LOOKUPS = Counter(
    METRIC_NAME,
    "LAB 5 ONLY, intentionally bad: customer lookups labelled by customer id, at most 500 series.",
    ("customer_id",),
)

_lock = threading.Lock()
_recorded: set[str] = set()
_enabled = False


def switch(enabled: bool) -> None:
    """Switch the bad metric on or off; off removes every series it created."""
    global _enabled
    with _lock:
        _enabled = enabled
        if not enabled:
            BAD_CUSTOMER_LOOKUPS.clear()
            _recorded.clear()


def is_enabled() -> bool:
    return _enabled


def series_count() -> int:
    """How many customer ids are series now (at most MAX_SERIES)."""
    return len(_recorded)


def record(customer_id: str) -> None:
    """Count one lookup of an existing customer, under its own label value, while switched on.

    Args:
        customer_id: The canonical id (``cus_00042``), never the raw path segment.
    """
    if not _enabled:
        return
    with _lock:
        # Checked again under the lock: a switch-off in between must not be undone.
        if not _enabled:
            return
        if customer_id not in _recorded:
            if len(_recorded) >= MAX_SERIES:
                return
            _recorded.add(customer_id)
        BAD_CUSTOMER_LOOKUPS.labels(customer_id).inc()
