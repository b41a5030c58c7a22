"""Prometheus's text exposition format, written with the standard library.

loadtest/metrics.py runs inside the Locust master, and compose runs that from the official
`locustio/locust` image, which has Locust's dependencies and nothing else: no
prometheus-client. The format it needs is small (counters, gauges and histograms with
labels; Ref: https://prometheus.io/docs/instrumenting/exposition_formats/), so it is
written here, and tests read it back with prometheus-client's own parser and a real
Prometheus scrapes it (tests/loadtest/test_metrics.py, tests/e2e/test_load_metrics_live.py).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Labels = Mapping[str, str]


@dataclass
class Family:
    """One metric: its name, help text, type and samples (suffix, labels, value)."""

    name: str
    help: str
    type: str
    samples: list[tuple[str, Labels, float]] = field(default_factory=list)


def counter(name: str, help_text: str) -> Family:
    """A counter family; ``name`` without ``_total``.

    In the text format (0.0.4) a counter's HELP and TYPE lines name it with ``_total``, as
    its samples do (prometheus-client writes them so); OpenMetrics would drop it there.
    """
    return Family(f"{name}_total", help_text, "counter")


def gauge(name: str, help_text: str) -> Family:
    return Family(name, help_text, "gauge")


def histogram(name: str, help_text: str) -> Family:
    return Family(name, help_text, "histogram")


def add_counter(family: Family, labels: Labels, value: float) -> None:
    family.samples.append(("", labels, value))


def add_gauge(family: Family, labels: Labels, value: float) -> None:
    family.samples.append(("", labels, value))


def add_histogram(
    family: Family, labels: Labels, buckets: Sequence[tuple[str, float]], total: float
) -> None:
    """Cumulative ``buckets`` as (upper bound as written, count), +Inf last; ``total`` the sum."""
    for bound, count in buckets:
        family.samples.append(("_bucket", {**labels, "le": bound}, count))
    family.samples.append(("_count", labels, buckets[-1][1] if buckets else 0.0))
    family.samples.append(("_sum", labels, total))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(families: Iterable[Family]) -> str:
    """The families as the text format, HELP and TYPE before each."""
    lines = []
    for family in families:
        help_text = family.help.replace("\\", "\\\\").replace("\n", "\\n")
        lines += [f"# HELP {family.name} {help_text}", f"# TYPE {family.name} {family.type}"]
        for suffix, labels, value in family.samples:
            pairs = ",".join(f'{key}="{_escape(str(v))}"' for key, v in labels.items())
            selector = f"{{{pairs}}}" if pairs else ""
            lines.append(f"{family.name}{suffix}{selector} {_number(value)}")
    return "\n".join(lines) + "\n"
