"""`playground scenario error-storm` end to end on the native stack (lab profile).

The runner drives real Locust against the shared native stack (tests/e2e/conftest.py),
switches the error-storm preset on and off, and writes its report. The test reads the
report's timeline: HighErrorRate must go pending, firing, notified and resolved, in that
order, each within the window predicted from the live rules (tolerance +15%). A second test
presses Ctrl-C (a real SIGINT to a real `playground scenario` process) in the middle of the
incident and checks that the faults are reset and Locust is gone.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from loadtest.scenarios import SCENARIOS
from playground.core.polling import wait_until
from playground.native.processes import PidRecord, default_stop_signals
from playground.native.stack import NativeStack
from playground.scenarios.plan import RunOptions
from playground.scenarios.runner import ScenarioRunner
from tests.support.scenarios import target_of

pytestmark = pytest.mark.e2e

SUBJECT = "HighErrorRate"
ORDER = ("pending", "firing", "notified", "resolved", "resolved notified")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.timeout(600)
def test_error_storm_goes_pending_firing_notified_resolved_within_its_predictions(
    native_stack: NativeStack, tmp_path: Path, wait_until_quiet
) -> None:
    # An earlier test may have fired the scenario's alerts (tests/e2e/conftest.py).
    wait_until_quiet(SCENARIOS["error-storm"].expected_alerts)
    lines: list[str] = []
    runner = ScenarioRunner(
        SCENARIOS["error-storm"],
        target_of(native_stack),
        RunOptions(results_root=tmp_path),
        say=lines.append,
    )
    started = time.monotonic()
    result = runner.run()
    took = time.monotonic() - started
    report = json.loads((result.folder / "report.json").read_text())
    context = "\n".join(lines) + f"\n(run took {took:.0f} s)\n" + native_stack.diagnostics()

    assert report["outcome"] == "completed", context
    checks = {c["kind"]: c for c in report["checks"] if c["alert"] == SUBJECT}
    for kind in ORDER:
        assert checks[kind]["observed_s"] is not None, f"{SUBJECT} never {kind}\n{context}"
        assert checks[kind]["status"] == "on time", f"{checks[kind]}\n{context}"
    times = [checks[kind]["observed_s"] for kind in ORDER]
    assert times == sorted(times), context
    # The timeline itself has the same transitions, in the same order.
    timeline = [item["kind"] for item in report["timeline"] if item["alertname"] == SUBJECT]
    assert [kind for kind in timeline if kind in ORDER] == list(ORDER), context
    assert result.ok, context

    # The system is as it was: healthy, and the load gone.
    assert native_stack.demo_app.faults()["active_preset"] == "healthy"
    assert runner.locust is not None and not runner.locust.is_running()
    locust = report["locust"]["total"]
    assert 0 < locust["failures"] < locust["requests"]
    png = (result.folder / "timeline.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 20_000
    markdown = (result.folder / "report.md").read_text()
    assert "| HighErrorRate | notified |" in markdown
    print(context)


@pytest.mark.timeout(300)
def test_ctrl_c_in_the_incident_resets_the_faults_and_stops_locust(
    native_stack: NativeStack, tmp_path: Path
) -> None:
    urls = native_stack.urls
    token_file = tmp_path / "admin-token"
    token_file.write_text(native_stack.admin_token)
    results = tmp_path / "results"
    command = [
        sys.executable,
        "-m",
        "playground",
        "scenario",
        "error-storm",
        f"--demo-app-url={urls.demo_app}",
        f"--prometheus-url={urls.prometheus}",
        f"--alertmanager-url={urls.alertmanager}",
        f"--receiver-url={urls.alert_receiver}",
        f"--admin-token-file={token_file}",
        f"--results={results}",
        "--warmup=5",
        "--profile=lab",
    ]
    output = tmp_path / "output.txt"
    with output.open("w") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
            # The stack's own Locust metrics port: the default (9646) is shared by every test
            # that leaves it out, and a second Locust master on it exits at once.
            env={
                **os.environ,
                "PYTHONUNBUFFERED": "1",
                "LOCUST_METRICS_PORT": str(native_stack.settings.LOCUST_METRICS_PORT),
            },
            start_new_session=True,
            # Ctrl-C works as in a terminal even when this test run ignores SIGINT (a run
            # started in the background, as `nohup make test &` is, hands that on).
            preexec_fn=default_stop_signals,
        )
    try:
        switched = wait_until(lambda: "fault switched on" in output.read_text(), 90, 0.2)
        assert switched, output.read_text()
        assert native_stack.demo_app.faults()["active_preset"] == "error-storm"
        records = [r for folder in results.iterdir() for r in PidRecord.load_all(folder / ".pids")]
        assert [r.name for r in records] == ["locust"], output.read_text()
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = output.read_text()
    assert code == 1, text
    assert "interrupted in the incident phase" in text
    assert "faults reset to healthy" in text
    assert native_stack.demo_app.faults()["active_preset"] == "healthy"
    assert not records[0].is_alive(), "Locust outlived the runner"
    report = json.loads(next(results.glob("error-storm-*/report.json")).read_text())
    assert report["outcome"] == "interrupted"
    assert report["problems"] == ["Interrupted (Ctrl-C) in the incident phase."]
