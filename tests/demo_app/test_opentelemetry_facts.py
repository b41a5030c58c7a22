"""What opentelemetry-instrumentation-fastapi puts on a request's span, on the installed version.

Backs the OpenTelemetry drill (docs/drills/drills.yaml, opentelemetry-and-exemplars): by
default the instrumentation still emits the old HTTP semantic conventions (`http.method`,
`http.status_code`); the stable names (`http.request.method`, `http.response.status_code`)
need OTEL_SEMCONV_STABILITY_OPT_IN=http, and `http/dup` emits both. The mode is read once
per process (opentelemetry/instrumentation/_semconv.py), so each case runs in its own.
"""

import json
import os
import subprocess
import sys

import pytest

# A FastAPI app with one templated route, instrumented, one request, the server span's
# attribute names on stdout.
PROBE = """
import json
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
app = FastAPI()

@app.get("/api/v1/customers/{customer_id}")
def customer(customer_id: str) -> dict:
    return {"id": customer_id}

FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
TestClient(app).get("/api/v1/customers/cus_00042")
(server,) = [s for s in exporter.get_finished_spans() if s.kind.name == "SERVER"]
print(json.dumps(dict(server.attributes)))
"""

OLD = {"http.method", "http.status_code"}
STABLE = {"http.request.method", "http.response.status_code"}


def span_attributes(opt_in: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "OTEL_SEMCONV_STABILITY_OPT_IN"}
    if opt_in is not None:
        env["OTEL_SEMCONV_STABILITY_OPT_IN"] = opt_in
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", PROBE],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_by_default_the_span_has_the_old_http_method_and_status_code_names() -> None:
    attributes = span_attributes(None)
    assert set(attributes) >= OLD and not STABLE & set(attributes), attributes
    assert attributes["http.route"] == "/api/v1/customers/{customer_id}"
    assert attributes["http.status_code"] == 200


def test_the_stable_names_need_the_http_opt_in() -> None:
    attributes = span_attributes("http")
    assert set(attributes) >= STABLE and not OLD & set(attributes), attributes
    assert attributes["http.route"] == "/api/v1/customers/{customer_id}"


@pytest.mark.parametrize("opt_in", ["http/dup", "http,http/dup"])
def test_http_dup_emits_both_names(opt_in: str) -> None:
    assert set(span_attributes(opt_in)) >= OLD | STABLE
