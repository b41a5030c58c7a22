"""`playground incident`: list, start, hint, answer, stop (the game is incidents/game.py).

Wire it into the CLI with ``add_incident_parser(commands)`` beside the other subcommands.
"""

import argparse
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import get_args

from demo_app.labels import MODELS
from demo_app.paths import API_ROUTES
from playground.cli.options import add_target_options, resolve_target
from playground.core.errors import PlaygroundError
from playground.core.exits import EXIT_FAILED, EXIT_OK
from playground.core.settings import PlaygroundSettings
from playground.core.signals import signals_as_interrupts
from playground.teaching.incidents.catalogue import (
    CAUSES,
    DIFFICULTIES,
    DIMENSION_KINDS,
    Cause,
    Dimension,
    DimensionKind,
    choose,
    load_catalogue,
)
from playground.teaching.incidents.game import (
    INCIDENTS_RESULTS,
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


def _say(line: str) -> None:
    print(line, flush=True)


def cmd_list(_settings: PlaygroundSettings, args: argparse.Namespace) -> int:
    catalogue = load_catalogue()
    for incident in catalogue.incidents:
        if args.difficulty and incident.difficulty != args.difficulty:
            continue
        how = "alerts" if incident.announce.alerts else "customer report"
        targets = "" if len(incident.targets) == 2 else f" [{', '.join(incident.targets)} only]"
        print(f"{incident.name:<24} {incident.difficulty:<7} {how:<16} {incident.title}{targets}")
    return EXIT_OK


def cmd_start(settings: PlaygroundSettings, args: argparse.Namespace) -> int:
    target = resolve_target(settings, args)
    catalogue = load_catalogue()
    # Printed with the game, so the same pick can be played again with --seed.
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    try:
        incident = choose(catalogue, seed, args.name, args.difficulty, args.target)
    except KeyError:
        raise PlaygroundError(
            f"No incident {args.name!r}; `playground incident list` shows them."
        ) from None
    except LookupError as exc:
        raise PlaygroundError(str(exc)) from None
    if args.target not in incident.targets:
        raise PlaygroundError(f"{incident.name} runs on {', '.join(incident.targets)} only.")
    game = Game(
        incident,
        seed,
        args.difficulty,
        target,
        settings.PLAYGROUND_RUN_DIR,
        results_root=args.results,
        warmup=args.warmup,
        max_seconds=args.max_minutes * 60,
        say=_say,
    )
    with signals_as_interrupts():
        state = game.run()
    return EXIT_OK if state.status == "solved" else EXIT_FAILED


def cmd_hint(settings: PlaygroundSettings, _args: argparse.Namespace) -> int:
    number, total, text = take_hint(settings.PLAYGROUND_RUN_DIR)
    if text is None:
        print("This incident has no hints.")
        return EXIT_OK
    print(f"hint {number} of {total} (-10 points each): {text}")
    if number == total:
        print("That was the last hint.")
    return EXIT_OK


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


def _answer_from(args: argparse.Namespace) -> Answer:
    kind = _given_or_asked(
        args.dimension, "--dimension", lambda: _ask("Which dimension is failing?", DIMENSION_KINDS)
    )
    value = None
    if kind != "none":
        value = _given_or_asked(args.value, "--value", lambda: _value_prompt(kind))
    cause = _given_or_asked(args.cause, "--cause", lambda: _ask("What kind of cause?", CAUSES))
    notes = args.notes
    if notes is None:
        notes = input("Notes (optional, one line): ").strip() if sys.stdin.isatty() else ""
    try:
        dimension = Dimension(kind=kind, value=value)  # type: ignore[arg-type]
    except ValueError as exc:
        raise PlaygroundError(f"Not a dimension: {exc}") from None
    return Answer(dimension=dimension, cause=cause, notes=notes)  # type: ignore[arg-type]


def cmd_answer(settings: PlaygroundSettings, args: argparse.Namespace) -> int:
    run_dir = settings.PLAYGROUND_RUN_DIR
    running_game(run_dir)  # fail before asking anything
    answer = _answer_from(args)
    result, state = submit_answer(run_dir, answer)
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


def cmd_stop(settings: PlaygroundSettings, _args: argparse.Namespace) -> int:
    debrief = stop_game(settings.PLAYGROUND_RUN_DIR, _say)
    if debrief is not None:
        print("\nGiven up. The debrief:\n")
        print(format_debrief(debrief))
    return EXIT_OK


def add_incident_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add `incident` to the `playground` command's subcommands."""
    parser = subparsers.add_parser(
        "incident",
        help="a graded on-call game: a hidden fault, a page, your diagnosis, a debrief",
        description="See docs/incidents/README.md.",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="the incidents of the catalogue")
    listing.add_argument("--difficulty", choices=DIFFICULTIES)
    listing.set_defaults(handler=cmd_list)

    start = actions.add_parser(
        "start", help="start a game (stays in the foreground; answer from another terminal)"
    )
    start.add_argument("name", nargs="?", help="an incident's name; default: a seeded random pick")
    start.add_argument("--seed", type=int, default=None, help="default: a random seed, printed")
    start.add_argument("--difficulty", choices=DIFFICULTIES)
    add_target_options(start)
    start.add_argument(
        "--warmup", type=float, default=None, metavar="S", help="healthy load before the fault"
    )
    start.add_argument("--max-minutes", type=float, default=60.0, help="default 60")
    start.add_argument("--results", type=Path, default=INCIDENTS_RESULTS, metavar="DIR")
    start.set_defaults(handler=cmd_start)

    hint = actions.add_parser("hint", help="the next hint (10 points each)")
    hint.set_defaults(handler=cmd_hint)

    answer = actions.add_parser("answer", help="your diagnosis; asks for what the flags leave out")
    answer.add_argument("--dimension", choices=get_args(DimensionKind))
    answer.add_argument(
        "--value",
        help="which model, handler, status class or replica (its `instance` label)",
    )
    answer.add_argument("--cause", choices=get_args(Cause))
    answer.add_argument("--notes")
    answer.set_defaults(handler=cmd_answer)

    stop = actions.add_parser("stop", help="give up (debrief) or clean up: faults reset")
    stop.set_defaults(handler=cmd_stop)
    return parser
