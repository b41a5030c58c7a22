"""The pure parts of `playground drill`: expected shapes, the live profile, the printout."""

import math

import pytest

from playground.configs.rule_profiles import live_profile
from playground.teaching.drills import (
    Drill,
    Expectation,
    QueryResult,
    format_drill,
)

NAN = math.nan


@pytest.mark.parametrize(
    ("expect", "values", "matches"),
    [
        ("empty", [], True),
        ("empty", [0.0], False),
        ("nonempty", [NAN], True),
        ("nonempty", [], False),
        ("ratio", [0.0, 0.5, 1.0, NAN], True),
        ("ratio", [1.2], False),
        ("ratio", [NAN], False),
        ("== 1", [1.0, 1.0, NAN], True),
        ("== 1", [1.0, 0.99], False),
        ("== 10", [10.0], True),
        ("> 10", [14.85], True),
        ("> 10", [10.0], False),
        (">= 0", [0.0], True),
        ("<= 8", [9.0], False),
        ("== 0", [], False),
        ("== 0", [NAN, NAN], False),
    ],
)
def test_a_result_matches_its_expected_shape_only_when_it_should(
    expect: str, values: list[float], matches: bool
) -> None:
    assert Expectation(expect).check(values)[0] is matches


def test_an_unknown_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown expectation"):
        Expectation("about 1")


class _FakePrometheus:
    def __init__(self, names: list[str]) -> None:
        self.names = names

    def rules(self, rule_type: str | None = None) -> list[dict]:
        assert rule_type == "record"
        return [{"name": name} for name in self.names]


def test_the_live_profile_is_read_from_the_record_names() -> None:
    assert live_profile(_FakePrometheus(["job:http_requests:rate30s"])) == "lab"  # type: ignore[arg-type]
    assert live_profile(_FakePrometheus(["job:http_requests:rate5m"])) == "realistic"  # type: ignore[arg-type]
    assert live_profile(_FakePrometheus([])) is None  # type: ignore[arg-type]


def test_the_printout_shows_each_live_result_beside_the_expected_shape(
    drills: dict[str, Drill],
) -> None:
    drill = drills["error-rate-slo-burn-rates"]
    results = []
    for query in drill.queries:
        samples = (
            ({"metric": {"handler": "/api/v1/messages"}, "value": [0, "1"]},)
            if query.expect.text != "empty"
            else ()
        )
        matches, why = query.expect.check([1.0] if samples else [])
        results.append(QueryResult(query, query.expr + " #ran", samples, matches, why))
    text = format_drill(drill, results, "lab")
    assert drill.question.split()[0] in text and "Model answer" in text
    assert text.count("#ran") == len(drill.queries)
    assert 'live:     {handler="/api/v1/messages"} 1' in text
    assert "=> as the answer says" in text
    # "budget left <= 1" holds for 1; "> 0" holds; the ratio holds; none is "not yet".
    assert "not yet" not in text
    assert "Where the design notes go wrong" in text and "Proof:" in text


def test_a_shape_that_does_not_show_says_what_it_needs(drills: dict[str, Drill]) -> None:
    drill = drills["histogram-quantile-inf-cap"]
    results = [QueryResult(q, q.expr, (), *q.expect.check([])) for q in drill.queries]
    text = format_drill(drill, results, "realistic")
    assert "live:     (no data)" in text
    assert "not yet (no sample); needs the slow-llm preset" in text
