"""`python -m playground.cli.plans`: every scenario's plan, per profile, from this repository.

The runner reads the fault presets from demo_app's live admin API; offline, they come from
demo_app's own table. Only the CLI layer reaches into demo_app's code, so this lives here.
"""

from demo_app.faults import PRESET_STATES
from loadtest.scenarios import SCENARIOS
from playground.scenarios.lifecycle import LIFECYCLE
from playground.scenarios.plan import RunOptions, RunPlan, plan_run
from playground.scenarios.predictions import offline_alert_config


def offline_plans(profile: str) -> dict[str, RunPlan]:
    """Each scenario's plan from this repository's configs and demo_app's presets."""
    config = offline_alert_config(profile)
    faults = {
        "faults": PRESET_STATES["healthy"].model_dump(),
        "active_preset": "healthy",
        "presets": {name: state.model_dump() for name, state in PRESET_STATES.items()},
    }
    return {
        name: plan_run(scenario, config, faults, RunOptions(), profile, set())
        for name, scenario in SCENARIOS.items()
    }


def main() -> None:
    """Print each scenario's phase lengths and predicted windows, for both profiles."""
    for profile in ("lab", "realistic"):
        print(f"## {profile}")
        for name, plan in offline_plans(profile).items():
            lengths = ", ".join(
                f"{phase} {getattr(plan.lengths, phase):g} s"
                for phase in ("warmup", "incident", "recovery", "steady")
                if getattr(plan.lengths, phase)
            )
            print(f"{name}: {lengths}")
            for alert, prediction in plan.predictions.items():
                for kind in LIFECYCLE:
                    if window := prediction.windows.get(kind):
                        since = f" (after recovery: {window.earliest - window.since:.1f}-" + (
                            f"{window.latest - window.since:.1f})" if window.since else ""
                        )
                        print(
                            f"  {alert:<20} {kind:<18} {window.earliest:6.1f} - "
                            f"{window.latest:6.1f}{since if window.since else ''}"
                        )


if __name__ == "__main__":
    main()
