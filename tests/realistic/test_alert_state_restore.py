"""Realistic HighErrorRate survives a `kill -9` of Prometheus: `make test-realistic` (~12 min).

The lab profile's twin runs on every `make test` (tests/e2e/test_crash_recovery.py). Here
the realistic rule (window 5m, `for: 5m`) is what is at stake: Prometheus's default
--rules.alert.for-grace-period (10m) skipped its restore, so after a restart it went pending
for 5 minutes, Alertmanager's copy expired after 4 (4 x the 1m resend delay), and a false
"resolved" went out mid-incident. The test waits past that moment.

The fastest honest way: traffic with the error-storm preset from the start, so the
expression is true within two scrapes and the alert fires `for` (5m) later, not after a
healthy history; the wait after the kill is the 4 minutes Alertmanager keeps an alert
without news, plus one group_interval, which a false "resolved" would need.
"""

import os
import signal
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.core.polling import wait_until
from playground.native.stack import NativeStack
from playground.scenarios.predictions import seconds
from tests.support.settings import settings_on_free_ports
from tests.support.traffic import TrafficDriver

pytestmark = pytest.mark.realistic

FIRING_DEADLINE_SECONDS = 9 * 60
SLACK_SECONDS = 15.0


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[NativeStack]:
    settings = settings_on_free_ports(tmp_path / "run", ALERT_PROFILE="realistic")
    with NativeStack(settings, fresh=True) as running:
        running.supervise_in_background()
        yield running


def high_error_rate(stack: NativeStack) -> dict[str, Any] | None:
    return next(
        (a for a in stack.prometheus.alerts() if a["labels"]["alertname"] == "HighErrorRate"),
        None,
    )


# About 12 minutes: longer than the suite's default timeout.
@pytest.mark.timeout(20 * 60)
def test_realistic_high_error_rate_fires_on_through_a_prometheus_crash(stack: NativeStack) -> None:
    traffic = TrafficDriver(stack.urls.demo_app, threads=6, max_seconds=20 * 60).start()
    try:
        stack.demo_app.apply_preset("error-storm")
        assert wait_until(
            lambda: stack.receiver.notifications(status="firing", alertname="HighErrorRate"),
            FIRING_DEADLINE_SECONDS,
            5,
        ), stack.diagnostics()
        before = high_error_rate(stack)
        assert before is not None and before["state"] == "firing"
        (held,) = stack.alertmanager.alerts(filters=['alertname="HighErrorRate"'])
        expires = datetime.fromisoformat(held["endsAt"].replace("Z", "+00:00")).timestamp()
        route = yaml.safe_load(stack.alertmanager.config_yaml())["route"]
        evaluation = seconds(
            yaml.safe_load(stack.prometheus.config_yaml())["global"]["evaluation_interval"]
        )

        os.kill(stack.pids["prometheus"], signal.SIGKILL)
        killed = stack.pids["prometheus"]
        assert wait_until(
            lambda: stack.pids.get("prometheus") != killed and stack.prometheus.is_ready(), 60, 0.5
        )
        assert wait_until(
            lambda: (a := high_error_rate(stack)) is not None and a["state"] == "firing",
            4 * evaluation + SLACK_SECONDS,
            0.5,
        ), stack.diagnostics()
        after = high_error_rate(stack)
        assert after is not None
        assert after["activeAt"][:19] == before["activeAt"][:19], (before, after)

        # Past the moment Alertmanager's copy would have expired without the restore, and
        # the group_interval its "resolved" would have waited for.
        quiet_until = expires + seconds(route["group_interval"]) + SLACK_SECONDS
        time.sleep(max(0.0, quiet_until - time.time()))
        resolved = stack.receiver.notifications(status="resolved", alertname="HighErrorRate")
        assert resolved == [], resolved
        assert high_error_rate(stack)["state"] == "firing"  # type: ignore[index]
    finally:
        traffic.stop()
