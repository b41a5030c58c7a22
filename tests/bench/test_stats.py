"""bench/stats.py: run order, percentiles, medians with spread, per-round ratios."""

import pytest

from bench.stats import (
    Spread,
    alternated,
    paired_differences,
    paired_ratios,
    percentile,
    ratio,
)


def test_rounds_alternate_the_variants_in_a_fixed_order() -> None:
    assert alternated(["bare", "demo_app"], 3) == [
        (0, "bare"),
        (0, "demo_app"),
        (1, "bare"),
        (1, "demo_app"),
        (2, "bare"),
        (2, "demo_app"),
    ]


def test_every_variant_runs_once_per_round() -> None:
    order = alternated(["bare", "demo_app", "design_notes"], 4)
    assert len(order) == 12
    for number in range(4):
        assert sorted(v for r, v in order if r == number) == ["bare", "demo_app", "design_notes"]


@pytest.mark.parametrize("variants, rounds", [(["bare"], 0), ([], 2), (["bare", "bare"], 2)])
def test_no_rounds_no_variants_or_a_repeated_variant_are_refused(
    variants: list[str], rounds: int
) -> None:
    with pytest.raises(ValueError):
        alternated(variants, rounds)


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(n) for n in range(100, 0, -1)]  # 100 .. 1, unsorted on purpose
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.001) == 1.0
    # With fewer than 100 samples p99 is the largest.
    assert percentile([3.0, 1.0, 2.0], 0.99) == 3.0


@pytest.mark.parametrize("fraction", [0.0, -0.5, 1.5])
def test_percentile_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError):
        percentile([1.0, 2.0], fraction)


def test_percentile_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        percentile([], 0.99)


def test_spread_is_the_median_lowest_and_highest() -> None:
    spread = Spread.of([5.0, 1.0, 4.0, 2.0])
    assert (spread.median, spread.low, spread.high) == (3.0, 1.0, 5.0)
    assert spread.relative_range == pytest.approx(4.0 / 3.0)
    assert Spread.of([7.0]) == Spread(7.0, 7.0, 7.0)


def test_ratio_refuses_a_zero_baseline() -> None:
    assert ratio(6.0, 8.0) == 0.75
    with pytest.raises(ZeroDivisionError):
        ratio(1.0, 0.0)


def test_ratios_and_differences_pair_variants_within_each_round() -> None:
    values = {
        (0, "bare"): 8000.0,
        (0, "demo_app"): 6000.0,
        (1, "bare"): 10000.0,
        (1, "demo_app"): 9000.0,
        # A round where the instrumented run is missing is left out, not paired across rounds.
        (2, "bare"): 5000.0,
    }
    assert paired_ratios(values, "demo_app", "bare") == [0.75, 0.9]
    assert paired_differences(values, "demo_app", "bare") == [-2000.0, -1000.0]
