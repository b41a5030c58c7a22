"""The incident game on a running stack: start, page, hint, answer, debrief, stop.

    playground incident start     # foreground: Locust, the hidden fault, the page, the clock
    playground incident hint      # from a second terminal: the next hint (-10 points)
    playground incident answer    # the dimension, the cause, notes; graded at once
    playground incident stop      # give up or clean up: Locust stopped, faults reset

The state lives in <run dir>/incident/state.json, written atomically under a lock, so the
commands of a second terminal see and change the same game. `start` stays in the
foreground: it owns Locust (a child that exits with it) and, when the game ends (a right
answer, `stop`, Ctrl-C or the time limit), stops Locust and resets the faults. `stop`
resets the faults itself too, so a game whose foreground died is still cleaned up.

Every attempt is written to results/incidents/<time>/attempt.json and attempt.md. The
folder name does not say which incident it is, so listing results/ gives nothing away.
"""

import contextlib
import fcntl
import json
import math
import os
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from loadtest.scenarios import SCENARIOS, PhaseLengths
from playground.configs.rule_profiles import scale_query
from playground.core.clients import (
    DemoAppAdminClient,
    PrometheusClient,
    ReceiverClient,
    StackApiError,
    sample_value,
)
from playground.core.errors import PlaygroundError
from playground.native.processes import process_start_ticks
from playground.scenarios.locust_run import LocustRun
from playground.scenarios.plan import RESULTS_DIR
from playground.scenarios.runner import Target
from playground.teaching.drills import Expectation
from playground.teaching.incidents.catalogue import (
    ChosenReplica,
    Evidence,
    Incident,
    load_catalogue,
)
from playground.teaching.incidents.grading import Answer, Grade, grade
from playground.teaching.incidents.replicas import choose_live_replica

INCIDENTS_RESULTS = RESULTS_DIR / "incidents"
# A game ends by itself after this long (Locust stops, the faults are reset).
MAX_GAME_SECONDS = 3600.0
# Before the fault: healthy load fills the rules' rate windows, as a scenario's warmup does.
WARMUP_SCENARIO = "error-storm"
Status = Literal["running", "solved", "stopped"]
Say = Callable[[str], None]
_WIDTH = 92


class AnswerRecord(BaseModel):
    at: float
    dimension_kind: str
    dimension_value: str | None
    cause: str
    notes: str
    grade: dict[str, Any]


class GameState(BaseModel):
    """What a second terminal needs: the incident, the target, the clock, hints and answers."""

    incident: str
    seed: int
    # The replica the game broke, for an incident that breaks one of several.
    replica: ChosenReplica | None = None
    difficulty: str | None
    target: dict[str, str | int | None]
    admin_token: str
    folder: str
    started_at: float
    fault_on_at: float | None = None
    paged_at: float | None = None
    page: str | None = None
    hints_used: int = 0
    answers: list[AnswerRecord] = Field(default_factory=list)
    status: Status = "running"
    ended_at: float | None = None
    runner_pid: int
    runner_start_ticks: int | None
    faults_reset: bool = False

    def target_obj(self) -> Target:
        return Target(**self.target, admin_token=self.admin_token)

    def runner_alive(self) -> bool:
        ticks = process_start_ticks(self.runner_pid)
        return ticks is not None and ticks == self.runner_start_ticks

    def clock_start(self) -> float:
        """When the learner was told: the page, or the fault's start before any page."""
        return self.paged_at or self.fault_on_at or self.started_at

    def incident_played(self) -> Incident:
        """The catalogue's entry, with the replica the game chose put in (if it chose one)."""
        return load_catalogue().by_name()[self.incident].resolved(self.replica)


# --- the state file -------------------------------------------------------------------------


def game_dir(run_dir: Path) -> Path:
    return run_dir / "incident"


def load_state(run_dir: Path) -> GameState | None:
    path = game_dir(run_dir) / "state.json"
    try:
        return GameState.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def _locked(run_dir: Path) -> Iterator[None]:
    directory = game_dir(run_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "state.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _write(run_dir: Path, state: GameState) -> None:
    directory = game_dir(run_dir)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".state-")
    # 0600: the state holds demo_app's admin token, like .run/admin-token.
    with os.fdopen(descriptor, "w") as file:
        file.write(state.model_dump_json(indent=2))
    os.replace(temporary, directory / "state.json")


def update_state(run_dir: Path, change: Callable[[GameState], None]) -> GameState:
    """Read, change and write the state under the lock; the changed state."""
    with _locked(run_dir):
        state = load_state(run_dir)
        if state is None:
            raise PlaygroundError(
                "No incident game here: start one with `playground incident start`."
            )
        change(state)
        _write(run_dir, state)
        return state


# --- evidence, timeline, page ---------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceResult:
    title: str
    expr: str
    samples: list[tuple[dict[str, str], float]]
    ok: bool
    why: str


def evaluate_evidence(
    prometheus: PrometheusClient, evidence: Evidence, profile: str
) -> EvidenceResult:
    """Run one evidence query (scaled to the profile) and check it picks what it should."""
    expr = scale_query(evidence.expr, profile)  # type: ignore[arg-type]
    try:
        raw = prometheus.query(expr)
    except StackApiError as exc:
        return EvidenceResult(evidence.title, expr, [], False, f"query failed: {exc}")
    samples = sorted(
        ((sample["metric"], sample_value(sample)) for sample in raw),
        key=lambda item: -item[1] if not math.isnan(item[1]) else math.inf,
    )
    if evidence.expect is not None:
        ok, why = Expectation(evidence.expect).check([value for _, value in samples])
        return EvidenceResult(evidence.title, expr, samples, ok, "" if ok else why)
    assert evidence.top is not None
    numbers = [(labels, value) for labels, value in samples if not math.isnan(value)]
    if not numbers:
        return EvidenceResult(evidence.title, expr, samples, False, "no sample")
    labels = numbers[0][0]
    ok = all(labels.get(key) == value for key, value in evidence.top.items())
    shown = {key: labels.get(key) for key in evidence.top}
    return EvidenceResult(evidence.title, expr, samples, ok, "" if ok else f"top is {shown}")


@dataclass(frozen=True)
class TimelineEntry:
    at: float
    alertname: str
    status: str
    severity: str


def alert_timeline(receiver: ReceiverClient, since: float) -> list[TimelineEntry]:
    """Every alert status the receiver was notified of since ``since``, oldest first."""
    notes = receiver.notifications(since=datetime.fromtimestamp(since, UTC), limit=500)
    entries = []
    for note in reversed(notes):
        at = datetime.fromisoformat(note["received_at"]).timestamp()
        for alert in note.get("alerts", []):
            labels = alert.get("labels", {})
            entries.append(
                TimelineEntry(
                    at, labels.get("alertname", "?"), alert["status"], labels.get("severity", "")
                )
            )
    return entries


def first_firing(receiver: ReceiverClient, since: float) -> tuple[float, dict[str, Any]] | None:
    """The first firing notification received since ``since``: when, and the notification."""
    notes = receiver.notifications(status="firing", since=datetime.fromtimestamp(since, UTC))
    if not notes:
        return None
    first = notes[-1]  # newest first
    return datetime.fromisoformat(first["received_at"]).timestamp(), first


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(0, int(seconds)), 60)
    return f"{minutes}m {rest:02d}s"


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S UTC")


def format_page(notification: dict[str, Any], received: float, fault_on: float) -> str:
    bar = "=" * 60
    lines = [bar, "  PAGE  " + f"received {_stamp(received)}", bar]
    for alert in notification.get("alerts", []):
        if alert["status"] != "firing":
            continue
        labels, notes = alert.get("labels", {}), alert.get("annotations", {})
        lines.append(
            f"  FIRING  {labels.get('alertname', '?')}  severity={labels.get('severity', '?')}"
        )
        for key in ("summary", "description"):
            if notes.get(key):
                lines += textwrap.wrap(
                    notes[key], _WIDTH - 4, initial_indent="    ", subsequent_indent="    "
                )
        if notes.get("runbook_url"):
            lines.append(f"    runbook: {notes['runbook_url']}")
    lines += [f"  ({_clock(received - fault_on)} after the incident began)", bar]
    return "\n".join(lines)


def format_report(report: str, at: float) -> str:
    bar = "=" * 60
    body = textwrap.wrap(report, _WIDTH - 4, initial_indent="  ", subsequent_indent="  ")
    return "\n".join([bar, f"  CUSTOMER REPORT  {_stamp(at)}", bar, *body, bar])


NEXT_STEPS = """Investigate with Prometheus, Grafana and the receiver. From another terminal:
  playground incident hint      the next hint (costs 10 points)
  playground incident answer    the failing dimension and the cause (graded at once)
  playground incident stop      give up, see the debrief, and clean up"""


# --- the game in the foreground -------------------------------------------------------------


class Game:
    """One game, run by `playground incident start` in the foreground.

    Args:
        incident: The incident to play.
        seed: The seed that picked it (kept in the record).
        difficulty: The difficulty asked for, if any.
        target: Where the stack answers.
        run_dir: Where the state lives (the stack's run folder).
        results_root: Where attempts are written. Defaults to results/incidents.
        warmup: Seconds of healthy load before the fault. Defaults to the warmup of the
            profile's scenarios (loadtest/scenarios.py).
        max_seconds: The game ends by itself after this long. Defaults to MAX_GAME_SECONDS.
        say: Receives each line of output. Defaults to print.
        poll_interval: Seconds between looks at the receiver and the state.
    """

    def __init__(
        self,
        incident: Incident,
        seed: int,
        difficulty: str | None,
        target: Target,
        run_dir: Path,
        results_root: Path = INCIDENTS_RESULTS,
        warmup: float | None = None,
        max_seconds: float = MAX_GAME_SECONDS,
        say: Say | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self.incident = incident
        self.seed = seed
        self.difficulty = difficulty
        self.target = target
        self.run_dir = run_dir
        self.results_root = results_root
        scenario = SCENARIOS[WARMUP_SCENARIO]
        self.warmup = scenario.lengths[target.profile].warmup if warmup is None else warmup  # type: ignore[index]
        self.max_seconds = max_seconds
        self.say = say or (lambda line: print(line, flush=True))
        self.poll_interval = poll_interval
        self.admin = DemoAppAdminClient(target.demo_app, target.admin_token)
        self.receiver = ReceiverClient(target.alert_receiver)
        self.prometheus = PrometheusClient(target.prometheus)
        self.locust: LocustRun | None = None

    def _check_stack(self) -> None:
        parts = [
            ("demo_app", self.admin),
            ("Prometheus", self.prometheus),
            ("receiver", self.receiver),
        ]
        down = [name for name, client in parts if not client.is_ready()]
        if down:
            raise PlaygroundError(
                f"The stack is not up ({', '.join(down)} not answering). Start it first "
                "(`playground up`, or `docker compose up -d` with --target compose)."
            )
        try:
            self.admin.reset()
        except StackApiError as exc:
            raise PlaygroundError(f"demo_app's admin API refused the token: {exc}") from None

    def _choose_replica(self) -> ChosenReplica | None:
        """For an incident that breaks one replica of several: which, from the live stack."""
        if not self.incident.chooses_replica:
            return None
        chosen = choose_live_replica(self.prometheus, self.seed)
        self.incident = self.incident.resolved(chosen)
        return chosen

    def _claim(self, replica: ChosenReplica | None) -> GameState:
        """Write the new state, unless a game is already running here."""
        with _locked(self.run_dir):
            current = load_state(self.run_dir)
            if current is not None and current.status == "running" and current.runner_alive():
                raise PlaygroundError(
                    f"An incident game is already running (pid {current.runner_pid}). "
                    "Answer it, or end it with `playground incident stop`."
                )
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            folder = self.results_root / stamp
            folder.mkdir(parents=True, exist_ok=True)
            target = asdict(self.target)
            token = target.pop("admin_token")
            state = GameState(
                incident=self.incident.name,
                seed=self.seed,
                replica=replica,
                difficulty=self.difficulty,
                target=target,
                admin_token=token,
                folder=str(folder),
                started_at=time.time(),
                runner_pid=os.getpid(),
                runner_start_ticks=process_start_ticks(os.getpid()),
            )
            _write(self.run_dir, state)
            return state

    def run(self) -> GameState:
        """Play until the game ends; always stops Locust and resets the faults."""
        self._check_stack()
        state = self._claim(self._choose_replica())
        folder = Path(state.folder)
        say = self.say
        level = self.incident.difficulty
        say(
            f"incident game (seed {self.seed}, {level}) on the {self.target.name} stack, "
            f"{self.target.profile} profile; results in {folder}"
        )
        try:
            lengths = PhaseLengths(steady=self.warmup + self.max_seconds)
            self.locust = LocustRun(
                folder,
                "baseline",
                lengths,
                self.target.demo_app,
                self.target.profile,
                # Prometheus scrapes the client's view too (the `locust` job), where it can.
                metrics_port=self.target.locust_metrics_port,
            )
            self.locust.start()
            self.locust.wait_for_shape()
            say(
                f"Locust is sending steady traffic; the incident begins within {self.warmup:.0f} s."
            )
            self._wait(self.warmup)
            self.admin.set_faults({**self.incident.fault, "hidden": True})
            fault_on = time.time()
            update_state(self.run_dir, lambda s: setattr(s, "fault_on_at", fault_on))
            say(f"[{_stamp(fault_on)}] the clock runs. Waiting for the page...")
            state = self._play(fault_on)
        except KeyboardInterrupt:
            say("interrupted; cleaning up")
            conclude(self.run_dir, "stopped", "interrupted")
            state = load_state(self.run_dir) or state
        finally:
            self._clean_up()
        return state

    def _wait(self, seconds: float) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            self._check_locust()
            time.sleep(min(self.poll_interval, max(0.0, deadline - time.time())))

    def _check_locust(self) -> None:
        assert self.locust is not None
        if not self.locust.is_running():
            raise PlaygroundError(f"Locust stopped.\n{self.locust.master.log_excerpt()}")

    def _play(self, fault_on: float) -> GameState:
        announce = self.incident.announce
        deadline = fault_on + self.max_seconds
        paged = False
        while True:
            state = load_state(self.run_dir)
            if state is None or state.status != "running":
                break
            now = time.time()
            if not paged:
                paged = self._page(
                    fault_on, now, announce.customer_report, announce.report_after_seconds
                )
            ended = None
            if now > deadline:
                ended = "time is up"
            elif self.locust is not None and not self.locust.is_running():
                ended = "Locust stopped"
            if ended is not None:
                self.say(f"{ended}; ending the game")
                conclude(self.run_dir, "stopped", ended)
                continue
            time.sleep(self.poll_interval)
        assert state is not None
        if state.status == "solved":
            final = state.answers[-1].grade
            self.say(f"solved: {final['total']} points ({final['letter']}); cleaning up")
        else:
            self.say("the game was stopped; cleaning up")
        return state

    def _page(self, fault_on: float, now: float, report: str | None, after: float) -> bool:
        if report is not None:
            if now < fault_on + after:
                return False
            text, at = format_report(report, now), now
        else:
            try:
                found = first_firing(self.receiver, fault_on)
            except StackApiError:
                return False
            if found is None:
                return False
            at, notification = found
            text = format_page(notification, at, fault_on)

        def record(state: GameState) -> None:
            state.paged_at, state.page = at, text

        update_state(self.run_dir, record)
        self.say(f"\n{text}\n\n{NEXT_STEPS}\n")
        return True

    def _clean_up(self) -> None:
        if self.locust is not None:
            with contextlib.suppress(Exception):
                self.locust.stop()
        reset_faults(self.run_dir, self.admin, self.say)
        for client in (self.admin, self.receiver, self.prometheus):
            client.close()


def reset_faults(run_dir: Path, admin: DemoAppAdminClient, say: Say) -> None:
    """Back to healthy (and visible); noted in the state so `stop` can tell."""
    try:
        admin.reset()
    except StackApiError as exc:
        say(f"error: could not reset the faults: {exc}. Run `playground faults reset`.")
        return
    with contextlib.suppress(PlaygroundError):
        update_state(run_dir, lambda s: setattr(s, "faults_reset", True))
    say("faults reset to healthy")


def end_game(run_dir: Path, status: Status) -> GameState:
    """Mark the game ended, if it still runs."""

    def change(state: GameState) -> None:
        if state.status == "running":
            state.status = status
            state.ended_at = time.time()

    return update_state(run_dir, change)


# --- hint, answer, debrief ------------------------------------------------------------------


def running_game(run_dir: Path) -> tuple[GameState, Incident]:
    state = load_state(run_dir)
    if state is None or state.status != "running":
        raise PlaygroundError(
            "No incident game is running: start one with `playground incident start`."
        )
    return state, state.incident_played()


def take_hint(run_dir: Path) -> tuple[int, int, str | None]:
    """The next hint: (its number, how many there are, its text or None when none is left)."""
    _, incident = running_game(run_dir)
    total = len(incident.hints)
    taken: list[int] = []

    def change(state: GameState) -> None:
        if state.hints_used < total:
            state.hints_used += 1
        taken.append(state.hints_used)

    update_state(run_dir, change)
    number = taken[0]
    return number, total, incident.hints[number - 1] if number else None


def submit_answer(run_dir: Path, answer: Answer) -> tuple[Grade, GameState]:
    """Grade an answer and record it (the caller ends a solved game, after the debrief)."""
    _, incident = running_game(run_dir)
    result: list[Grade] = []

    def change(state: GameState) -> None:
        if state.status != "running":
            raise PlaygroundError("The game has already ended.")
        now = time.time()
        wrong_before = sum(1 for a in state.answers if not a.grade["solved"])
        graded = grade(
            answer,
            incident.diagnosis,
            incident.difficulty,
            now - state.clock_start(),
            state.hints_used,
            wrong_before,
            also=state.replica.answers() if state.replica else (),
        )
        state.answers.append(
            AnswerRecord(
                at=now,
                dimension_kind=answer.dimension.kind,
                dimension_value=answer.dimension.value,
                cause=answer.cause,
                notes=answer.notes,
                grade=graded.to_dict(),
            )
        )
        result.append(graded)

    state = update_state(run_dir, change)
    return result[0], state


def build_debrief(state: GameState, incident: Incident, outcome: str) -> dict[str, Any]:
    """The attempt's record, with the evidence evaluated live now and the alert timeline."""
    target = state.target_obj()
    with (
        PrometheusClient(target.prometheus) as prometheus,
        ReceiverClient(target.alert_receiver) as receiver,
    ):
        evidence = [evaluate_evidence(prometheus, e, target.profile) for e in incident.evidence]
        try:
            timeline = alert_timeline(receiver, state.started_at)
        except StackApiError:
            timeline = []
    origin = state.fault_on_at or state.started_at
    solving = next((a for a in state.answers if a.grade["solved"]), None)
    return {
        "incident": incident.name,
        "title": incident.title,
        "difficulty": incident.difficulty,
        "seed": state.seed,
        "outcome": outcome,
        "target": state.target,
        "started_at": state.started_at,
        "fault_on_at": state.fault_on_at,
        "paged_at": state.paged_at,
        "page": state.page,
        "hints_used": state.hints_used,
        "answers": [a.model_dump() for a in state.answers],
        "grade": solving.grade if solving else None,
        "diagnosis": incident.diagnosis.model_dump(),
        "replica": state.replica.model_dump() if state.replica else None,
        "fault": incident.fault,
        "timeline": [
            {**asdict(entry), "after_s": round(entry.at - origin, 1)} for entry in timeline
        ],
        "evidence": [
            {
                "title": r.title,
                "expr": r.expr,
                "ok": r.ok,
                "why": r.why,
                "samples": [{"labels": labels, "value": value} for labels, value in r.samples[:5]],
            }
            for r in evidence
        ],
        "strong_answer": incident.debrief.strong_answer,
        "lessons": [lesson.model_dump() for lesson in incident.debrief.lessons],
    }


def _labels(labels: dict[str, str]) -> str:
    shown = {k: v for k, v in labels.items() if k not in ("job",)}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(shown.items())) + "}"


def format_debrief(debrief: dict[str, Any]) -> str:
    """The debrief as Markdown (printed as is, and written to attempt.md)."""
    diagnosis = debrief["diagnosis"]
    dimension = diagnosis["dimension"]
    where = (
        "none (not one part)"
        if dimension["kind"] == "none"
        else f"{dimension['kind']} `{dimension['value']}`"
    )
    if debrief.get("replica"):
        where += f" (DEMO_APP_REPLICA `{debrief['replica']['replica']}`)"
    lines = [
        f"# Incident debrief: {debrief['title']} (`{debrief['incident']}`)",
        "",
        f"- outcome: **{debrief['outcome']}**, difficulty {debrief['difficulty']}, "
        f"seed {debrief['seed']}",
        f"- right diagnosis: dimension {where}, cause **{diagnosis['cause']}**",
        f"- fault: `{json.dumps(debrief['fault'])}`",
        f"- hints used: {debrief['hints_used']}",
    ]
    if debrief["grade"]:
        g = debrief["grade"]
        lines.append(
            f"- grade: **{g['total']} / 100 ({g['letter']})** in {_clock(g['seconds_to_answer'])} "
            "from the page"
        )
    lines += ["", "## Your answers", ""]
    if not debrief["answers"]:
        lines.append("none")
    for number, answer in enumerate(debrief["answers"], 1):
        g = answer["grade"]
        value = f" {answer['dimension_value']}" if answer["dimension_value"] else ""
        lines.append(
            f"{number}. {answer['dimension_kind']}{value}, {answer['cause']}: {g['total']} points "
            f"(dimension {g['dimension_verdict']}, cause {g['cause_verdict']}, time "
            f"+{g['time_points']}, hints -{g['hint_penalty']}, earlier answers "
            f"-{g['wrong_answer_penalty']})"
            + (f"; notes: {answer['notes']}" if answer["notes"] else "")
        )
    lines += ["", "## Alert timeline (notifications the receiver got)", ""]
    if not debrief["timeline"]:
        lines.append("no notification")
    for entry in debrief["timeline"]:
        lines.append(
            f"- {entry['after_s']:+.0f} s  {entry['status'].upper():<8} {entry['alertname']}"
            + (f" ({entry['severity']})" if entry["severity"] else "")
        )
    lines += ["", "## Evidence, evaluated live", ""]
    for item in debrief["evidence"]:
        verdict = "shows it" if item["ok"] else f"does not show it now ({item['why']})"
        lines += [f"**{item['title']}**: {verdict}", "", "```promql", item["expr"], "```", ""]
        for sample in item["samples"]:
            lines.append(f"    {_labels(sample['labels'])} {sample['value']:.4g}")
        lines.append("")
    lines += [
        "## What a strong answer says",
        "",
        textwrap.fill(debrief["strong_answer"], _WIDTH),
        "",
    ]
    lines += ["## Learn more", ""]
    # Paths from the repository's root, not links: attempt.md lives deep in results/.
    lines += [f"- {lesson['title']}: `{lesson['link']}`" for lesson in debrief["lessons"]]
    return "\n".join(lines) + "\n"


def write_attempt(debrief: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = folder / "attempt.json", folder / "attempt.md"
    json_path.write_text(json.dumps(debrief, indent=2) + "\n")
    markdown_path.write_text(format_debrief(debrief))
    return json_path, markdown_path


def conclude(run_dir: Path, status: Status, outcome: str) -> dict[str, Any] | None:
    """End a running game and keep the attempt: debrief first, while the fault still acts
    (so the evidence shows it), then the status, then attempt.json and attempt.md.

    Returns the debrief, or None when the game had already ended (and was kept then).
    """
    state = load_state(run_dir)
    if state is None or state.status != "running":
        return None
    debrief = build_debrief(state, state.incident_played(), outcome)
    state = end_game(run_dir, status)
    write_attempt(debrief, Path(state.folder))
    return debrief


def stop_game(run_dir: Path, say: Say, wait_seconds: float = 30.0) -> dict[str, Any] | None:
    """End the game (given up if unsolved), debrief it, and make sure the faults are reset.

    The evidence is evaluated before the faults go, so it still shows the incident.
    Returns the debrief, or None when there is no game here.
    """
    state = load_state(run_dir)
    if state is None:
        say("No incident game here.")
        return None
    debrief = conclude(run_dir, "stopped", "gave up")
    state = load_state(run_dir) or state
    # The foreground runner stops Locust and resets the faults; wait for it, then make sure.
    deadline = time.time() + wait_seconds
    while state.runner_alive() and time.time() < deadline:
        time.sleep(0.5)
    target = state.target_obj()
    with DemoAppAdminClient(target.demo_app, target.admin_token) as admin:
        reset_faults(run_dir, admin, say)
    return debrief
