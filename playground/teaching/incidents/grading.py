"""Grading one answer to an incident: each part of the diagnosis, the time taken, the hints.

    points  part
    40      the failing dimension: its kind and its value (15 for the right kind alone)
    40      the cause class
    20      time: full marks up to the difficulty's par, then less, down to 0 at twice it
    -10     per hint taken
    -5      per earlier wrong answer to the same incident

The total is kept between 0 and 100. Only an answer with both the dimension and the cause
right solves the incident. A replica may be named by any name it goes by (its `instance`
label, that label's host, or its DEMO_APP_REPLICA name). Time is counted from the page (the
first notification, or the customer report), as on call: nobody is graded for the minutes
before they were told.
"""

from dataclasses import asdict, dataclass
from typing import Any

from playground.teaching.incidents.catalogue import Cause, Diagnosis, Difficulty, Dimension

DIMENSION_POINTS = 40
DIMENSION_KIND_ONLY_POINTS = 15
CAUSE_POINTS = 40
TIME_POINTS = 20
HINT_PENALTY = 10
WRONG_ANSWER_PENALTY = 5
# Minutes from the page to a right answer that still earn every time point.
PAR_MINUTES: dict[Difficulty, float] = {"easy": 5.0, "medium": 10.0, "hard": 15.0}
LETTERS = ((90, "A"), (75, "B"), (60, "C"), (40, "D"), (0, "F"))


@dataclass(frozen=True)
class Answer:
    """What the learner says: where it fails, why, and free notes (kept, not graded)."""

    dimension: Dimension
    cause: Cause
    notes: str = ""


@dataclass(frozen=True)
class Grade:
    dimension_points: int
    dimension_verdict: str
    cause_points: int
    cause_verdict: str
    time_points: int
    seconds_to_answer: float
    hint_penalty: int
    wrong_answer_penalty: int
    total: int
    letter: str
    solved: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").strip().lower() == (b or "").strip().lower()


def grade_dimension(
    given: Dimension, right: Dimension, also: tuple[str, ...] = ()
) -> tuple[int, str]:
    """Points for the dimension; ``also``: other names the right value goes by."""
    if given.kind != right.kind:
        return 0, f"wrong: not a {given.kind} problem"
    if right.kind == "none" or any(_same(given.value, v) for v in (right.value, *also)):
        return DIMENSION_POINTS, "right"
    return DIMENSION_KIND_ONLY_POINTS, f"right kind ({right.kind}), wrong {right.kind}"


def time_points(seconds: float, difficulty: Difficulty) -> int:
    """Full marks up to par, falling linearly to 0 at twice par."""
    par = PAR_MINUTES[difficulty] * 60
    if seconds <= par:
        return TIME_POINTS
    return max(0, round(TIME_POINTS * (2 - seconds / par)))


def letter(total: int) -> str:
    return next(mark for bound, mark in LETTERS if total >= bound)


def grade(
    answer: Answer,
    right: Diagnosis,
    difficulty: Difficulty,
    seconds_to_answer: float,
    hints_used: int,
    wrong_before: int,
    also: tuple[str, ...] = (),
) -> Grade:
    """Grade one answer. Time points only count for an answer that solves the incident.

    ``also``: other names the right dimension's value goes by (a replica's).
    """
    dimension_points, dimension_verdict = grade_dimension(answer.dimension, right.dimension, also)
    cause_right = answer.cause == right.cause
    cause_points = CAUSE_POINTS if cause_right else 0
    solved = dimension_points == DIMENSION_POINTS and cause_right
    clock = time_points(seconds_to_answer, difficulty) if solved else 0
    hint_penalty = HINT_PENALTY * hints_used
    wrong_penalty = WRONG_ANSWER_PENALTY * wrong_before
    total = dimension_points + cause_points + clock - hint_penalty - wrong_penalty
    total = max(0, min(100, total))
    return Grade(
        dimension_points=dimension_points,
        dimension_verdict=dimension_verdict,
        cause_points=cause_points,
        cause_verdict="right" if cause_right else f"wrong: not {answer.cause}",
        time_points=clock,
        seconds_to_answer=round(seconds_to_answer, 1),
        hint_penalty=hint_penalty,
        wrong_answer_penalty=wrong_penalty,
        total=total,
        letter=letter(total),
        solved=solved,
    )
