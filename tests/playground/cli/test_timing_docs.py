"""The alert timings the docs give are generated from the predictions (python -m
playground.cli.plans --render-docs); a doc whose numbers no longer follow the configs fails."""

import re
from dataclasses import replace

from loadtest.scenarios import ALERT_PROFILES
from playground.cli.plans import TIMING_DOCS, offline_plans, render_timings, stale_timing_docs
from playground.core.paths import REPO_ROOT
from playground.scenarios.lifecycle import Kind


def test_every_generated_timing_in_the_docs_is_up_to_date() -> None:
    stale = stale_timing_docs()
    assert not stale, f"run `python -m playground.cli.plans --render-docs`: {sorted(stale)}"


def test_every_timing_doc_has_generated_parts() -> None:
    for name in TIMING_DOCS:
        text = (REPO_ROOT / name).read_text()
        assert re.search(r"<!-- (timings?|scenario-timings|phases|span|alert-timing) ", text), name


def test_a_doc_goes_stale_when_a_predicted_window_moves() -> None:
    plans = {profile: offline_plans(profile) for profile in ALERT_PROFILES}
    text = (REPO_ROOT / "README.md").read_text()
    assert render_timings(text, plans) == text
    plan = plans["lab"]["error-storm"]
    prediction = plan.predictions["HighErrorRate"]
    firing = prediction.windows[Kind.FIRING]
    windows = {**prediction.windows, Kind.FIRING: replace(firing, latest=firing.latest + 30)}
    predictions = {**plan.predictions, "HighErrorRate": replace(prediction, windows=windows)}
    plans["lab"]["error-storm"] = replace(plan, predictions=predictions)
    moved = render_timings(text, plans)
    assert moved != text
    assert f"{firing.latest + 30:.0f} s<!-- /timing -->" in moved
