"""bench/breakdown.py: every step is built and measured in process (not how fast)."""

from bench.breakdown import measure as measure_steps


def test_the_in_process_breakdown_measures_every_step() -> None:
    steps = measure_steps(rounds=1, requests=50)
    assert [step.name for step in steps] == [
        "bare",
        "one_layer",
        "route_walk",
        "library_no_metric",
        "demo_app",
        "demo_app_lean",
        "design_notes",
    ]
    assert all(len(step.microseconds) == 1 and step.microseconds[0] > 0 for step in steps)
