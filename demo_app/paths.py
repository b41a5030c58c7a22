"""URL templates, named once: the routers register them, faults key on them, tests use them.

A template is also the `handler` label value the instrumentator records for it.
"""

MESSAGES = "/api/v1/messages"
MESSAGES_STREAM = "/api/v1/messages/stream"
CUSTOMER = "/api/v1/customers/{customer_id}"

# Only these routes take injected HTTP faults: probes, /metrics and /admin never do.
API_ROUTES: tuple[str, ...] = (MESSAGES, MESSAGES_STREAM, CUSTOMER)

HEALTH = "/health"
READY = "/ready"
METRICS = "/metrics"

ADMIN_FAULTS = "/admin/faults"
ADMIN_PRESET = "/admin/faults/presets/{preset}"
ADMIN_CARDINALITY_DEMO = "/admin/cardinality-demo"
