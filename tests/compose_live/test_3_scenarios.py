"""`playground scenario NAME --target compose`, as docs/compose.md tells a user to run it:
every alert transition it predicts (from the rules Prometheus loaded) lands in its window."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.compose_live.stack import REPO_ROOT, Compose

# A scenario's phases end by themselves (lab profile: error-storm ~3 min at most,
# slow-llm ~4.5 min); this only stops a hung run.
SCENARIO_TIMEOUT_SECONDS = 480


@pytest.mark.parametrize("scenario", ["error-storm", "slow-llm"])
def test_scenario_lands_every_transition_in_its_window(
    stack: Compose, admin_token: str, scenario: str, tmp_path: Path
) -> None:
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
