"""With two demo_app replicas, the dashboards show the whole service, not one replica or a
mean of replicas: counters are summed, histogram buckets are summed before the quantile,
exported settings are not double counted, and the instance selection narrows to one.

The dashboards' own queries, with Grafana's variables substituted, run on promtool's PromQL
engine (`promtool test rules`) over synthetic series from two instances with different
traffic; the expected values are worked out in the comments.
"""

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.core.paths import REPO_ROOT
from tests.support import grafana

pytestmark = pytest.mark.tools

SCRAPE = "5s"
# Two replicas. a: 2 req/s, all 200, all within 10 ms. b: 1 req/s 200 and 1 req/s 500, all
# between 0.5 s and 1 s. Each exports the same price gauges, as every replica does.
A, B = "10.0.0.1:8000", "10.0.0.2:8000"
MESSAGES = "/api/v1/messages"
HTTP_BUCKETS = ("0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "+Inf")
LLM_BUCKETS = ("0.5", "1", "2.5", "5", "8", "10", "12", "15", "20", "30", "60", "+Inf")
MODEL = "llama-3.1-8b-instant"
# About a dollar per million tokens; a power of two, so the expected cost is exact in binary
# floating point (promtool compares sample values exactly).
PRICE = 2.0**-20


def counter(name: str, labels: dict[str, str], per_second: float) -> dict[str, str]:
    """A counter series growing at a steady rate for 5 minutes of 5 s scrapes."""
    text = ", ".join(f'{k}="{v}"' for k, v in {"job": "demo_app", **labels}.items())
    return {"series": f"{name}{{{text}}}", "values": f"0+{per_second * 5:g}x60"}


def gauge(name: str, labels: dict[str, str], value: float) -> dict[str, str]:
    text = ", ".join(f'{k}="{v}"' for k, v in {"job": "demo_app", **labels}.items())
    return {"series": f"{name}{{{text}}}", "values": f"{value!r}x60"}


def histogram(
    name: str, labels: dict[str, str], buckets: tuple[str, ...], per_second: float, above: str
) -> list[dict[str, str]]:
    """Buckets of a histogram whose every observation is above `above` and below the next."""
    bounds = [float("inf") if b == "+Inf" else float(b) for b in buckets]
    cut = float(above)
    return [
        counter(f"{name}_bucket", {**labels, "le": le}, per_second if bound > cut else 0)
        for le, bound in zip(buckets, bounds, strict=True)
    ] + [counter(f"{name}_count", labels, per_second)]


def input_series() -> list[dict[str, str]]:
    http = {"handler": MESSAGES, "method": "POST"}
    series = [
        counter("http_requests_total", {"instance": A, **http, "status": "200"}, 2),
        counter("http_requests_total", {"instance": B, **http, "status": "200"}, 1),
        counter("http_requests_total", {"instance": B, **http, "status": "500"}, 1),
        *histogram("http_request_duration_seconds", {"instance": A, **http}, HTTP_BUCKETS, 2, "0"),
        *histogram(
            "http_request_duration_seconds", {"instance": B, **http}, HTTP_BUCKETS, 2, "0.5"
        ),
        gauge("http_requests_inprogress", {"instance": A}, 3),
        gauge("http_requests_inprogress", {"instance": B}, 7),
        # LLM calls: a 1/s all under 0.5 s, b 1/s all between 12 s and 15 s.
        *histogram(
            "llm_call_duration_seconds", {"instance": A, "model": MODEL}, LLM_BUCKETS, 1, "0"
        ),
        *histogram(
            "llm_call_duration_seconds", {"instance": B, "model": MODEL}, LLM_BUCKETS, 1, "12"
        ),
    ]
    for instance, tokens in ((A, 100), (B, 50)):
        labels = {"instance": instance, "model": MODEL, "agent": "responder"}
        series.append(counter("llm_tokens_used_total", labels, tokens))
        series.append(
            gauge("llm_price_usd_per_token", {"instance": instance, "model": MODEL}, PRICE)
        )
    return series


# (dashboard uid, panel title, refId, selected instances) → expected samples at 4m.
EXPECTED: list[tuple[str, str, str, list[str], list[tuple[str, float]]]] = [
    # 2 + 1 + 1 req/s.
    (
        "playground-service-red",
        "Request rate by handler",
        "A",
        [],
        [(f'{{handler="{MESSAGES}"}}', 4)],
    ),
    # Only replica a is selected: its 2 req/s.
    (
        "playground-service-red",
        "Request rate by handler",
        "A",
        [A],
        [(f'{{handler="{MESSAGES}"}}', 2)],
    ),
    (
        "playground-service-red",
        "Request rate by status code",
        "A",
        [],
        [('{status="200"}', 3), ('{status="500"}', 1)],
    ),
    # 1 of 4 req/s failed. Per replica it would be 0 and 0.5.
    ("playground-service-red", "Error ratio (5xx share)", "A", [], [("{}", 0.25)]),
    # 4 req/s: 2 in the first bucket (≤ 0.01), 2 in (0.5, 1]. p50's rank 2 is the first
    # bucket's last observation: 0.01. p99's rank 3.96 lies in (0.5, 1]: 0.5 + 0.5 x 1.96 / 2.
    # The mean of the replicas' p99s would be about 0.5.
    (
        "playground-service-red",
        "Latency p50 / p95 / p99 by handler",
        "A",
        [],
        [(f'{{handler="{MESSAGES}"}}', 0.01)],
    ),
    (
        "playground-service-red",
        "Latency p50 / p95 / p99 by handler",
        "C",
        [],
        [(f'{{handler="{MESSAGES}"}}', 0.99)],
    ),
    # In flight is per process (DemoAppSaturated is per instance): one series per replica.
    (
        "playground-service-red",
        "Requests in flight",
        "A",
        [],
        [(f'{{instance="{A}"}}', 3), (f'{{instance="{B}"}}', 7)],
    ),
    (
        "playground-llm",
        "Tokens per second by model and agent",
        "A",
        [],
        [(f'{{agent="responder", model="{MODEL}"}}', 150)],
    ),
    # 150 tok/s x PRICE x 3600 s. Summing the two replicas' identical prices would double it.
    (
        "playground-llm",
        "Estimated LLM cost per hour",
        "A",
        [],
        [(f'{{model="{MODEL}"}}', 150 * PRICE * 3600)],
    ),
    # 2 calls/s: half ≤ 0.5 s, half in (12, 15]. p95's rank 1.9 lies in (12, 15]: 12 + 3 x 0.9.
    ("playground-llm", "LLM call duration p95 by model", "A", [], [(f'{{model="{MODEL}"}}', 14.7)]),
]


def promtool_test(dashboards: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A promtool unit-test file: the input series and each expected query result."""
    cases = []
    for uid, title, ref_id, instances, samples in EXPECTED:
        dashboard = dashboards[uid]
        panel = next(p for p in grafana.panels(dashboard) if p["title"] == title)
        expr = next(t["expr"] for t in panel["targets"] if t["refId"] == ref_id)
        values = grafana.builtin_variables(240, 5, 5)
        for variable in grafana.variables(dashboard):
            chosen = instances if variable["name"] == "instance" and instances else [grafana.ALL]
            values[variable["name"]] = grafana.variable_value(variable, chosen)
        cases.append(
            {
                "expr": grafana.substitute(expr, values),
                "eval_time": "4m",
                "exp_samples": [{"labels": labels, "value": value} for labels, value in samples],
            }
        )
    return {
        "rule_files": [],
        "evaluation_interval": SCRAPE,
        "tests": [{"interval": SCRAPE, "input_series": input_series(), "promql_expr_test": cases}],
    }


def test_dashboards_sum_replicas_and_quantiles_come_from_summed_buckets(
    dashboards: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    promtool = REPO_ROOT / ".tools" / "bin" / "promtool"
    if not promtool.is_file():
        pytest.skip("promtool is missing: run `make setup`")
    path = tmp_path / "replicas_test.yml"
    path.write_text(yaml.safe_dump(promtool_test(dashboards), sort_keys=False))
    result = subprocess.run(
        [promtool, "test", "rules", path], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
