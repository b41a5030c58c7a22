"""loadtest/exposition.py writes what Prometheus reads: checked with prometheus-client's parser."""

from prometheus_client.parser import text_string_to_metric_families

from loadtest.exposition import (
    add_counter,
    add_gauge,
    add_histogram,
    counter,
    gauge,
    histogram,
    render,
)


def test_counters_gauges_and_histograms_parse_back_with_their_values() -> None:
    requests = counter("x_requests", "Requests.")
    add_counter(requests, {"method": "GET", "name": "/a/{id}"}, 7)
    users = gauge("x_users", "Users.")
    add_gauge(users, {}, 3)
    duration = histogram("x_seconds", "Durations.")
    add_histogram(duration, {"name": "/a"}, [("0.1", 2.0), ("1.0", 5.0), ("+Inf", 6.0)], 4.5)
    text = render([requests, users, duration])
    parsed = {f.name: f for f in text_string_to_metric_families(text)}

    assert parsed["x_requests"].type == "counter"
    (sample,) = parsed["x_requests"].samples
    assert (sample.name, sample.labels, sample.value) == (
        "x_requests_total",
        {"method": "GET", "name": "/a/{id}"},
        7.0,
    )
    assert [s.value for s in parsed["x_users"].samples] == [3.0]
    samples = {(s.name, s.labels.get("le")): s.value for s in parsed["x_seconds"].samples}
    assert samples[("x_seconds_bucket", "1.0")] == 5.0
    assert samples[("x_seconds_bucket", "+Inf")] == samples[("x_seconds_count", None)] == 6.0
    assert samples[("x_seconds_sum", None)] == 4.5


def test_label_values_with_quotes_backslashes_and_newlines_survive() -> None:
    family = counter("x", "A help text with a \\ and\na newline.")
    awkward = 'a "quoted" \\ name\non two lines'
    add_counter(family, {"name": awkward}, 1)
    (parsed,) = text_string_to_metric_families(render([family]))
    assert parsed.samples[0].labels == {"name": awkward}
    assert parsed.documentation == "A help text with a \\ and\na newline."
