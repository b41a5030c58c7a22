"""incidents/grading.py: each part of the answer, the time, the hints and earlier wrong answers."""

import pytest

from playground.core.paths import REPO_ROOT
from playground.teaching.incidents.catalogue import Diagnosis, Dimension
from playground.teaching.incidents.grading import (
    CAUSE_POINTS,
    DIMENSION_KIND_ONLY_POINTS,
    DIMENSION_POINTS,
    HINT_PENALTY,
    LETTERS,
    PAR_MINUTES,
    TIME_POINTS,
    WRONG_ANSWER_PENALTY,
    Answer,
    grade,
    letter,
    time_points,
)

MIXTRAL = Dimension(kind="model", value="mixtral-8x7b-32768")
RIGHT = Diagnosis(dimension=MIXTRAL, cause="latency")


def _grade(answer: Answer, seconds: float = 60.0, hints: int = 0, wrong: int = 0):
    return grade(answer, RIGHT, "medium", seconds, hints, wrong)


def test_a_right_answer_in_par_time_without_help_scores_full_marks() -> None:
    result = _grade(Answer(MIXTRAL, "latency"))
    assert (result.total, result.letter, result.solved) == (100, "A", True)


def test_the_value_is_compared_without_case_or_spaces() -> None:
    assert _grade(Answer(Dimension(kind="model", value=" Mixtral-8x7B-32768 "), "latency")).solved


def test_a_value_may_go_by_other_names() -> None:
    # A replica: its instance label is the value; its host and DEMO_APP_REPLICA name count too.
    instance = Dimension(kind="replica", value="172.18.0.7:8000")
    right = Diagnosis(dimension=instance, cause="errors")
    names = ("172.18.0.7", "3f2a9c1b7d4e")

    def solved(value: str, also: tuple[str, ...] = names) -> bool:
        answer = Answer(Dimension(kind="replica", value=value), "errors")
        return grade(answer, right, "medium", 60.0, 0, 0, also=also).solved

    assert all(solved(value) for value in ("172.18.0.7:8000", *names, "3F2A9C1B7D4E"))
    assert not solved("172.18.0.8:8000")
    assert not solved("3f2a9c1b7d4e", also=())


def test_the_right_kind_with_the_wrong_value_earns_part_of_the_dimension() -> None:
    result = _grade(Answer(Dimension(kind="model", value="llama-3.1-8b-instant"), "latency"))
    assert result.dimension_points == 15
    assert not result.solved
    assert result.time_points == 0
    assert result.total == 15 + 40


def test_the_wrong_kind_earns_nothing_for_the_dimension() -> None:
    result = _grade(Answer(Dimension(kind="handler", value="/api/v1/messages"), "latency"))
    assert result.dimension_points == 0
    assert "not a handler problem" in result.dimension_verdict


def test_the_wrong_cause_earns_nothing_for_the_cause_and_does_not_solve() -> None:
    result = _grade(Answer(MIXTRAL, "errors"))
    assert (result.cause_points, result.solved, result.total) == (0, False, 40)


def test_a_none_dimension_needs_only_its_kind() -> None:
    right = Diagnosis(dimension=Dimension(kind="none"), cause="monitoring")
    result = grade(Answer(Dimension(kind="none"), "monitoring"), right, "easy", 10, 0, 0)
    assert result.solved and result.total == 100


def test_each_hint_and_each_earlier_wrong_answer_costs_points() -> None:
    assert _grade(Answer(MIXTRAL, "latency"), hints=2).total == 80
    assert _grade(Answer(MIXTRAL, "latency"), wrong=3).total == 85
    assert _grade(Answer(MIXTRAL, "latency"), hints=3, wrong=1).total == 65


def test_the_total_never_goes_below_zero() -> None:
    assert _grade(Answer(Dimension(kind="none"), "cost"), hints=3, wrong=5).total == 0


@pytest.mark.parametrize(
    ("share_of_par", "points"), [(0.5, 20), (1.0, 20), (1.5, 10), (2.0, 0), (3.0, 0)]
)
def test_time_points_fall_from_par_to_zero_at_twice_par(share_of_par: float, points: int) -> None:
    seconds = PAR_MINUTES["hard"] * 60 * share_of_par
    assert time_points(seconds, "hard") == points


def test_a_slow_right_answer_loses_the_time_points_only() -> None:
    result = _grade(Answer(MIXTRAL, "latency"), seconds=PAR_MINUTES["medium"] * 60 * 2)
    assert result.solved and result.total == 80


@pytest.mark.parametrize(
    ("total", "mark"),
    [(100, "A"), (90, "A"), (89, "B"), (75, "B"), (60, "C"), (40, "D"), (39, "F")],
)
def test_letters(total: int, mark: str) -> None:
    assert letter(total) == mark


def test_the_readme_table_states_the_grading_constants() -> None:
    readme = (REPO_ROOT / "docs" / "incidents" / "README.md").read_text()
    assert f"kind and value right | {DIMENSION_POINTS} ({DIMENSION_KIND_ONLY_POINTS} " in readme
    assert f"cause class right | {CAUSE_POINTS} |" in readme
    assert f"up to par | {TIME_POINTS}, then less, 0 at twice par |" in readme
    assert f"each hint taken | -{HINT_PENALTY} |" in readme
    assert f"each earlier wrong answer | -{WRONG_ANSWER_PENALTY} |" in readme
    pars = PAR_MINUTES
    assert (
        f"Par is {pars['easy']:g} minutes for `easy`, {pars['medium']:g} for `medium` and "
        f"{pars['hard']:g} for `hard`"
    ) in " ".join(readme.split())
    marks = ", ".join(f"{mark} from {bound}" for bound, mark in LETTERS[:-1])
    assert marks in " ".join(readme.split())
