"""The tests' wait for quiet alerts (tests/support/quiet.py), sized from the alert config."""

from dataclasses import replace

from playground.scenarios.predictions import offline_alert_config
from tests.support.quiet import QUIET_FLOOR_SECONDS, clearing_seconds, quiet_timeout


def test_a_burn_rate_alert_clears_on_its_shortest_window_not_its_longest() -> None:
    config = offline_alert_config("lab")
    slow_burn = config.widest_rule("DemoAppErrorBudgetBurn")
    assert slow_burn is not None and len(slow_burn.burn_clauses) == 2
    intervals = config.intervals("DemoAppErrorBudgetBurn")
    short, long = sorted(c.window_seconds for c in slow_burn.burn_clauses)
    waits = intervals.scrape + slow_burn.evaluation_interval + intervals.group_interval
    assert clearing_seconds(slow_burn, intervals) == short + waits
    assert clearing_seconds(slow_burn, intervals) < long
    # Read as a plain single-window rule, it would wait for the long window.
    plain = replace(slow_burn, burn_clauses=())
    assert clearing_seconds(plain, intervals) == long + waits


def test_the_wait_covers_two_clearings_of_the_slowest_alert_it_names() -> None:
    config = offline_alert_config("lab")
    names = ("HighErrorRate", "DemoAppErrorBudgetBurn")
    slowest = max(
        clearing_seconds(rule, config.intervals(name))
        for name in names
        for rule in config.rules[name]
    )
    assert slowest * 2 > QUIET_FLOOR_SECONDS
    assert quiet_timeout(config, names) == 2 * slowest


def test_the_wait_is_never_shorter_than_its_floor() -> None:
    config = offline_alert_config("lab")
    assert quiet_timeout(config, ("DemoAppFaultActive",)) == QUIET_FLOOR_SECONDS
    assert quiet_timeout(config, ("NoSuchAlert",)) == QUIET_FLOOR_SECONDS
