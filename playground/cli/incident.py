"""`playground incident`: list, start, hint, answer, stop (the game is incidents/game.py)."""

import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from demo_app.labels import MODELS
from demo_app.paths import API_ROUTES
from playground.cli.options import (
    TargetOptions,
    folder_default,
    load_settings,
    resolve_target,
    with_target_options,
)
from playground.core.errors import PlaygroundError
from playground.core.exits import EXIT_FAILED, EXIT_OK
from playground.core.signals import signals_as_interrupts
from playground.teaching.incidents.catalogue import (
    CAUSES,
    DIMENSION_KINDS,
    Cause,
    Difficulty,
    Dimension,
    DimensionKind,
    choose,
    load_catalogue,
)
from playground.teaching.incidents.game import (
    INCIDENTS_RESULTS,
    MAX_GAME_SECONDS,
    Game,
    conclude,
    format_debrief,
    running_game,
    stop_game,
    submit_answer,
    take_hint,
)
from playground.teaching.incidents.grading import Answer

# Suggested values for the interactive prompt (any value can be typed).
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "model": MODELS,
    "handler": API_ROUTES,
    "status_class": ("4xx", "5xx"),
}


app = typer.Typer(
    name="incident",
    help="See docs/incidents/README.md.",
    short_help="a graded on-call game: a hidden fault, a page, your diagnosis, a debrief",
)

DifficultyOption = Annotated[Difficulty | None, typer.Option()]


def _say(line: str) -> None:
    print(line, flush=True)


@app.command("list", short_help="the incidents of the catalogue")
def list_incidents(difficulty: DifficultyOption = None) -> None:
    load_settings()  # a bad setting is reported as by every command
    catalogue = load_catalogue()
    for incident in catalogue.incidents:
        if difficulty and incident.difficulty != difficulty:
            continue
        how = "alerts" if incident.announce.alerts else "customer report"
        targets = "" if len(incident.targets) == 2 else f" [{', '.join(incident.targets)} only]"
        print(f"{incident.name:<24} {incident.difficulty:<7} {how:<16} {incident.title}{targets}")


@app.command(short_help="start a game (stays in the foreground; answer from another terminal)")
@with_target_options
def start(
    name: Annotated[
        str | None,
        typer.Argument(help="an incident's name; default: a seeded random pick"),
    ] = None,
    *,
    target: TargetOptions,
    # parser=int and float: Python's int() and float(), as argparse's types were.
    seed: Annotated[
        int | None, typer.Option(parser=int, help="default: a random seed, printed")
    ] = None,
    difficulty: DifficultyOption = None,
    warmup: Annotated[
        float | None,
        typer.Option(parser=float, metavar="S", help="healthy load before the fault"),
    ] = None,
    max_minutes: Annotated[float, typer.Option(parser=float)] = MAX_GAME_SECONDS / 60,
    results: Annotated[
        Path, typer.Option(metavar="DIR", show_default=folder_default(INCIDENTS_RESULTS))
    ] = INCIDENTS_RESULTS,
) -> int:
    settings = load_settings(target.profile)
    resolved = resolve_target(settings, target)
    catalogue = load_catalogue()
    # Printed with the game, so the same pick can be played again with --seed.
    seed = seed if seed is not None else random.SystemRandom().randrange(1_000_000)
    try:
        incident = choose(catalogue, seed, name, difficulty, target.target)
    except KeyError:
        raise PlaygroundError(
            f"No incident {name!r}; `playground incident list` shows them."
        ) from None
    except LookupError as exc:
        raise PlaygroundError(str(exc)) from None
    if target.target not in incident.targets:
        raise PlaygroundError(f"{incident.name} runs on {', '.join(incident.targets)} only.")
    game = Game(
        incident,
        seed,
        difficulty,
        resolved,
        settings.PLAYGROUND_RUN_DIR,
        results_root=results,
        warmup=warmup,
        max_seconds=max_minutes * 60,
        say=_say,
    )
    with signals_as_interrupts():
        state = game.run()
    return EXIT_OK if state.status == "solved" else EXIT_FAILED


@app.command(short_help="the next hint (10 points each)")
def hint() -> None:
    number, total, text = take_hint(load_settings().PLAYGROUND_RUN_DIR)
    if text is None:
        print("This incident has no hints.")
        return
    print(f"hint {number} of {total} (-10 points each): {text}")
    if number == total:
        print("That was the last hint.")


def _ask(question: str, choices: tuple[str, ...]) -> str:
    for number, choice in enumerate(choices, 1):
        print(f"  {number}. {choice}")
    while True:
        reply = input(f"{question} [1-{len(choices)}]: ").strip()
        if reply.isdigit() and 1 <= int(reply) <= len(choices):
            return choices[int(reply) - 1]
        if reply in choices:
            return reply
        print("  pick a number from the list")


def _given_or_asked(given: str | None, flag: str, ask: Callable[[], str]) -> str:
    """The flag's value, else the reply to a prompt; without a terminal, an error."""
    if given is not None:
        return given
    if not sys.stdin.isatty():
        raise PlaygroundError(f"Give {flag} (there is no terminal to ask in).")
    return ask()


def _value_prompt(kind: str) -> str:
    suggestions = SUGGESTIONS.get(kind, ())
    examples = f" (e.g. {', '.join(suggestions)})" if suggestions else ""
    if kind == "replica":
        examples = " (its `instance` label in Prometheus, e.g. 172.18.0.5:8000)"
    return input(f"Which {kind}{examples}? ").strip()


def _answer_from(
    dimension: str | None, value: str | None, cause: str | None, notes: str | None
) -> Answer:
    """The answer the flags give, the rest asked for at the terminal."""
    kind = _given_or_asked(
        dimension, "--dimension", lambda: _ask("Which dimension is failing?", DIMENSION_KINDS)
    )
    if kind != "none":
        value = _given_or_asked(value, "--value", lambda: _value_prompt(kind))
    else:
        value = None
    cause = _given_or_asked(cause, "--cause", lambda: _ask("What kind of cause?", CAUSES))
    if notes is None:
        notes = input("Notes (optional, one line): ").strip() if sys.stdin.isatty() else ""
    try:
        failing = Dimension(kind=kind, value=value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise PlaygroundError(f"Not a dimension: {exc}") from None
    return Answer(dimension=failing, cause=cause, notes=notes)  # type: ignore[arg-type]


@app.command(short_help="your diagnosis; asks for what the flags leave out")
def answer(
    dimension: Annotated[DimensionKind | None, typer.Option()] = None,
    value: Annotated[
        str | None,
        typer.Option(help="which model, handler, status class or replica (its `instance` label)"),
    ] = None,
    cause: Annotated[Cause | None, typer.Option()] = None,
    notes: Annotated[str | None, typer.Option()] = None,
) -> int:
    run_dir = load_settings().PLAYGROUND_RUN_DIR
    running_game(run_dir)  # fail before asking anything
    given = _answer_from(dimension, value, cause, notes)
    result, state = submit_answer(run_dir, given)
    print(
        f"dimension: {result.dimension_verdict} (+{result.dimension_points})\n"
        f"cause:     {result.cause_verdict} (+{result.cause_points})\n"
        f"time:      +{result.time_points} ({result.seconds_to_answer:.0f} s from the page)\n"
        f"hints:     -{result.hint_penalty}\n"
        f"earlier wrong answers: -{result.wrong_answer_penalty}\n"
        f"grade:     {result.total} / 100 ({result.letter})"
    )
    if not result.solved:
        print(
            "Not solved yet: look again, take a hint (`playground incident hint`), or answer again."
        )
        return EXIT_FAILED
    debrief = conclude(run_dir, "solved", "solved")
    print("\nSolved. The debrief:\n")
    if debrief is not None:
        print(format_debrief(debrief))
    print(f"kept in {state.folder}/attempt.md and attempt.json")
    return EXIT_OK


@app.command(short_help="give up (debrief) or clean up: faults reset")
def stop() -> None:
    debrief = stop_game(load_settings().PLAYGROUND_RUN_DIR, _say)
    if debrief is not None:
        print("\nGiven up. The debrief:\n")
        print(format_debrief(debrief))
