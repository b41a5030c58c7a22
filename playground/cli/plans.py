"""`python -m playground.cli.plans`: every scenario's plan, per profile, from this repository.

The runner reads the fault presets from demo_app's live admin API; offline, they come from
demo_app's own table. Only the CLI layer reaches into demo_app's code, so this lives here.

`--render-docs` / `--check-docs`: the alert timings the docs give, generated from the same
plans between markers, so no doc types them by hand:

    <!-- timings SCENARIO ALERT -->            a table: each transition's window, lab and realistic
    ...                                        (everything up to the closing marker is replaced)
    <!-- /timings -->
    <!-- timing PROFILE SCENARIO ALERT KIND -->45 s<!-- /timing -->   one latest bound, in prose
    <!-- scenario-timings PROFILE -->          every scenario's expected alerts, each transition
    <!-- /scenario-timings -->
    <!-- phases PROFILE -->...<!-- /phases -->  the phase lengths the runner picks
    <!-- span PROFILE SCENARIO ALERT KIND -->35-45 s<!-- /span -->   one window, in prose
    <!-- alert-timing PROFILE ALERT FIELD [LABEL=VALUE] -->42 s<!-- /alert-timing -->
                                               an AlertTiming field (timings.py), for alerts
                                               no scenario expects (the fast burn)

KIND is a transition (firing, notified, resolved, ...), measured from the fault switch, or for
resolved and resolved notified from the reset.
"""

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from demo_app.faults import PRESET_STATES
from loadtest.scenarios import ALERT_PROFILES, SCENARIOS
from playground.core.paths import REPO_ROOT
from playground.scenarios.lifecycle import LIFECYCLE, Kind
from playground.scenarios.plan import RunOptions, RunPlan, plan_run
from playground.scenarios.predictions import Window, offline_alert_config
from playground.scenarios.timings import about, alert_timing

# The files whose timings are generated (tests/playground/cli/test_timing_docs.py checks them).
TIMING_DOCS = (
    "README.md",
    "loadtest/README.md",
    "docs/labs/04-slos-and-burn-rates.md",
    "docs/labs/07-silences-and-inhibition.md",
    "docs/labs/02-high-error-rate.md",
    "docs/labs/03-slow-llm.md",
    "prometheus/README.md",
)
_TABLE = re.compile(r"(<!-- timings (\S+) (\S+) -->\n)(.*?)(<!-- /timings -->)", re.S)
_INLINE = re.compile(r"(<!-- timing (\S+) (\S+) (\S+) ([\w-]+) -->)(.*?)(<!-- /timing -->)")
# The docs write ranges with an en dash.
EN_DASH = "\N{EN DASH}"
_SCENARIO_TABLE = re.compile(
    r"(<!-- scenario-timings (\S+) -->\n)(.*?)(<!-- /scenario-timings -->)", re.S
)
_SPAN = re.compile(r"(<!-- span (\S+) (\S+) (\S+) ([\w-]+) -->)(.*?)(<!-- /span -->)")
_ALERT_TIMING = re.compile(
    r"(<!-- alert-timing (\S+) (\S+) (\w+)((?: \w+=\S+)*) -->)(.*?)(<!-- /alert-timing -->)"
)
_PHASES = re.compile(r"(<!-- phases (\S+) -->)(.*?)(<!-- /phases -->)", re.S)
_ROWS = {
    Kind.PENDING: "pending in Prometheus",
    Kind.FIRING: "firing in Prometheus",
    Kind.NOTIFIED: "notified (receiver)",
    Kind.RESOLVED: "resolved, after the reset",
    Kind.RESOLVED_NOTIFIED: "notified resolved",
}


def offline_faults() -> dict[str, Any]:
    """demo_app's GET /admin/faults answer on a fresh start, from its own preset table."""
    return {
        "faults": PRESET_STATES["healthy"].model_dump(),
        "active_preset": "healthy",
        "presets": {name: state.model_dump() for name, state in PRESET_STATES.items()},
    }


def offline_plans(profile: str) -> dict[str, RunPlan]:
    """Each scenario's plan from this repository's configs and demo_app's presets."""
    config = offline_alert_config(profile)
    faults = offline_faults()
    return {
        name: plan_run(scenario, config, faults, RunOptions(), profile, set())
        for name, scenario in SCENARIOS.items()
    }


def _window(
    plans: dict[str, dict[str, RunPlan]], profile: str, scenario: str, alert: str, kind: Kind
) -> Window:
    return plans[profile][scenario].predictions[alert].windows[kind]


def _span(window: Window) -> str:
    # Resolution windows are read from the reset, the others from the fault switch.
    return f"{window.earliest - window.since:.0f}{EN_DASH}{window.latest - window.since:.0f} s"


def render_timings(text: str, plans: dict[str, dict[str, RunPlan]]) -> str:
    """``text`` with every timings table and inline timing regenerated from ``plans``."""

    def table(match: re.Match[str]) -> str:
        scenario, alert = match.group(2), match.group(3)
        rows = ["| transition | lab | realistic |", "|---|---|---|"]
        for kind, label in _ROWS.items():
            spans = [_span(_window(plans, p, scenario, alert, kind)) for p in ALERT_PROFILES]
            rows.append(f"| {label} | {' | '.join(spans)} |")
        return match.group(1) + "\n".join(rows) + "\n" + match.group(5)

    def inline(match: re.Match[str]) -> str:
        profile, scenario, alert, kind = match.group(2, 3, 4, 5)
        window = _window(plans, profile, scenario, alert, Kind(kind.replace("-", " ")))
        return match.group(1) + about(window.latest - window.since) + match.group(7)

    def scenario_table(match: re.Match[str]) -> str:
        rows = [
            "| scenario: alert | pending | firing | notified | resolved (after recovery) "
            "| resolved notified (after recovery) |",
            "|---|---|---|---|---|---|",
        ]
        for scenario, plan in plans[match.group(2)].items():
            for alert in plan.expected:
                windows = plan.predictions[alert].windows if alert in plan.predictions else {}
                cells = [
                    _span(windows[kind]).removesuffix(" s") if kind in windows else "(no `for`)"
                    for kind in _ROWS
                ]
                if windows:
                    rows.append(f"| {scenario}: {alert} | {' | '.join(cells)} |")
        return match.group(1) + "\n".join(rows) + "\n" + match.group(4)

    def phases(match: re.Match[str]) -> str:
        described = []
        for scenario, plan in plans[match.group(2)].items():
            lengths = [getattr(plan.lengths, p) for p in SCENARIOS[scenario].phases]
            if SCENARIOS[scenario].has_incident:
                total = sum(lengths)
                about_total = f" (about {total / 60:.0f} min)" if total >= 600 else ""
                described.append(
                    f"{scenario} {', '.join(f'{s:g}' for s in lengths)} s{about_total}"
                )
        return match.group(1) + "; ".join(described) + match.group(4)

    def span(match: re.Match[str]) -> str:
        profile, scenario, alert, kind = match.group(2, 3, 4, 5)
        window = _window(plans, profile, scenario, alert, Kind(kind.replace("-", " ")))
        return match.group(1) + _span(window) + match.group(7)

    def alert_timing_of(match: re.Match[str]) -> str:
        profile, alert, field = match.group(2, 3, 4)
        labels = dict(pair.split("=", 1) for pair in match.group(5).split())
        timing = alert_timing(
            offline_alert_config(profile), offline_faults(), profile, alert, **labels
        )
        if timing is None:
            raise ValueError(f"no prediction for {match.group(1)}")
        return match.group(1) + about(getattr(timing, field)) + match.group(7)

    text = _SCENARIO_TABLE.sub(scenario_table, _TABLE.sub(table, text))
    text = _SPAN.sub(span, _ALERT_TIMING.sub(alert_timing_of, text))
    return _PHASES.sub(phases, _INLINE.sub(inline, text))


def stale_timing_docs(root: Path = REPO_ROOT) -> dict[Path, str]:
    """Each timing doc whose generated parts differ from the plans: its new text."""
    plans = {profile: offline_plans(profile) for profile in ALERT_PROFILES}
    stale = {}
    for name in TIMING_DOCS:
        path = root / name
        text = path.read_text(encoding="utf-8")
        if (rendered := render_timings(text, plans)) != text:
            stale[path] = rendered
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    """Print the plans, or render (check) the docs' generated timings."""
    parser = argparse.ArgumentParser(prog="python -m playground.cli.plans")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--render-docs", action="store_true", help="rewrite the docs' timings")
    action.add_argument("--check-docs", action="store_true", help="exit 1 if a doc is stale")
    args = parser.parse_args(argv)
    if args.render_docs or args.check_docs:
        stale = stale_timing_docs()
        for path, text in stale.items():
            if args.render_docs:
                path.write_text(text, encoding="utf-8")
            print(
                f"{'wrote' if args.render_docs else 'out of date'}: {path.relative_to(REPO_ROOT)}"
            )
        return 1 if stale and args.check_docs else 0
    print_plans()
    return 0


def print_plans() -> None:
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
    sys.exit(main())
