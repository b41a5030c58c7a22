"""ScenarioShape: the Locust load shape that follows one row of loadtest/scenarios.py.

The shape runs the scenario's phases in order (warmup, incident, recovery; or one steady
phase) and stops the test after the last one, so every run ends by itself. It only shapes
the users; faults are switched through demo_app's admin API by `playground scenario`.

The scenario and the phase lengths come from the locustfile's options (``--scenario``,
``--alert-profile``, ``--<phase>-seconds``), read at the start of each test, so a run
started from the web UI picks up what was typed there.
"""

import logging

from locust import LoadTestShape

from loadtest.scenarios import SCENARIOS, Phase, phase_at, phase_lengths

logger = logging.getLogger(__name__)


class ScenarioShape(LoadTestShape):
    """Users over time for the scenario named by ``--scenario`` (default: baseline)."""

    def __init__(self) -> None:
        super().__init__()
        self._plan: list[Phase] | None = None
        self._phase: Phase | None = None
        self.scenario_name = ""

    @property
    def current_phase(self) -> Phase | None:
        """The phase in force, None before the first tick and after the last phase.

        loadtest/metrics.py exports it as ``locust_scenario_phase``.
        """
        return self._phase

    def reset_time(self) -> None:
        # Called by Locust when a test starts: read the options now, not at import.
        super().reset_time()
        self._plan = None
        self._phase = None

    def _make_plan(self) -> list[Phase]:
        options = self.runner.environment.parsed_options if self.runner else None
        name = getattr(options, "scenario", "baseline")
        profile = getattr(options, "alert_profile", "lab")
        overrides = {
            phase: getattr(options, f"{phase}_seconds", 0.0)
            for phase in ("warmup", "incident", "recovery", "steady")
        }
        scenario = SCENARIOS[name]
        self.scenario_name = name
        plan = scenario.plan(phase_lengths(scenario, profile, overrides))
        summary = ", ".join(f"{p.name} {p.seconds:g}s x{p.users}" for p in plan)
        logger.info("scenario %s (%s profile): %s", name, profile, summary)
        return plan

    def tick(self) -> tuple[int, float, list] | None:
        if self._plan is None:
            self._plan = self._make_plan()
        phase = phase_at(self._plan, self.get_run_time())
        if phase is None:
            self._phase = None
            return None
        if phase is not self._phase:
            self._phase = phase
            logger.info("phase %s: %d %s users", phase.name, phase.users, phase.user_class)
        user_class = self.runner.environment.available_user_classes[phase.user_class]
        return phase.users, phase.spawn_rate, [user_class]
