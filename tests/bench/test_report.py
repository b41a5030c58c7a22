"""bench/report.py: the summary's arithmetic on made-up runs (no processes)."""

from bench.report import clean_rounds, summary
from bench.run import Results, RunRecord, ScrapeRecord
from tests.support.bench import tiny_options


def _run(round_number: int, variant: str, cpu_us: float, busy: float = 1.0) -> RunRecord:
    """A 1 s run whose server was ``busy`` and spent ``cpu_us`` µs per request."""
    server_cpu = busy
    return RunRecord(
        round=round_number,
        variant=variant,
        requests=round(server_cpu / (cpu_us * 1e-6)),
        seconds=1.0,
        p50_seconds=0.001,
        p99_seconds=0.004,
        server_cpu_seconds=server_cpu,
        client_cpu_seconds=0.15,
    )


def _results(runs: list[RunRecord]) -> Results:
    options = tiny_options(variants=("bare", "demo_app"), rounds=2, calibrate=False)
    return Results(options=options, load_before=(0.5, 0.5, 0.5), runs=runs)


def test_ratios_and_added_cpu_come_from_runs_of_the_same_round() -> None:
    runs = [
        _run(0, "bare", 100.0),
        _run(0, "demo_app", 125.0),
        _run(1, "bare", 110.0),
        _run(1, "demo_app", 132.0),
    ]
    text = "\n".join(summary(_results(runs)))
    # Round 0: 8,000 vs 10,000 requests/s, 0.8; round 1: 7,576 vs 9,091, 0.833.
    assert "demo_app: requests/s ratio 0.817 (0.800-0.833)" in text
    assert "CPU-based ratio 0.817 (0.800-0.833)" in text
    assert "adds 23.5 (22.0-25.0) µs of server CPU per request" in text
    assert "quiet rounds" not in text and "disturbed" not in text


def test_a_disturbed_round_is_flagged_and_the_quiet_ones_summarised_apart() -> None:
    runs = [
        _run(0, "bare", 100.0),
        _run(0, "demo_app", 125.0),
        # Another process took half of the server's CPU during round 1's bare run.
        _run(1, "bare", 100.0, busy=0.5),
        _run(1, "demo_app", 125.0),
    ]
    assert clean_rounds(runs) == {0}
    text = "\n".join(summary(_results(runs)))
    assert "1 of 4 runs had the server under 95% busy" in text
    assert "the same over the 1 round(s) where no run was disturbed:" in text
    assert "demo_app: requests/s ratio 0.800 (0.800-0.800)" in text


def test_no_quiet_round_is_said_plainly() -> None:
    runs = [_run(0, "bare", 100.0, busy=0.5), _run(0, "demo_app", 125.0)]
    assert clean_rounds(runs) == set()
    assert "no round was free of disturbance" in summary(_results(runs))


def test_scrapes_are_reported_with_size_series_and_time() -> None:
    results = _results([_run(0, "bare", 100.0), _run(0, "demo_app", 125.0)])
    results.scrapes.append(
        ScrapeRecord(
            variant="demo_app",
            requests_served=100_001,
            size_bytes=12_283,
            series=121,
            seconds=[0.001, 0.002, 0.0012],
            server_cpu_seconds_per_scrape=0.0009,
        )
    )
    assert (
        "  demo_app: after 100,001 requests, 12,283 bytes, 121 series, "
        "1.20 (1.00-2.00) ms per scrape, 0.90 ms of server CPU each"
    ) in summary(results)
