"""Pure helpers: the order of the runs, percentiles, medians with their spread, ratios."""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass


def alternated(variants: Sequence[str], rounds: int) -> list[tuple[int, str]]:
    """The run order: every variant once per round, in the same order, round after round.

    Alternating (bare, instrumented, bare, instrumented ...) rather than running one
    variant's rounds back to back means slow drifts of the machine (another job starting,
    the CPU warming up) hit every variant alike; a ratio is taken within each round.

    Returns:
        ``(round, variant)`` pairs, rounds counted from 0.
    """
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    if len(set(variants)) != len(variants) or not variants:
        raise ValueError(f"variants must be distinct and not empty: {list(variants)}")
    return [(number, variant) for number in range(rounds) for variant in variants]


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value with ``fraction`` of all at or below it.

    Args:
        values: Samples, in any order.
        fraction: 0 < fraction <= 1, e.g. 0.99 for p99.
    """
    if not values:
        raise ValueError("no values")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], not {fraction}")
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Spread:
    """The median of a few runs, with the lowest and highest."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        if not values:
            raise ValueError("no values")
        return cls(statistics.median(values), min(values), max(values))

    @property
    def relative_range(self) -> float:
        """(high - low) / median: how noisy the runs were."""
        return (self.high - self.low) / self.median if self.median else math.inf


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, refusing a zero denominator instead of dividing by it."""
    if denominator == 0:
        raise ZeroDivisionError("ratio against a zero baseline")
    return numerator / denominator


def paired_ratios(
    values: dict[tuple[int, str], float], numerator: str, denominator: str
) -> list[float]:
    """One ratio per round, numerator variant over denominator variant, same round.

    Args:
        values: A measurement per ``(round, variant)``.
        numerator: The variant on top, e.g. "demo_app".
        denominator: The baseline, e.g. "bare".

    Returns:
        The ratios of the rounds where both variants were measured, in round order.
    """
    rounds = sorted({number for number, _ in values})
    return [
        ratio(values[(number, numerator)], values[(number, denominator)])
        for number in rounds
        if (number, numerator) in values and (number, denominator) in values
    ]


def paired_differences(
    values: dict[tuple[int, str], float], minuend: str, subtrahend: str
) -> list[float]:
    """One difference per round, minuend variant minus subtrahend variant, same round."""
    rounds = sorted({number for number, _ in values})
    return [
        values[(number, minuend)] - values[(number, subtrahend)]
        for number in rounds
        if (number, minuend) in values and (number, subtrahend) in values
    ]
