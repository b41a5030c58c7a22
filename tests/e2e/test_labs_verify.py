"""Each lab's `playground lab verify N` on live stacks: on a stack where no lab was done it
fails and says what is missing; once the lab's steps are done it passes.

Two stacks. The session's shared one (one demo_app worker, background traffic) is where the
labs get done: labs 2 to 4 reuse the alert lifecycles other e2e tests ran on it when they are
in the window, and run them here when they are not, so the order of the test files does not
matter. A second, untouched stack (demo_app with two workers, no traffic) is where no lab was
done; lab 6 then passes on it once traffic flows. Every fault, silence and hand-made alert is
undone in a `finally`, and hand-made alerts carry `job` values of their own, so the other
tests on the shared stack never see them.
"""

import datetime as dt
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from demo_app.cardinality_demo import MAX_SERIES
from playground.cli.main import main
from playground.cli.plans import offline_faults
from playground.core.polling import wait_until
from playground.native.parts import stack_ports
from playground.native.stack import NativeStack
from playground.native.tools import Tools
from playground.scenarios.predictions import offline_alert_config
from playground.scenarios.timings import AlertTiming, alert_timing
from playground.teaching.labs import FAST_BURN, Check, LiveStack, lab
from tests.support.traffic import TrafficDriver

pytestmark = pytest.mark.e2e

POLL_SECONDS = 2.0
# How long a lab's alerts may take to be notified firing after its preset, and resolved
# after the reset: the predicted latest waits (playground.scenarios.timings, lab profile)
# times this factor. A give-up bound on a shared 2-core machine, not a timing check: the
# scenario runner checks the timings.
GIVE_UP_FACTOR = 2.0
CARDINALITY_CAP = MAX_SERIES
# The route DemoAppDown takes in alertmanager/alertmanager.yml.
GROUP_WAIT_SECONDS = offline_alert_config("lab").intervals("DemoAppDown").group_wait


def _verify(stack: NativeStack, number: int, within: str = "3h") -> list[Check]:
    live = LiveStack(stack.urls, stack.settings.PLAYGROUND_RUN_DIR)
    try:
        return lab(number).verify(live, within)
    finally:
        live.close()


def _missing(checks: list[Check]) -> dict[str, str]:
    return {c.name: c.detail for c in checks if not c.passed}


def _until_passes(stack: NativeStack, number: int, timeout: float) -> list[Check]:
    def passed() -> list[Check] | None:
        stack.check_alive()
        checks = _verify(stack, number)
        return checks if all(c.passed for c in checks) else None

    return wait_until(passed, timeout, POLL_SECONDS) or _verify(stack, number)


def _assert_passes(stack: NativeStack, number: int, timeout: float) -> None:
    checks = _until_passes(stack, number, timeout)
    assert not _missing(checks), f"lab {number} still missing {_missing(checks)}\n" + (
        stack.diagnostics()
    )


@pytest.fixture(scope="module")
def untouched_stack(stack_settings) -> Iterator[NativeStack]:
    """A fresh stack where no lab was done: two demo_app workers, no traffic yet."""
    settings = stack_settings("untouched-stack")
    extra_env = {"demo_app": {"DEMO_APP_WORKERS": "2"}}
    with NativeStack(settings, fresh=True, extra_env=extra_env) as stack:
        scraped = wait_until(lambda: stack.prometheus.query('up{job="demo_app"} == 1'), 30, 0.5)
        assert scraped, stack.diagnostics()
        yield stack


# --- where no lab was done --------------------------------------------------------------------

# For each lab: a check that must fail on an untouched stack, and words its detail must hold.
MISSING_ON_AN_UNTOUCHED_STACK = {
    1: ("your agent turn is recorded under its route, with status 200", "send one"),
    2: ("HighErrorRate fired in Prometheus", "playground faults preset error-storm"),
    3: ("SlowLLM fired in Prometheus", "playground faults preset slow-llm"),
    4: ("DemoAppErrorBudgetBurn (burn=fast) fired", "playground faults preset error-storm"),
    5: (f"demo_bad_customer_lookups_total reached its cap of {CARDINALITY_CAP} series", "switch"),
    7: ("you created a silence", "add one with amtool"),
}


def test_verify_fails_and_says_what_is_missing_where_no_lab_was_done(
    untouched_stack: NativeStack,
) -> None:
    for number, (name, words) in MISSING_ON_AN_UNTOUCHED_STACK.items():
        checks = _verify(untouched_stack, number)
        missing = _missing(checks)
        assert name in missing, f"lab {number}: {name!r} should fail; got {checks}"
        assert words in missing[name], f"lab {number}: {missing[name]!r}"
    # Lab 1's first check is about the stack, not the learner: it passes.
    assert "Prometheus scrapes demo_app" not in _missing(_verify(untouched_stack, 1))


def test_the_command_exits_1_and_prints_what_is_missing(
    untouched_stack: NativeStack, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    for name, port in stack_ports(untouched_stack.settings).items():
        monkeypatch.setenv(name, str(port))
    monkeypatch.setenv("PLAYGROUND_RUN_DIR", str(untouched_stack.settings.PLAYGROUND_RUN_DIR))
    assert main(["lab", "verify", "2"]) == 1
    out = capsys.readouterr().out
    assert "MISSING  HighErrorRate fired in Prometheus" in out
    assert "Not yet" in out


def test_lab_6_verify_fails_on_a_single_process(native_stack: NativeStack) -> None:
    missing = _missing(_verify(native_stack, 6))
    assert "DEMO_APP_WORKERS=2" in missing["demo_app runs two or more worker processes"]
    assert "prometheus-client runs in multiprocess mode" in missing


# --- where the lab was done -------------------------------------------------------------------


def test_lab_1_verify_passes_once_its_requests_were_sent(native_stack: NativeStack) -> None:
    with httpx.Client(base_url=native_stack.urls.demo_app, timeout=10, trust_env=False) as api:
        assert api.post("/api/v1/messages", json={"message": "Where is my order?"}).is_success
        assert api.get("/api/v1/customers/cus_00042").status_code == 200
        assert api.get("/api/v1/customers/cus_99999").status_code == 404
        for _ in range(20):
            assert api.get("/health").status_code == 200
        assert api.get("/no/such/path").status_code == 404
    _assert_passes(native_stack, 1, 20)


# Lab -> the preset its steps switch on, and the alerts (name, labels picking one rule) that
# must have fired and resolved.
ALERT_LABS: dict[int, tuple[str, tuple[tuple[str, dict[str, str]], ...]]] = {
    2: ("error-storm", (("HighErrorRate", {}),)),
    3: ("slow-llm", (("SlowLLM", {}),)),
    4: ("error-storm", (("HighErrorRate", {}), FAST_BURN)),
}


def _timings(number: int) -> list[AlertTiming]:
    """The predicted waits of the lab's alerts, from this repository's lab configs."""
    config, faults = offline_alert_config("lab"), offline_faults()
    timings = [
        alert_timing(config, faults, "lab", n, **labels) for n, labels in ALERT_LABS[number][1]
    ]
    assert None not in timings, f"lab {number}: an alert without a prediction"
    return [timing for timing in timings if timing is not None]


def _fire_timeout(number: int) -> float:
    return GIVE_UP_FACTOR * max(timing.notified_within for timing in _timings(number))


def _resolve_timeout(number: int) -> float:
    return GIVE_UP_FACTOR * max(timing.resolved_notified_within for timing in _timings(number))


def _do_alert_lab(stack: NativeStack, number: int) -> None:
    """The lab's steps: the preset on until every alert was notified firing, then reset."""
    preset, alerts = ALERT_LABS[number]
    alertnames = {name for name, _ in alerts}
    started = dt.datetime.now(dt.UTC)

    def notified() -> bool:
        names = {
            alert["labels"].get("alertname")
            for note in stack.receiver.notifications(status="firing", since=started)
            for alert in note["alerts"]
        }
        return alertnames <= names

    stack.demo_app.apply_preset(preset)
    try:
        if not wait_until(notified, _fire_timeout(number), POLL_SECONDS):
            pytest.fail(f"{alertnames} not notified under {preset}\n{stack.diagnostics()}")
    finally:
        stack.demo_app.reset()


@pytest.mark.parametrize("number", sorted(ALERT_LABS))
def test_alert_lab_verify_passes_once_the_alert_fired_and_resolved(
    native_stack: NativeStack, traffic, number: int
) -> None:
    alertnames = tuple(name for name, _ in ALERT_LABS[number][1])
    missing = _missing(_verify(native_stack, number))
    if any(name.startswith(alertnames) and " fired" in name for name in missing):
        _do_alert_lab(native_stack, number)
    # Resolution (and the resolved notification) may still be under way, ours or an earlier
    # test's.
    _assert_passes(native_stack, number, _resolve_timeout(number))


def _cardinality_switch(stack: NativeStack, enabled: bool) -> dict:
    response = httpx.put(
        f"{stack.urls.demo_app}/admin/cardinality-demo",
        json={"enabled": enabled},
        headers={"Authorization": f"Bearer {stack.admin_token}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def test_lab_5_verify_passes_after_the_cardinality_demo(native_stack: NativeStack) -> None:
    prometheus = native_stack.prometheus

    def number(expr: str) -> float | None:
        result = prometheus.query(expr)
        return float(result[0]["value"][1]) if result else None

    head_before = number("prometheus_tsdb_head_series") or 0
    try:
        assert _cardinality_switch(native_stack, True)["enabled"] is True
        with httpx.Client(base_url=native_stack.urls.demo_app, timeout=10) as api:
            for n in range(1, CARDINALITY_CAP + 101):
                assert api.get(f"/api/v1/customers/cus_{n:05d}").status_code == 200
        count = 'count(demo_bad_customer_lookups_total{job="demo_app"})'
        assert wait_until(lambda: number(count) == CARDINALITY_CAP, 20, 1), number(count)
    finally:
        assert _cardinality_switch(native_stack, False)["series"] == 0
    assert wait_until(lambda: not prometheus.query(count), 20, 1), "series still scraped"
    # Gone from the scrape, not from the head block: that waits for the next compaction.
    head_after = number("prometheus_tsdb_head_series") or 0
    assert head_after >= head_before + CARDINALITY_CAP, (head_before, head_after)
    _assert_passes(native_stack, 5, 20)


def test_lab_6_verify_passes_with_two_workers_under_load(untouched_stack: NativeStack) -> None:
    driver = TrafficDriver(untouched_stack.urls.demo_app, threads=4, max_seconds=120).start()
    try:
        _assert_passes(untouched_stack, 6, 60)
    finally:
        driver.stop()


def _amtool(stack: NativeStack, *args: str) -> str:
    amtool = Tools(stack.settings).binary("amtool")
    result = subprocess.run(
        [amtool, f"--alertmanager.url={stack.urls.alertmanager}", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# Hand-made alerts, as lab 7's amtool commands make them; their own `job` values keep them
# away from everything real on the shared stack.
SILENCED = ("alertname=HighErrorRate", "job=lab7-verify-silence", "severity=critical")
SOURCE = ("alertname=DemoAppDown", "job=lab7-verify-inhibit", "severity=critical")
INHIBITED = ("alertname=SlowLLM", "job=lab7-verify-inhibit", "severity=warning")


def _labels(pairs: tuple[str, ...]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


def test_lab_7_verify_passes_once_a_silence_and_an_inhibition_are_in_place(
    native_stack: NativeStack,
) -> None:
    stack = native_stack
    silence = _amtool(
        stack,
        "silence",
        "add",
        *SILENCED[:2],
        "--duration=10m",
        "--author=e2e",
        "--comment=lab 7 verify test",
    )
    sent_at = dt.datetime.now(dt.UTC)
    try:
        for alert in (SILENCED, SOURCE, INHIBITED):
            _amtool(stack, "alert", "add", *alert)

        def state(pairs: tuple[str, ...]) -> dict | None:
            held = [a for a in stack.alertmanager.alerts() if a["labels"] == _labels(pairs)]
            return held[0]["status"] if held else None

        assert wait_until(lambda: (state(SILENCED) or {}).get("silencedBy") == [silence], 10)
        assert wait_until(lambda: (state(INHIBITED) or {}).get("inhibitedBy"), 10)
        _assert_passes(stack, 7, 20)

        # group_wait, live: the new DemoAppDown group is notified about 10 s after the alert.
        def source_notified() -> list[dict]:
            return [
                note
                for note in stack.receiver.notifications(since=sent_at)
                if any(a["labels"] == _labels(SOURCE) for a in note["alerts"])
            ]

        notes = wait_until(source_notified, GROUP_WAIT_SECONDS + 20, 0.2)
        assert notes, stack.diagnostics()
        delay = (dt.datetime.fromisoformat(notes[-1]["received_at"]) - sent_at).total_seconds()
        assert GROUP_WAIT_SECONDS - 0.5 <= delay <= GROUP_WAIT_SECONDS + 5, delay
        # Neither the silenced nor the inhibited alert ever reached the receiver.
        delivered = [
            a["labels"] for n in stack.receiver.notifications(since=sent_at) for a in n["alerts"]
        ]
        assert _labels(SILENCED) not in delivered and _labels(INHIBITED) not in delivered
    finally:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for alert in (INHIBITED, SILENCED, SOURCE):
            _amtool(stack, "alert", "add", *alert, f"--end={now}")
        _amtool(stack, "silence", "expire", silence)
    # Nothing of this test stays active for the tests that follow.
    mine = [_labels(pairs) for pairs in (SILENCED, SOURCE, INHIBITED)]
    assert wait_until(
        lambda: not [a for a in stack.alertmanager.alerts() if a["labels"] in mine], 10
    )
