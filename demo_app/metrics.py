"""Every metric demo_app exports, declared once at import, and what the HTTP metrics record.

All metrics live in prometheus-client's global registry, so every application built in one
process (tests, the benchmark) records into the same series, and multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, set by ``python -m demo_app`` before this module is imported)
covers all of them. Label values only ever come from demo_app.labels, demo_app.paths or a
literal HTTP status code.
"""

import re

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

from demo_app import paths
from demo_app.labels import AGENTS, LLM_ERROR_KINDS, MODELS

# No `*_created` series: in the text format Prometheus stores them as extra gauges, one per
# counter or histogram series, which no rule or dashboard here reads.
disable_created_metrics()

# --- HTTP (the instrumentator's names and label names) ------------------------------------

# The SLO is p99 < 500 ms, so 0.5 is a boundary; 10 and 30 keep slow-llm turns (~24 s)
# out of +Inf. The library default (0.1, 0.5, 1) would cap every quantile at 1 s.
HTTP_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS_TOTAL = Counter(
    "http_requests_total",
    "Total number of requests by method, status and handler.",
    ("method", "status", "handler"),
)
HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time until the response starts (first byte), by handler.",
    ("method", "handler"),
    buckets=HTTP_LATENCY_BUCKETS,
)
# livesum: in multiprocess mode a scrape adds up the live workers' values.
HTTP_REQUESTS_INPROGRESS = Gauge(
    "http_requests_inprogress",
    "Number of HTTP requests in progress.",
    multiprocess_mode="livesum",
)

# --- Agents and the LLM ---------------------------------------------------------------------

AGENT_TURN_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Past 10 s (12, 15, 20, 30, 60) so that "p95 > 10 s" can be computed: histogram_quantile
# never returns more than the highest finite bound.
LLM_CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, 60.0)

AGENT_TOKEN_USAGE = Counter(
    "agent_token_usage_total",
    "Tokens (prompt + completion) consumed per agent and model.",
    ("agent", "model"),
)
AGENT_TURN_LATENCY = Histogram(
    "agent_turn_latency_seconds",
    "Wall-clock latency of one agent turn, failed turns included.",
    ("agent",),
    buckets=AGENT_TURN_BUCKETS,
)
LLM_TOKENS_USED = Counter(
    "llm_tokens_used_total",
    "Tokens (prompt + completion) billed by the LLM, per model and agent.",
    ("model", "agent"),
)
LLM_PROMPT_TOKENS = Counter(
    "llm_prompt_tokens_total", "Prompt (input) tokens sent to the LLM.", ("model", "agent")
)
LLM_COMPLETION_TOKENS = Counter(
    "llm_completion_tokens_total",
    "Completion (output) tokens returned by the LLM.",
    ("model", "agent"),
)
LLM_CALL_DURATION = Histogram(
    "llm_call_duration_seconds",
    "Duration of one LLM call, failed calls included.",
    ("model",),
    buckets=LLM_CALL_BUCKETS,
)
LLM_ERRORS = Counter(
    "llm_errors_total", "Failed LLM calls by model and kind of failure.", ("model", "kind")
)

# --- Configuration exported for rules and dashboards ---------------------------------------
# Set, never incremented. livemostrecent: in multiprocess mode a scrape shows the value a
# live worker wrote last.

LLM_PRICE = Gauge(
    "llm_price_usd_per_token",
    "Price of one token, prompt and completion blended, from the settings.",
    ("model",),
    multiprocess_mode="livemostrecent",
)
LLM_HOURLY_BUDGET = Gauge(
    "llm_hourly_budget_usd",
    "LLM spend allowed per hour, from DEMO_APP_LLM_HOURLY_BUDGET_USD.",
    multiprocess_mode="livemostrecent",
)
FAULT_HTTP_ERROR_RATIO = Gauge(
    "demo_app_fault_http_error_ratio",
    "Injected share of HTTP 500s, for all API routes (route=all) or one route template.",
    ("route",),
    multiprocess_mode="livemostrecent",
)
FAULT_LLM_EXTRA_LATENCY = Gauge(
    "demo_app_fault_llm_extra_latency_seconds",
    "Injected latency added to every LLM call.",
    multiprocess_mode="livemostrecent",
)
FAULT_LLM_RATE_LIMIT_RATIO = Gauge(
    "demo_app_fault_llm_rate_limit_ratio",
    "Injected share of LLM calls failing with a rate-limit error.",
    multiprocess_mode="livemostrecent",
)
FAULT_TOKEN_INFLATION = Gauge(
    "demo_app_fault_token_inflation_factor",
    "Injected multiplier on the tokens every LLM call reports.",
    multiprocess_mode="livemostrecent",
)
FAULT_LLM_MODEL = Gauge(
    "demo_app_fault_llm_model",
    "1 for each model the injected LLM faults hit (every model unless the faults name some).",
    ("model",),
    multiprocess_mode="livemostrecent",
)
FAULT_EVENT_LOOP_BLOCK = Gauge(
    "demo_app_fault_event_loop_block_seconds",
    "Injected blocking sleep in every API request (stalls the event loop).",
    multiprocess_mode="livemostrecent",
)
FAULT_METRICS_EXTRA_LATENCY = Gauge(
    "demo_app_fault_metrics_extra_latency_seconds",
    "Injected delay added to every /metrics scrape.",
    multiprocess_mode="livemostrecent",
)
FAULT_CARDINALITY_LEAK = Gauge(
    "demo_app_fault_cardinality_leak",
    "1 while the injected cardinality leak (lab 5's per-customer metric) is on.",
    multiprocess_mode="livemostrecent",
)
FAULT_STRENGTH = Gauge(
    "demo_app_fault_strength",
    "Share of the injected faults in force now, 0 to 1 (a ramp or a flap changes it).",
    multiprocess_mode="livemostrecent",
)
FAULT_THIS_REPLICA = Gauge(
    "demo_app_fault_this_replica",
    "1 when the injected faults apply to this replica (0 when they name other replicas).",
    multiprocess_mode="livemostrecent",
)
# Which replica this is (DEMO_APP_REPLICA), joined to the scrape's `instance` label: with
# several replicas behind one name, it says which process an instance is (a fault state can
# name one replica). Always 1.
REPLICA_INFO = Gauge(
    "demo_app_replica_info",
    "Always 1; the `replica` label is this process's DEMO_APP_REPLICA.",
    ("replica",),
    multiprocess_mode="livemostrecent",
)
FAULT_PRESET_ACTIVE = Gauge(
    "demo_app_fault_preset_active",
    "1 for the preset the fault state equals, 0 for the others (all 0 for a custom state).",
    ("preset",),
    multiprocess_mode="livemostrecent",
)

# Every series with a known label set exists from the start at 0, so rate() and dashboards
# see it before the first event.
for _model in MODELS:
    LLM_CALL_DURATION.labels(_model)
    for _agent in AGENTS:
        AGENT_TOKEN_USAGE.labels(_agent, _model)
        for _counter in (LLM_TOKENS_USED, LLM_PROMPT_TOKENS, LLM_COMPLETION_TOKENS):
            _counter.labels(_model, _agent)
    for _kind in LLM_ERROR_KINDS:
        LLM_ERRORS.labels(_model, _kind)
for _agent in AGENTS:
    AGENT_TURN_LATENCY.labels(_agent)

# --- What the HTTP metrics record (both recorders, demo_app.instrumentation) ------------------

# Not recorded: probes, the scrape itself and the docs. One anchored pattern, matched like the
# library's excluded_handlers (re.search against the route template), where "/health" alone
# would also skip "/healthz" and "/api/v1/health-check".
EXCLUDED_PATHS = (
    paths.METRICS,
    paths.HEALTH,
    paths.READY,
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/openapi.json",
)
EXCLUDED_HANDLERS = ("^(?:" + "|".join(re.escape(path) for path in EXCLUDED_PATHS) + ")$",)

# Any other method token (clients may send anything) is recorded as OTHER, so the `method`
# label stays bounded.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def set_llm_prices(prices_usd_per_million_tokens: dict[str, float], hourly_budget: float) -> None:
    """Export the configured prices and budget, so a rule can compute spend."""
    for model, price in prices_usd_per_million_tokens.items():
        LLM_PRICE.labels(model).set(price / 1_000_000)
    LLM_HOURLY_BUDGET.set(hourly_budget)
