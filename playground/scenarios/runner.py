"""Runs one scenario against a running stack and records what the alerts did.

    runner = ScenarioRunner(SCENARIOS["error-storm"], target, RunOptions())
    result = runner.run()          # prints a live timeline; writes results/<name>-<time>/

The steps: check that every part answers; read the rules and intervals from the live
configs and predict each transition (predictions.py); start Locust headless as a
subprocess, following the scenario's phases (loadtest/shapes.py); switch the fault on at
the incident and off at the recovery through demo_app's admin API; poll Prometheus,
Alertmanager and the alert receiver once a second and print each transition (timeline.py)
beside its prediction; end when the phases are over, or as soon as every expected alert has
been notified as resolved. Then write the report and the plot (report.py, plot.py).

Whatever happens (an error, Ctrl-C, SIGTERM) Locust is stopped and the faults are reset to
healthy before the runner returns. If the runner itself is killed, Locust exits with it
(the kernel signals it) and still stops on its own when its phases are over; only the fault
state stays, and `playground faults reset` clears it.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loadtest.scenarios import Scenario, ScenarioKind
from playground.core.clients import (
    AlertmanagerClient,
    DemoAppAdminClient,
    PrometheusClient,
    ReceiverClient,
    StackApiError,
)
from playground.core.errors import PlaygroundError
from playground.core.signals import signals_ignored
from playground.scenarios.client_server import (
    RouteRow,
    client_quantile_queries,
    route_rows,
    server_queries,
)
from playground.scenarios.lifecycle import LIFECYCLE, Kind
from playground.scenarios.locust_run import LOCUST_STOP_TIMEOUT, LocustRun
from playground.scenarios.plan import (
    RunOptions,
    RunPlan,
    plan_run,
    polling_slack,
    replan_recovery,
)
from playground.scenarios.predictions import (
    AlertConfig,
    Model,
    alert_config,
    judge,
    latency_model,
    model_of,
    ratio_model,
    surge_model,
)
from playground.scenarios.report import Report, RunRecord, build_report, write_report
from playground.scenarios.timeline import (
    Snapshot,
    TimelineTracker,
    Transition,
    alert_name,
    describe,
    episode_transitions,
    state_intervals,
)

# Locust's side of the plot (the `locust` job), and demo_app's for the same requests.
LOOKUP_CLIENT = 'job="locust", name=~"/api/v1/customers/\\\\{customer_id\\\\}.*"'
LOOKUP_SERVER = 'job="demo_app", handler="/api/v1/customers/{customer_id}"'


def client_failure_share(window: str) -> str:
    failures = f'sum(rate(locust_request_failures_total{{job="locust"}}[{window}]))'
    return f'{failures} / sum(rate(locust_requests_total{{job="locust"}}[{window}]))'


def lookup_p95(metric: str, selector: str, window: str) -> str:
    return f"histogram_quantile(0.95, sum by (le) (rate({metric}_bucket{{{selector}}}[{window}])))"


# The plot's panels: the model whose alert's signal each shows (the rules name the alert,
# model_of finds it), a title, percent?, unit. The error ratio's panel adds Locust's view.
PLOT_PANELS = (
    (ratio_model, "5xx share of requests", True, ""),
    (latency_model, "p95 of LLM call durations", False, "seconds"),
    (surge_model, "requests in flight", False, "requests"),
)


def panel_alert(config: AlertConfig, model: Model) -> str | None:
    """The name of the one alert the model predicts in these rules; None unless exactly one."""
    names = {
        rule.name for rules in config.rules.values() for rule in rules if model_of(rule) is model
    }
    return names.pop() if len(names) == 1 else None


@dataclass(frozen=True)
class Target:
    """Where the stack answers, and the admin token of its demo_app.

    Args:
        name: `native` or `compose`, for the report.
        profile: The alert profile the stack runs (lab or realistic).
        locust_metrics_port: Where Prometheus scrapes the Locust master (the job `locust`),
            so the runner serves its metrics there; None where this Prometheus cannot reach
            a Locust on this host (compose scrapes its own `locust` service).
    """

    name: str
    demo_app: str
    prometheus: str
    alertmanager: str
    alert_receiver: str
    admin_token: str
    profile: str
    locust_metrics_port: int | None = None


# --- the run -----------------------------------------------------------------------------


@dataclass
class RunResult:
    """What a run produced: the report (report.json is its to_dict()) and the folder."""

    folder: Path
    report: Report

    @property
    def ok(self) -> bool:
        return self.report.ok


class ScenarioRunner:
    """Runs one scenario against one target. See the module docstring.

    Args:
        scenario: The row of the scenario table.
        target: Where the stack answers.
        options: Lengths, tolerance, intervals.
        say: Receives each line of live output. Defaults to print.
        on_poll: Called after every poll with the runner (tests interrupt a run with it).
    """

    def __init__(
        self,
        scenario: Scenario,
        target: Target,
        options: RunOptions | None = None,
        say: Callable[[str], None] | None = None,
        on_poll: Callable[["ScenarioRunner"], None] | None = None,
    ) -> None:
        self.scenario = scenario
        self.target = target
        self.options = options or RunOptions()
        self.say = say or (lambda line: print(line, flush=True))
        self.on_poll = on_poll or (lambda _runner: None)
        self.prometheus = PrometheusClient(target.prometheus)
        self.alertmanager = AlertmanagerClient(target.alertmanager)
        self.receiver = ReceiverClient(target.alert_receiver)
        self.admin = DemoAppAdminClient(target.demo_app, target.admin_token)
        self.phase = "starting"
        self.origin: float | None = None
        self.recovered_at: float | None = None
        self.faults_changed = False
        self.locust: LocustRun | None = None
        self._poll_warnings: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------

    def close(self) -> None:
        for client in (self.prometheus, self.alertmanager, self.receiver, self.admin):
            client.close()

    def rel(self, at: float) -> float:
        """Seconds from the incident's start (from the run's start before it is known)."""
        return at - (self.origin if self.origin is not None else self._started)

    def check_stack(self) -> None:
        """Raise with what to do unless every part answers its health check."""
        parts = [
            ("demo_app", self.admin, self.target.demo_app),
            ("Prometheus", self.prometheus, self.target.prometheus),
            ("Alertmanager", self.alertmanager, self.target.alertmanager),
            ("alert receiver", self.receiver, self.target.alert_receiver),
        ]
        down = [f"{name} at {url}" for name, client, url in parts if not client.is_ready()]
        if down:
            hint = (
                "Start it with `playground up` in another terminal."
                if self.target.name == "native"
                else "Start it with `docker compose up -d` and check the published ports."
            )
            raise PlaygroundError(f"The stack is not up: no answer from {', '.join(down)}. {hint}")
        try:
            self.admin.faults()
        except StackApiError as exc:
            raise PlaygroundError(
                f"demo_app's admin API refused the token (HTTP {exc.status_code}). "
                + (
                    "Was the stack started by `playground up` from this folder?"
                    if self.target.name == "native"
                    else "Pass --admin-token-file, or set DEMO_APP_ADMIN_TOKEN."
                )
            ) from None

    def read_config(self) -> AlertConfig:
        """The live rules and intervals; raise if any rule is unhealthy or absent."""
        groups = self.prometheus.rule_groups()
        broken = [
            f"{rule['name']}: {rule.get('lastError')}"
            for group in groups
            for rule in group["rules"]
            if rule.get("health") == "err"
        ]
        if broken:
            raise PlaygroundError(f"Prometheus reports broken rules: {'; '.join(broken)}")
        return alert_config(groups, self.prometheus.config_yaml(), self.alertmanager.config_yaml())

    def snapshot(self) -> Snapshot:
        """One poll of the four APIs. A failing API gives an empty part and a warning."""
        at = time.time()

        def read(name: str, call: Callable[[], Any]) -> Any:
            try:
                return call()
            except StackApiError as exc:
                if name not in self._poll_warnings:
                    self._poll_warnings.add(name)
                    self.say(f"  warning: polling {name} failed: {exc}")
                return []

        since = datetime.fromtimestamp(self._started - 1, UTC)
        return Snapshot.from_api(
            at,
            read("Prometheus alerts", self.prometheus.alerts),
            read("Prometheus rules", lambda: self.prometheus.rule_groups("alert")),
            read("Alertmanager alerts", self.alertmanager.alerts),
            read("receiver notifications", lambda: self.receiver.notifications(since=since)),
        )

    # -- the run ---------------------------------------------------------------------------

    def run(self) -> RunResult:
        """Run the scenario; always stops Locust and resets the faults before returning."""
        self._started = time.time()
        self.check_stack()
        self.config = config = self.read_config()
        faults = self.admin.faults()
        first = self.snapshot()
        tracker = TimelineTracker(first)
        active = {alert_name(key) for key in first.prometheus}
        self.plan = plan = plan_run(
            self.scenario, config, faults, self.options, self.target.profile, active
        )
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = self.options.results_root / f"{self.scenario.name}-{stamp}"
        folder.mkdir(parents=True, exist_ok=True)
        self._announce(config, plan, tracker, folder)

        outcome, problems = "completed", []
        phase_starts: dict[str, float] = {}
        try:
            if (
                faults.get("active_preset") != "healthy"
                and self.scenario.kind is not ScenarioKind.RECOVERY
            ):
                self.say(
                    f"  demo_app had faults on ({faults.get('active_preset') or 'custom'}); "
                    "resetting them to healthy first"
                )
                self.faults_changed = True
                self.admin.reset()
            self.locust = LocustRun(
                folder,
                self.scenario.name,
                plan.lengths,
                self.target.demo_app,
                self.target.profile,
                self.options.workers,
                metrics_port=self.target.locust_metrics_port,
                # One more scrape after the end, so Prometheus holds the client's totals.
                metrics_linger_seconds=config.scrape_interval + 1,
            )
            self.locust.start()
            shape_start = self.locust.wait_for_shape()
            self._loop(tracker, shape_start, phase_starts)
        except KeyboardInterrupt as interrupt:
            outcome = "interrupted"
            problems.append(
                f"Interrupted ({str(interrupt) or 'Ctrl-C'}) in the {self.phase} phase."
            )
            self.say(f"\ninterrupted in the {self.phase} phase; cleaning up")
        except PlaygroundError as exc:
            outcome = "error"
            problems.append(str(exc))
            self.say(f"error: {exc}")
        finally:
            with signals_ignored():
                problems += self.clean_up()
        ended = time.time()
        record = RunRecord(
            scenario=self.scenario,
            target={
                "name": self.target.name,
                "profile": self.target.profile,
                "demo_app": self.target.demo_app,
                "prometheus": self.target.prometheus,
                "alertmanager": self.target.alertmanager,
                "alert_receiver": self.target.alert_receiver,
            },
            tolerance=self.options.tolerance,
            slack=self.slack,
            config=config,
            plan=plan,
            transitions=list(tracker.transitions),
            preexisting=dict(tracker.preexisting),
            started=self._started,
            origin=self.origin,
            phase_starts=phase_starts,
            recovered_at=self.recovered_at,
            ended=ended,
            outcome=outcome,
            problems=problems,
            locust=self.locust.summary() if self.locust else {"available": False},
            both_ends=self._both_ends(ended),
        )
        report = build_report(record)
        try:
            report.files["plot"] = self._plot(record, folder)
        except Exception as exc:  # the report matters more than its picture
            self.say(f"  warning: the plot failed: {exc}")
            report.files["plot"] = None
        if self.locust is not None:
            report.files["locust_html"] = self.locust.html_path.name
        markdown, json_path = write_report(report, folder)
        report.files.update(markdown=markdown.name, json=json_path.name)
        self._conclude(report, folder)
        self.close()
        return RunResult(folder, report)

    def _both_ends(self, ended: float) -> list[RouteRow]:
        """Each route's numbers from Locust and from demo_app over the run (report section).

        Locust has stopped by now, after serving its final numbers for a scrape.
        """
        summary = self.locust.summary() if self.locust else {}
        if not summary.get("available"):
            return []
        window = max(1, math.ceil(ended - self._started))

        def run(queries: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
            results = {}
            for key, expr in queries.items():
                try:
                    results[key] = self.prometheus.query(expr)
                except StackApiError as exc:
                    self.say(f"  warning: no {key} for the client-vs-server table: {exc}")
                    results[key] = []
            return results

        # Only where this Prometheus scrapes the Locust that the runner started.
        client = run(client_quantile_queries(window)) if self.target.locust_metrics_port else {}
        return route_rows(summary["endpoints"], run(server_queries(window)), client)

    @property
    def slack(self) -> float:
        return polling_slack(self.options)

    def _plot(self, record: RunRecord, folder: Path) -> str | None:
        """timeline.png from Prometheus range queries; None (and a warning) if that fails."""
        # Imported here: matplotlib takes a quarter of a second, and only the end needs it.
        from playground.scenarios.plot import Panel, render_plot

        origin = record.origin if record.origin is not None else record.started
        start, end = record.started, record.ended
        step = max(record.config.scrape_interval, (end - start) / 600, 1.0)
        stretches = state_intervals(record.transitions, end)
        # Locust's own view, where this Prometheus scrapes the Locust the runner started.
        client = self.target.locust_metrics_port is not None

        def points(expr: str, what: str) -> list[tuple[float, float]]:
            try:
                result = self.prometheus.query_range(expr, start, end, step)
            except StackApiError as exc:
                self.say(f"  warning: no data for {what}: {exc}")
                return []
            values = result[0]["values"] if result else []
            return [(float(t) - origin, float(v)) for t, v in values]

        window = f"{4 * record.config.scrape_interval:g}s"
        panels = []
        for model, title, percent, unit in PLOT_PANELS:
            name = panel_alert(record.config, model) or "no single alert"
            rule = record.config.rule(name)
            signal = (
                points(rule.signal, f"the {name} panel") if rule is not None and rule.signal else []
            )
            others = []
            if client and model is ratio_model:
                others = [("Locust: failed share", points(client_failure_share(window), name))]
            panels.append(
                Panel(
                    title=f"{title} ({name}: {rule.signal if rule else 'rule not loaded'})",
                    points=signal,
                    label="demo_app" if others else "value",
                    others=others,
                    threshold=rule.threshold if rule else None,
                    stretches=[(a - origin, b - origin, s) for a, b, s in stretches.get(name, [])],
                    events=[
                        (t.at - origin, str(t.kind))
                        for t in record.transitions
                        if t.alertname == name and t.kind in (Kind.NOTIFIED, Kind.RESOLVED_NOTIFIED)
                    ],
                    percent=percent,
                    unit=unit,
                )
            )
        if client:
            client_p95 = lookup_p95("locust_request_duration_seconds", LOOKUP_CLIENT, window)
            panels.append(
                Panel(
                    title="p95 of customer lookups (not streamed): Locust vs demo_app",
                    points=points(
                        lookup_p95("http_request_duration_seconds", LOOKUP_SERVER, window),
                        "demo_app's p95",
                    ),
                    label="demo_app",
                    others=[
                        (
                            "Locust",
                            points(client_p95, "Locust's p95"),
                        )
                    ],
                    unit="seconds",
                )
            )
        marks = [
            (at - origin, f"{name} starts")
            for name, at in record.phase_starts.items()
            if name in ("incident", "recovery")
        ]
        path = folder / "timeline.png"
        render_plot(
            path,
            f"{self.scenario.name} on the {self.target.name} stack ({self.target.profile} profile)",
            panels,
            marks,
            # A little room after the end, for a notification that came last.
            (start - origin, end - origin + 5),
        )
        return path.name

    def _conclude(self, report: Report, folder: Path) -> None:
        say = self.say
        say("")
        for check in report.checks:
            observed = check.observed_s
            at = "never" if observed is None else f"{observed:.1f} s"
            predicted = (
                f"predicted {check.earliest_s:.0f}-{check.latest_s:.0f} s"
                if check.latest_s is not None and check.earliest_s is not None
                else "no prediction"
            )
            say(
                f"  {check.alert:<20} {check.kind:<18} {at:>9}  {predicted:<24} "
                f"{check.status.upper() if check.failed else check.status}"
            )
        if report.also_seen:
            say(f"  also seen: {', '.join(report.also_seen)}")
        for problem in report.problems:
            say(f"  problem: {problem}")
        say(f"report: {folder / str(report.files['markdown'])}")
        if report.files.get("plot"):
            say(f"plot:   {folder / str(report.files['plot'])}")

    def clean_up(self) -> list[str]:
        """Stop Locust and reset the faults. Returns what went wrong (never raises)."""
        problems = []
        if self.locust is not None:
            try:
                self.locust.stop()
            except Exception as exc:  # whatever it was, the faults still need resetting
                problems.append(f"Stopping Locust failed: {exc}")
        if self.faults_changed:
            try:
                self.admin.reset()
                self.say("faults reset to healthy")
            except StackApiError as exc:
                problems.append(
                    f"Resetting demo_app's faults failed: {exc}. Run `playground faults reset`."
                )
                self.say(f"error: could not reset the faults: {exc}")
        return problems

    def _announce(
        self, config: AlertConfig, plan: RunPlan, tracker: TimelineTracker, folder: Path
    ) -> None:
        say = self.say
        say(f"scenario {self.scenario.name}: {self.scenario.summary}")
        say(
            f"  target: {self.target.name} stack, {self.target.profile} profile, "
            f"demo_app at {self.target.demo_app}"
        )
        say(f"  scrape interval {config.scrape_interval:g} s")
        for name in plan.expected:
            rule = config.rule(name)
            if rule is None:
                continue
            intervals = config.intervals(name)
            window = f"window {rule.window_seconds:g} s, " if rule.window_seconds else ""
            say(
                f"  {name}: {window}for {rule.for_seconds:g} s, evaluated every "
                f"{rule.evaluation_interval:g} s; group_wait {intervals.group_wait:g} s, "
                f"group_interval {intervals.group_interval:g} s"
            )
        phases = ", ".join(
            f"{name} {getattr(plan.lengths, name):g} s" for name in self.scenario.phases
        )
        say(f"  phases: {phases}")
        if plan.predictions:
            origin = (
                "faults going off"
                if self.scenario.kind is ScenarioKind.RECOVERY
                else "incident's start"
            )
            say(f"  predicted, in seconds from the {origin}:")
            for name, prediction in plan.predictions.items():
                spans = ", ".join(
                    f"{kind} {w.earliest:.0f}-{w.latest:.0f}"
                    for kind in LIFECYCLE
                    if (w := prediction.windows.get(kind))
                )
                say(f"    {name}: {spans}")
        for note in plan.notes:
            say(f"  note: {note}")
        for key, state in sorted(tracker.preexisting.items(), key=lambda item: describe(item[0])):
            say(f"  already active before the run: {describe(key)} ({state})")
        say(f"  results: {folder}")

    def _loop(
        self, tracker: TimelineTracker, shape_start: float, phase_starts: dict[str, float]
    ) -> None:
        assert self.locust is not None
        boundaries: list[tuple[str, float]] = []
        elapsed = 0.0
        for name in self.scenario.phases:
            boundaries.append((name, shape_start + elapsed))
            elapsed += getattr(self.plan.lengths, name)
        if self.scenario.kind is ScenarioKind.QUIET:
            self.origin = shape_start
        # Locust stops by itself after its last phase; this bounds the wait if it does not.
        hard_deadline = shape_start + elapsed + LOCUST_STOP_TIMEOUT + 10
        next_progress = 0.0
        while True:
            now = time.time()
            self._advance(boundaries, now, phase_starts)
            snapshot = self.snapshot()
            for transition in tracker.update(snapshot):
                self._print_transition(transition, tracker)
            if now >= next_progress:
                self._print_progress(snapshot)
                next_progress = now + self.options.progress_every
            self.on_poll(self)
            if not self.locust.is_running():
                code = self.locust.master.returncode
                if code != 0:
                    raise PlaygroundError(
                        f"Locust exited with code {code}.\n{self.locust.master.log_excerpt()}"
                    )
                self.say(f"{self._stamp()} Locust finished its phases")
                return
            if self._all_resolved(tracker):
                self.say(
                    f"{self._stamp()} every expected alert was notified as resolved; ending the run"
                )
                return
            if time.time() > hard_deadline:
                raise PlaygroundError("Locust did not stop after its last phase.")
            # Wake for the next poll, or sooner for the next phase change.
            upcoming = [at for name, at in boundaries if name not in phase_starts]
            wake = min([now + self.options.poll_interval, *upcoming])
            time.sleep(max(0.0, wake - time.time()))

    def _stamp(self, at: float | None = None) -> str:
        return f"[{self.rel(time.time() if at is None else at):+8.1f} s]"

    def _advance(
        self, boundaries: list[tuple[str, float]], now: float, phase_starts: dict[str, float]
    ) -> None:
        for name, start in boundaries:
            if now < start or name in phase_starts:
                continue
            phase_starts[name] = start
            self.phase = name
            users = self.scenario.incident_users if name == "incident" else None
            self.say(f"{self._stamp(start)} phase {name}: {users or self.scenario.users} users")
            if name == "incident":
                self._start_incident(start)
            elif name == "recovery":
                self._start_recovery(start)

    def _start_incident(self, scheduled: float) -> None:
        if self.scenario.preset:
            self.faults_changed = True
            self.admin.apply_preset(self.scenario.preset)
            self.origin = time.time()
            self.say(f"{self._stamp()} fault switched on: the {self.scenario.preset} preset")
            return
        # The surge starts at the shape's next tick (once a second); Locust's log dates it.
        assert self.locust is not None
        self.origin = self.locust.wait_logged("phase incident") or scheduled
        self.say(f"{self._stamp(self.origin)} the surge starts")

    def _start_recovery(self, scheduled: float) -> None:
        if self.scenario.preset or self.scenario.kind is ScenarioKind.RECOVERY:
            self.faults_changed = True
            self.admin.reset()
            self.recovered_at = time.time()
            if self.origin is None:
                self.origin = self.recovered_at
            self.say(f"{self._stamp(self.recovered_at)} faults off (healthy)")
        else:
            assert self.locust is not None
            self.recovered_at = self.locust.wait_logged("phase recovery") or scheduled
            self.say(f"{self._stamp(self.recovered_at)} the surge ends")
        if self.origin is not None and self.scenario.has_incident:
            # The resolution is predicted from the real incident length, not the planned one.
            self.plan = replan_recovery(self.plan, self.config, self.recovered_at - self.origin)

    def _all_resolved(self, tracker: TimelineTracker) -> bool:
        expected = self.plan.expected
        if not self.options.should_end_early or self.recovered_at is None or not expected:
            return False
        for name in expected:
            # Every instance of the alert this run is about must have been notified resolved
            # in this run's episode (not while resolving from an earlier fault).
            episode = self._episode(tracker, name)
            keys = {t.key for t in episode}
            notified = {t.key for t in episode if t.kind is Kind.RESOLVED_NOTIFIED}
            if not keys or keys - notified:
                return False
        return True

    def _episode(self, tracker: TimelineTracker, name: str) -> list[Transition]:
        recovering = self.scenario.kind is ScenarioKind.RECOVERY
        return episode_transitions(tracker.transitions, tracker.preexisting, name, recovering)

    def _print_transition(self, transition: Transition, tracker: TimelineTracker) -> None:
        line = f"{self._stamp(transition.at)} {describe(transition.key):<28} {transition.kind:<18}"
        prediction = self.plan.predictions.get(transition.alertname)
        window = prediction.windows.get(transition.kind) if prediction else None
        ours = transition in self._episode(tracker, transition.alertname)
        if window is not None and self.origin is not None and ours:
            at = self.rel(transition.at)
            verdict = judge(window, at, at, self.options.tolerance, self.slack)
            line += f" predicted {window.earliest:.0f}-{window.latest:.0f} s: {verdict.status}"
        self.say(line)

    def _print_progress(self, snapshot: Snapshot) -> None:
        assert self.locust is not None
        stats = self.locust.progress()
        load = "Locust starting"
        if stats:
            share = stats["failures"] / stats["requests"] if stats["requests"] else 0.0
            load = (
                f"{stats['users']:.0f} users, {stats['rps']:.1f} req/s, "
                f"{share:.1%} of {stats['requests']:.0f} requests failed"
            )
        active = ", ".join(
            sorted(f"{alert_name(k)} {state}" for k, state in snapshot.prometheus.items())
        )
        self.say(f"{self._stamp(snapshot.at)} {self.phase}: {load} | active: {active or 'none'}")
