"""Interview drills: questions, model answers and the PromQL they rest on, run against the stack.

docs/drills/drills.yaml is the single source. `playground drill` lists the drills;
`playground drill NAME` prints the question and the model answer, runs each of the drill's
queries against the running Prometheus and prints the live result beside the shape the
answer describes (the command is playground/cli/drill.py; this module reads, runs and
renders). The pages in docs/drills/ are generated from the same file:
`python -m playground.teaching.drills --render` (or `--check`).

Queries are written with the realistic profile's windows. Against a stack running the lab
profile they are run with every duration divided by 10, the same transformation that makes
prometheus/rules/lab/ (playground.configs.rule_profiles.scale_text), so the record names match too.
"""

import argparse
import math
import operator
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from playground.configs.rule_profiles import scale_query
from playground.core.clients import PrometheusClient, sample_value
from playground.core.exits import EXIT_FAILED, EXIT_OK
from playground.core.paths import REPO_ROOT
from playground.core.settings import AlertProfile

DRILLS_DIR = REPO_ROOT / "docs" / "drills"
DRILLS_FILE = DRILLS_DIR / "drills.yaml"

Needs = Literal["traffic", "errors", "slow-llm", "fault", "load"]
# What a learner does to make each condition true; printed beside a shape that does not show.
NEEDS_HINTS: dict[str, str] = {
    "traffic": "steady traffic (`playground scenario baseline`, or any load)",
    "errors": "some 5xx (`playground faults preset error-storm`, then `playground faults reset`)",
    "slow-llm": "the slow-llm preset on for a whole window (`playground faults preset slow-llm`)",
    "fault": "a fault preset on (`playground faults preset error-storm`)",
    "load": (
        "Locust running with its metrics scraped (`playground scenario baseline`; past "
        "saturation: docs/labs/06-several-workers.md, section 3)"
    ),
}
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
# Terminal width the printout wraps prose to.
_WIDTH = 96
_COMPARISON = re.compile(r"(==|>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class Expectation:
    """The shape a query's result takes when the drill's answer is right.

    ``empty``, ``nonempty``, ``ratio`` (numbers in [0, 1]) or a comparison such as ``== 1``.
    NaN samples are left out of comparisons; at least one number must remain.
    """

    text: str

    def __post_init__(self) -> None:
        if self.text not in ("empty", "nonempty", "ratio") and not _COMPARISON.fullmatch(self.text):
            raise ValueError(f"unknown expectation {self.text!r}")

    def describe(self) -> str:
        if self.text == "empty":
            return "no sample at all"
        if self.text == "nonempty":
            return "at least one sample"
        if self.text == "ratio":
            return "numbers between 0 and 1"
        return f"every number {self.text}"

    def check(self, values: Sequence[float]) -> tuple[bool, str]:
        """Whether ``values`` (one per sample) have this shape, and if not, why."""
        if self.text == "empty":
            return (not values, f"{len(values)} sample(s)")
        if not values:
            return False, "no sample"
        if self.text == "nonempty":
            return True, ""
        numbers = [value for value in values if not math.isnan(value)]
        if not numbers:
            return False, "every sample is NaN (no data in the window)"
        if self.text == "ratio":
            outside = [value for value in numbers if not 0 <= value <= 1]
            return (not outside, f"outside [0, 1]: {outside[:3]}")
        match = _COMPARISON.fullmatch(self.text)
        assert match is not None
        compare, bound = _COMPARISONS[match.group(1)], float(match.group(2))
        failing = [value for value in numbers if not compare(value, bound)]
        return (not failing, f"not {self.text}: {failing[:3]}")


@dataclass(frozen=True)
class Query:
    title: str
    expr: str
    expect: Expectation
    needs: Needs


@dataclass(frozen=True)
class Evidence:
    """A test case that proves a claim: a file of the repository and the case's name in it."""

    path: str
    case: str


@dataclass(frozen=True)
class NotesPromql:
    """An expression quoted from the design notes, and whether it is valid PromQL at all."""

    expr: str
    parses: bool


@dataclass(frozen=True)
class Correction:
    """Where the design notes are wrong: their claim, what is true, and the proof."""

    claim: str
    correction: str
    evidence: tuple[Evidence, ...]
    notes_promql: tuple[NotesPromql, ...] = ()


@dataclass(frozen=True)
class Drill:
    name: str
    title: str
    source: str
    question: str
    answer: str
    queries: tuple[Query, ...]
    corrections: tuple[Correction, ...]
    evidence: tuple[Evidence, ...]


def _evidence(items: list[dict[str, str]] | None) -> tuple[Evidence, ...]:
    return tuple(Evidence(item["path"], item["case"]) for item in items or [])


def _drill(raw: dict[str, Any]) -> Drill:
    needs_values = get_args(Needs)
    queries = []
    for query in raw["queries"]:
        if query["needs"] not in needs_values:
            raise ValueError(f"{raw['name']}: unknown needs {query['needs']!r}")
        queries.append(
            Query(query["title"], query["expr"], Expectation(query["expect"]), query["needs"])
        )
    corrections = tuple(
        Correction(
            item["claim"],
            item["correction"],
            _evidence(item.get("evidence")),
            tuple(NotesPromql(n["expr"], n["parses"]) for n in item.get("notes_promql", [])),
        )
        for item in raw.get("corrections") or []
    )
    return Drill(
        name=raw["name"],
        title=raw["title"],
        source=raw["source"],
        question=raw["question"].strip(),
        answer=raw["answer"].strip(),
        queries=tuple(queries),
        corrections=corrections,
        evidence=_evidence(raw.get("evidence")),
    )


def load_drills(path: Path = DRILLS_FILE) -> dict[str, Drill]:
    """Every drill of the catalogue, by name, in the catalogue's order.

    Raises:
        ValueError: A drill is malformed (unknown expectation or condition, duplicate name).
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    drills: dict[str, Drill] = {}
    for item in raw["drills"]:
        drill = _drill(item)
        if drill.name in drills:
            raise ValueError(f"two drills are called {drill.name}")
        drills[drill.name] = drill
    return drills


# --- running against the live stack ---------------------------------------------------------


@dataclass(frozen=True)
class QueryResult:
    """One query run live: what ran, what came back, and whether it has the expected shape."""

    query: Query
    expr: str
    samples: tuple[dict[str, Any], ...]
    matches: bool
    why: str


def run_query(prometheus: PrometheusClient, query: Query, profile: AlertProfile) -> QueryResult:
    """Run one query (scaled to ``profile``) and compare its result with the expectation.

    Raises:
        StackApiError: Prometheus refused the query (a parse error) or did not answer.
    """
    expr = scale_query(query.expr, profile)
    samples = tuple(prometheus.query(expr))
    matches, why = query.expect.check([sample_value(s) for s in samples])
    return QueryResult(query, expr, samples, matches, why)


def _format_sample(sample: dict[str, Any]) -> str:
    labels = ", ".join(f'{k}="{v}"' for k, v in sorted(sample["metric"].items()))
    value = sample_value(sample)
    shown = f"{value:.6g}" if not math.isnan(value) else "NaN"
    return f"{{{labels}}} {shown}"


def _indented(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else "" for line in text.splitlines())


def _wrapped(text: str, first: str = "  ", rest: str = "  ") -> str:
    return textwrap.fill(text, width=_WIDTH, initial_indent=first, subsequent_indent=rest)


def format_drill(drill: Drill, results: Sequence[QueryResult] | None, profile: str) -> str:
    """The drill as `playground drill NAME` prints it, live results beside the answer."""
    lines = [f"{drill.name}: {drill.title}  ({drill.source})", "", "Question", ""]
    lines += [_wrapped(drill.question), "", "Model answer", "", _indented(drill.answer), ""]
    lines.append(f"The PromQL it rests on, run live ({profile} profile):")
    for number, query in enumerate(drill.queries, start=1):
        lines += ["", f"{number}. {query.title}"]
        result = results[number - 1] if results else None
        lines.append(_indented(result.expr if result else query.expr, "   "))
        lines.append(f"   expected: {query.expect.describe()}, with {query.needs}")
        if result is None:
            continue
        shown = [_format_sample(s) for s in result.samples[:6]]
        more = len(result.samples) - len(shown)
        lines.append("   live:     " + ("(no data)" if not shown else shown[0]))
        lines += [f"             {line}" for line in shown[1:]]
        if more > 0:
            lines.append(f"             ... and {more} more")
        if result.matches:
            lines.append("   => as the answer says")
        else:
            lines.append(f"   => not yet ({result.why}); needs {NEEDS_HINTS[query.needs]}")
    if drill.corrections:
        lines += ["", "Where the design notes go wrong"]
    for correction in drill.corrections:
        lines += ["", _wrapped(correction.claim, "  Claim: ", "         ")]
        lines.append(_wrapped(correction.correction, "  True:  ", "         "))
        lines += [_indented(f"Proof: {e.path}: {e.case}") for e in correction.evidence]
    if drill.evidence:
        lines += ["", "Tested by"]
        lines += [_indented(f"{e.path}: {e.case}") for e in drill.evidence]
    return "\n".join(lines)


# --- the generated pages ---------------------------------------------------------------------

_GENERATED = (
    "<!-- GENERATED from docs/drills/drills.yaml by "
    "`python -m playground.teaching.drills --render`; edit the YAML. -->"
)


def _link(evidence: Evidence) -> str:
    return f"[`{evidence.path}`](../../{evidence.path}): {evidence.case}"


def render_drill(drill: Drill) -> str:
    """One drill's page in docs/drills/."""
    parts = [_GENERATED, "", f"# {drill.title}", "", f"*Source: {drill.source}.*", ""]
    parts += ["## Question", "", drill.question, "", "## Model answer", "", drill.answer, ""]
    parts += [
        "## The PromQL it rests on",
        "",
        f"Run them live with `playground drill {drill.name}` (against the lab profile every "
        "duration is divided by 10).",
        "",
    ]
    for query in drill.queries:
        parts += [f"**{query.title}**: expect {query.expect.describe()}, with {query.needs}.", ""]
        parts += ["```promql", query.expr, "```", ""]
    if drill.corrections:
        parts += ["## Where the design notes go wrong", ""]
        for correction in drill.corrections:
            parts += [f"> {correction.claim}", "", correction.correction, ""]
            for notes in correction.notes_promql:
                verdict = "parses" if notes.parses else "does not parse"
                parts += [f"The notes' expression {verdict}: `{notes.expr}`", ""]
            if correction.evidence:
                parts += ["Evidence:", ""]
                parts += [f"- {_link(e)}" for e in correction.evidence]
                parts.append("")
    if drill.evidence:
        parts += ["## Tested by", ""]
        parts += [f"- {_link(e)}" for e in drill.evidence]
        parts.append("")
    return "\n".join(parts)


def render_index(drills: dict[str, Drill]) -> str:
    """docs/drills/README.md: every drill, one line each."""
    rows = [
        f"| [{d.name}]({d.name}.md) | {d.question} | {d.source} | "
        f"{'yes' if d.corrections else ''} |"
        for d in drills.values()
    ]
    return "\n".join(
        [
            _GENERATED,
            "",
            "# Interview drills",
            "",
            "Each drill is a question an interviewer asks about this stack, a model answer, and",
            "the PromQL the answer rests on. `playground drill` lists them; `playground drill",
            "NAME` runs the drill's queries against the running stack and prints each live",
            "result beside the shape the answer describes. Where the design notes",
            "(`instrumentation-notes.txt`) are wrong, the drill says so and points to the test",
            "that proves it.",
            "",
            "| drill | question | source | corrects the notes |",
            "|---|---|---|---|",
            *rows,
            "",
            "`tests/playground/teaching/drills` checks that every drill is complete, that its "
            "PromQL parses and that",
            "every piece of evidence exists; `tests/e2e/test_drills_live.py` runs every query on",
            "the live stack, after a short load with faults, and checks its shape.",
            "",
        ]
    )


def rendered_pages(drills: dict[str, Drill] | None = None) -> dict[Path, str]:
    """Every generated page and its content."""
    drills = drills if drills is not None else load_drills()
    pages = {DRILLS_DIR / "README.md": render_index(drills)}
    pages.update({DRILLS_DIR / f"{name}.md": render_drill(d) for name, d in drills.items()})
    return pages


def stale_pages() -> list[str]:
    """Generated pages that differ from what the YAML says (names relative to the repo)."""
    return [
        str(path.relative_to(REPO_ROOT))
        for path, content in rendered_pages().items()
        if not path.is_file() or path.read_text(encoding="utf-8") != content
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m playground.teaching.drills --render|--check`: the pages in docs/drills/."""
    parser = argparse.ArgumentParser(prog="python -m playground.teaching.drills")
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is out of date")
    parser.add_argument("--render", action="store_true", help="write the pages")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_pages()
        for name in stale:
            print(f"out of date: {name}", file=sys.stderr)
        return EXIT_FAILED if stale else EXIT_OK
    if not args.render:
        parser.error("give --render or --check")
    for path, content in rendered_pages().items():
        path.write_text(content, encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
