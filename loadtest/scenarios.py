"""The scenario table: what each scenario does to demo_app and how many users it runs.

One name per concept: `error-storm` and `slow-llm` are demo_app's fault presets, the
scenarios here (and so the Locust shape, ``--scenario error-storm``) and the
`playground scenario error-storm` command. Locust only shapes the load; the fault is switched
on and off through demo_app's admin API by `playground scenario` (or by you, with
`playground faults preset error-storm`, when you drive Locust yourself).

A scenario with an incident runs three phases:

    warmup    healthy, `users` users: fills the rules' rate windows with healthy traffic
    incident  the fault preset is on (or, for spike, `incident_users` users)
    recovery  healthy again, `users` users: the alerts resolve

`baseline` is one healthy phase, and `recovery` is the recovery phase on its own.

What fires when, under each alert profile, is in loadtest/README.md; `playground scenario`
computes it from the live rules and compares. The default phase lengths below are for
running Locust without the runner; they cover the predicted notification and resolution
(tests/loadtest/test_scenarios.py checks them against the rules in this repository). The
runner sizes the phases from the live configuration instead, and ends the recovery phase as
soon as every expected alert has been notified as resolved.

This module is imported by the locustfile (which runs in the Locust image, where only
loadtest/ is mounted), so it uses the standard library only.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

AlertProfile = Literal["lab", "realistic"]
ALERT_PROFILES: tuple[AlertProfile, ...] = ("lab", "realistic")
PhaseName = Literal["steady", "warmup", "incident", "recovery"]


class ScenarioKind(StrEnum):
    """What a scenario does to the stack, and so which phases it runs and what it expects."""

    INCIDENT = "incident"  # warmup, a fault or a surge, recovery: the expected alerts cycle
    QUIET = "quiet"  # one steady, healthy phase: nothing may fire
    RECOVERY = "recovery"  # faults off: whatever is active resolves


PHASES: dict[ScenarioKind, tuple[PhaseName, ...]] = {
    ScenarioKind.INCIDENT: ("warmup", "incident", "recovery"),
    ScenarioKind.QUIET: ("steady",),
    ScenarioKind.RECOVERY: ("recovery",),
}

# Users that stay below every alert: about 8 requests per second together, enough traffic for
# the rate() windows (HighErrorRate ignores less than 0.1 req/s), little CPU on 2 cores.
STEADY_USERS = 10
# Users started (or stopped) per second: the spike's 110 extra users arrive within about two
# seconds, as surges do, and leave as fast when it ends.
SPAWN_RATE = 50.0


@dataclass(frozen=True)
class PhaseLengths:
    """Seconds per phase. A scenario without an incident uses only `steady` or `recovery`."""

    warmup: float = 0.0
    incident: float = 0.0
    recovery: float = 0.0
    steady: float = 0.0


@dataclass(frozen=True)
class Phase:
    """One stretch of a run: its length, its users and the fault preset in force."""

    name: PhaseName
    seconds: float
    users: int
    spawn_rate: float
    user_class: str
    preset: str | None


@dataclass(frozen=True)
class Scenario:
    """One row of the table.

    Args:
        name: The scenario's name, the same as its fault preset where it has one.
        summary: One line for `--help` and the report.
        preset: The demo_app fault preset switched on for the incident. Defaults to None.
        incident_users: Users during the incident, all together: the `users` already
            running stay, and the rest run `incident_user_class`. Defaults to None (the
            same as `users`).
        incident_user_class: The User class the incident adds. Defaults to SupportCustomer.
        users: Users outside the incident. Defaults to STEADY_USERS.
        expected_alerts: The alerts this scenario is about: they should fire (and resolve).
            Empty for baseline, where nothing should fire.
        kind: What it does (an incident, a quiet run, a recovery), which sets its phases.
            Defaults to an incident.
        lengths: Default phase lengths per alert profile, for Locust without the runner.
    """

    name: str
    summary: str
    preset: str | None = None
    incident_users: int | None = None
    incident_user_class: str = "SupportCustomer"
    users: int = STEADY_USERS
    expected_alerts: tuple[str, ...] = ()
    kind: ScenarioKind = ScenarioKind.INCIDENT
    lengths: dict[AlertProfile, PhaseLengths] = field(default_factory=dict)

    @property
    def phases(self) -> tuple[PhaseName, ...]:
        """Which phases it runs, in order."""
        return PHASES[self.kind]

    @property
    def has_incident(self) -> bool:
        return self.kind is ScenarioKind.INCIDENT

    def plan(self, lengths: PhaseLengths) -> list[Phase]:
        """The phases of one run, in order, with these lengths."""
        plan = []
        for name in self.phases:
            incident = name == "incident"
            plan.append(
                Phase(
                    name=name,
                    seconds=getattr(lengths, name),
                    users=(self.incident_users or self.users) if incident else self.users,
                    spawn_rate=SPAWN_RATE,
                    user_class=self.incident_user_class if incident else "SupportCustomer",
                    preset=self.preset if incident else None,
                )
            )
        return plan


def phase_lengths(scenario: Scenario, profile: str, overrides: dict[str, float]) -> PhaseLengths:
    """The scenario's default lengths for a profile, with any positive override applied."""
    defaults = scenario.lengths[profile]  # type: ignore[index]
    chosen = {
        name: overrides.get(name) or getattr(defaults, name)
        for name in ("warmup", "incident", "recovery", "steady")
    }
    return PhaseLengths(**chosen)


def phase_at(plan: list[Phase], seconds: float) -> Phase | None:
    """The phase in force ``seconds`` after the start, or None once the plan is over."""
    elapsed = 0.0
    for phase in plan:
        elapsed += phase.seconds
        if seconds < elapsed:
            return phase
    return None


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            name="baseline",
            summary="Steady, healthy traffic: nothing fires.",
            kind=ScenarioKind.QUIET,
            # Longer than every lab window and `for`; in realistic, one HighErrorRate window.
            lengths={"lab": PhaseLengths(steady=60), "realistic": PhaseLengths(steady=300)},
        ),
        Scenario(
            name="error-storm",
            summary="30% of API requests fail with HTTP 500: HighErrorRate fires, then resolves.",
            preset="error-storm",
            expected_alerts=("HighErrorRate", "DemoAppFaultActive"),
            # lab: the warmup fills the 30s window; notified by 55 s, resolved notified by
            # 65 s after recovery. realistic: a 60 s warmup, not the whole 5m window;
            # notified by ~6 min, resolved notified by ~5 min after recovery.
            lengths={
                "lab": PhaseLengths(warmup=30, incident=75, recovery=90),
                "realistic": PhaseLengths(warmup=60, incident=440, recovery=360),
            },
        ),
        Scenario(
            name="slow-llm",
            summary="Every LLM call takes 12 s longer: SlowLLM fires, then resolves.",
            preset="slow-llm",
            expected_alerts=("SlowLLM", "DemoAppFaultActive"),
            # Slow calls are only observed when they finish, 12 s after they start, and the
            # fast calls must leave the window first. Notified by 110 s (lab) or ~15 min
            # (realistic). Recovery waits for calls still sleeping and for the window to flush.
            lengths={
                "lab": PhaseLengths(warmup=30, incident=135, recovery=105),
                "realistic": PhaseLengths(warmup=60, incident=1070, recovery=420),
            },
        ),
        Scenario(
            name="spike",
            summary=(
                "A surge of 110 impatient users on the streamed endpoint keeps more than 50 "
                "requests in flight: DemoAppSaturated fires, then resolves."
            ),
            # Measured on 2 cores: 410-590 req/s and 70-95 requests in flight (threshold
            # 50), with both cores busy. 60 surge users gave 37-49 in flight: not enough.
            incident_users=STEADY_USERS + 110,
            incident_user_class="SurgeCustomer",
            expected_alerts=("DemoAppSaturated",),
            # Notified by 52 s (lab) or 5.5 min; resolved notified 52 s (lab) or 160 s after.
            lengths={
                "lab": PhaseLengths(warmup=20, incident=75, recovery=70),
                "realistic": PhaseLengths(warmup=60, incident=480, recovery=240),
            },
        ),
        Scenario(
            name="recovery",
            summary="Faults off, healthy traffic: every active alert resolves.",
            kind=ScenarioKind.RECOVERY,
            # Long enough for the slowest lab window (SlowLLM's) to flush, and one
            # group_interval for the resolved notification.
            lengths={"lab": PhaseLengths(recovery=100), "realistic": PhaseLengths(recovery=400)},
        ),
    )
}
