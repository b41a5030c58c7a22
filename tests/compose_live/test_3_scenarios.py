"""`playground scenario NAME --target compose`, as docs/compose.md tells a user to run it:
every alert transition it predicts (from the rules Prometheus loaded) lands in its window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.scenarios import SCENARIOS
from playground.core.clients import AlertmanagerClient, PrometheusClient, ReceiverClient
from tests.compose_live.stack import REPO_ROOT, Compose, Urls
from tests.support.quiet import wait_until_quiet

# A scenario's phases end by themselves (lab profile: error-storm ~3 min at most,
# slow-llm ~4.5 min); this only stops a hung run.
SCENARIO_TIMEOUT_SECONDS = 480


@pytest.mark.parametrize("scenario", ["error-storm", "slow-llm"])
def test_scenario_lands_every_transition_in_its_window(
    stack: Compose, urls: Urls, admin_token: str, scenario: str, tmp_path: Path
) -> None:
    # The previous scenario's alerts must be over, groups flushed in Alertmanager: an alert
    # joining a group that still exists is notified at its next group_interval tick, not
    # after group_wait as predicted (seen: DemoAppFaultActive of error-storm, still in its
    # group when slow-llm's fired, was notified 5 s past its window). Both scenarios expect
    # DemoAppFaultActive, so their expected alerts cover it.
    names = SCENARIOS[scenario].expected_alerts
    with (
        PrometheusClient(urls.prometheus) as prometheus,
        AlertmanagerClient(urls.alertmanager) as alertmanager,
        ReceiverClient(urls.alert_receiver) as receiver,
    ):
        quiet = wait_until_quiet(prometheus, alertmanager, receiver, names)
    assert quiet, f"{names} still active\n{stack.diagnostics()}"
    # The CLI reads the ports from the environment, as it would from a user's shell.
    env = {**stack.env, "DEMO_APP_ADMIN_TOKEN": admin_token}
    playground = Path(sys.executable).with_name("playground")
    result = subprocess.run(
        [str(playground), "scenario", scenario, "--target", "compose", "--results", tmp_path],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCENARIO_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, (
        f"`playground scenario {scenario} --target compose` exited {result.returncode}\n"
        f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}\n{stack.diagnostics()}"
    )
