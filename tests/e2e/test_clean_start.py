"""A fresh stack starts clean: no alert goes pending, let alone fires.

Before, DemoAppDown went pending on every `playground up`: its absent(up{job="demo_app"})
was true at Prometheus's first evaluations, before the first scrape of demo_app.
"""

import time
from collections.abc import Callable

from playground.core.settings import PlaygroundSettings
from playground.native.stack import NativeStack

# Past DemoAppDown's start-up gate (15 s after Prometheus starts) plus its lab `for` (6s),
# the first moment it could fire, with two evaluations to spare.
WATCH_SECONDS = 35.0
POLL_SECONDS = 0.5


def active_alerts(stack: NativeStack) -> set[tuple[str, str]]:
    """(alert name, state) of every alert that is pending or firing in any rule now."""
    return {
        (alert["labels"]["alertname"], alert["state"])
        for rule in stack.prometheus.rules()
        for alert in rule.get("alerts", [])
    }


def test_a_fresh_stack_raises_no_alert_not_even_pending(
    stack_settings: Callable[[str], PlaygroundSettings],
) -> None:
    seen: dict[tuple[str, str], float] = {}
    with NativeStack(stack_settings("clean-start"), fresh=True) as stack:
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < WATCH_SECONDS:
            for alert in active_alerts(stack):
                seen.setdefault(alert, round(elapsed, 1))
            time.sleep(POLL_SECONDS)
        targets = {t["labels"]["job"]: t["health"] for t in stack.prometheus.targets()}
        diagnostics = stack.diagnostics()
    assert targets.get("demo_app") == "up", diagnostics
    assert seen == {}, f"alerts seen (seconds after start): {seen}\n{diagnostics}"
