"""bench/options.py: defaults that fit the time budget, flags, and refused values."""

import os

import pytest

from bench.options import (
    CUSTOMER_COUNT,
    DEFAULT_DURATION,
    DEFAULT_ROUNDS,
    DEFAULT_VARIANTS,
    DEFAULT_WARMUP,
    parse_args,
)

TWO_CPUS = len(os.sched_getaffinity(0)) >= 2 and {0, 1} <= os.sched_getaffinity(0)


@pytest.mark.skipif(not TWO_CPUS, reason="pinning needs CPUs 0 and 1")
def test_defaults_pin_servers_to_cpu_0_and_the_client_to_cpu_1() -> None:
    options = parse_args([])
    assert (
        options.variants
        == DEFAULT_VARIANTS
        == (
            "bare",
            "demo_app",
            "demo_app_lean",
            "design_notes",
        )
    )
    assert (options.server_cpu, options.client_cpu) == (0, 1)
    assert options.instrumented == ("demo_app", "demo_app_lean", "design_notes")
    assert options.scraped == ("demo_app", "demo_app_lean", "design_notes")
    assert options.calibrate
    assert options.scrape_requests == 100_000
    assert options.customers == CUSTOMER_COUNT == 10_000


def test_the_default_rounds_fit_in_about_three_minutes() -> None:
    runs = DEFAULT_ROUNDS * len(DEFAULT_VARIANTS) + 1  # + calibration
    assert runs * (DEFAULT_WARMUP + DEFAULT_DURATION) <= 120


def test_flags_set_rounds_duration_connections_and_variants() -> None:
    options = parse_args(
        [
            "--rounds",
            "3",
            "--duration",
            "2.5",
            "--warmup",
            "0",
            "--connections",
            "4",
            "--variants",
            "bare,demo_app",
            "--no-pin",
            "--no-calibrate",
            "--scrape-requests",
            "0",
            "--customers",
            "50",
        ]
    )
    assert (options.rounds, options.duration, options.warmup, options.connections) == (
        3,
        2.5,
        0.0,
        4,
    )
    assert options.variants == ("bare", "demo_app")
    assert options.instrumented == ("demo_app",)
    assert (options.server_cpu, options.client_cpu) == (None, None)
    assert not options.calibrate
    assert options.scrape_requests == 0
    assert options.customers == 50


def test_a_module_factory_can_be_benchmarked_beside_the_known_variants() -> None:
    options = parse_args(["--no-pin", "--variants", "bare,my_module:build_app"])
    assert options.instrumented == ("my_module:build_app",)
    # Only the known instrumented variants have a /metrics to measure.
    assert options.scraped == ()


@pytest.mark.parametrize(
    "argv",
    [
        ["--rounds", "0"],
        ["--duration", "0"],
        ["--warmup", "-1"],
        ["--connections", "0"],
        ["--variants", "demo_app,design_notes"],  # no baseline
        ["--variants", "bare,nonsense"],
        ["--variants", "bare,demo_app,bare"],
        ["--server-cpu", "1", "--client-cpu", "1"],
        ["--server-cpu", "4096"],
        ["--customers", "10001"],
    ],
)
def test_bad_values_are_refused_with_a_message(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err
