"""What alertmanager/alertmanager.yml and its docs teach, shown on a real Alertmanager.

Each test starts Alertmanager 0.33 (.tools/bin) with the playground's routes and inhibit
rule, and a webhook that records every notification on a loopback port. Alerts are posted
by hand. The playground's timings (10 s, 30 s, 1 h) are shrunk to seconds with their order
kept (group_wait < group_interval < repeat_interval), so each test takes seconds, not an hour;
the values themselves are checked in test_alertmanager_config.py.

Every claim is checked twice: on the config as written, where it must hold, and on a copy
mutated so that the claim is false, where the same check must fail. A check that passes
either way proves nothing.
"""

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.tools

# Shrunk timings, in seconds. Their order is the config's; the gaps are wide enough that an
# evaluation tick or a busy CPU (a second or so) cannot make one look like another.
GROUP_WAIT = 1.0
GROUP_INTERVAL = 4.0
REPEAT_INTERVAL = 14.0
# How late Alertmanager's timers and this machine may be, in seconds.
SLACK = 1.5
# How long a posted alert stays firing unless posted again (Alertmanager's endsAt).
FIRING_FOR = timedelta(minutes=10)


@dataclass
class Sink:
    """The webhook: every notification, with the monotonic time it arrived."""

    url: str
    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def notes(self, alertname: str, status: str = "firing") -> list[float]:
        """Arrival times of notifications holding an alert of this name in this status."""
        with self.lock:
            return [
                at
                for at, body in self.received
                if any(
                    a["labels"].get("alertname") == alertname and a["status"] == status
                    for a in body["alerts"]
                )
            ]

    def wait_for(self, alertname: str, count: int, seconds: float) -> list[float]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.notes(alertname)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.notes(alertname)


@pytest.fixture
def sink() -> Iterator[Sink]:
    received = Sink(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with received.lock:
                received.received.append((time.monotonic(), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()


def shrunk(repo, sink: Sink, *, equal: list[str] | None = None, **timings: float) -> dict[str, Any]:
    """The playground's config with seconds-long timings and every receiver on the sink."""
    config = repo.load(repo.alertmanager_config)
    config["route"].update(
        group_wait=f"{timings.get('group_wait', GROUP_WAIT):g}s",
        group_interval=f"{timings.get('group_interval', GROUP_INTERVAL):g}s",
        repeat_interval=f"{timings.get('repeat_interval', REPEAT_INTERVAL):g}s",
    )
    for receiver in config["receivers"]:
        receiver["webhook_configs"] = [{"url": sink.url, "send_resolved": True}]
    if equal is not None:
        config["inhibit_rules"][0]["equal"] = equal
    return config


def _stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def post(url: str, *label_sets: dict[str, str], resolved: bool = False) -> None:
    """Sends alerts as Prometheus does: firing (ends in the future) or resolved (ended now)."""
    now = datetime.now(UTC)
    ends = now if resolved else now + FIRING_FOR
    alerts = [
        {"labels": labels, "annotations": {"summary": "Test."}, "endsAt": _stamp(ends)}
        for labels in label_sets
    ]
    response = httpx.post(f"{url}/api/v2/alerts", json=alerts, timeout=5)
    assert response.status_code == 200, response.text


HIGH_ERROR_RATE = {"alertname": "HighErrorRate", "job": "demo_app", "severity": "critical"}
SLOW_LLM = {"alertname": "SlowLLM", "job": "demo_app", "severity": "warning"}
DEMO_APP_DOWN = {"alertname": "DemoAppDown", "job": "demo_app", "severity": "critical"}


# --------------------------------------------------------------------------- repeat_interval


def observe_repeats(url: str, sink: Sink, seconds: float) -> list[float]:
    """Fires HighErrorRate and keeps it firing; the times of its firing notifications."""
    post(url, HIGH_ERROR_RATE)
    time.sleep(seconds)
    return sink.notes("HighErrorRate")


def assert_resent_every_repeat_interval(times: list[float], repeat: float, interval: float):
    """A still-firing, unchanged group is re-sent after repeat_interval, on a group tick."""
    assert len(times) >= 2, f"never re-sent: {times}"
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    for gap in gaps:
        assert repeat - SLACK <= gap <= repeat + interval + SLACK, (gaps, repeat, interval)


def test_a_still_firing_group_is_re_sent_after_repeat_interval_not_at_every_group_interval(
    repo, sink: Sink, start_alertmanager
) -> None:
    url = start_alertmanager(shrunk(repo, sink))
    times = observe_repeats(url, sink, GROUP_WAIT + REPEAT_INTERVAL + GROUP_INTERVAL + SLACK)
    assert_resent_every_repeat_interval(times, REPEAT_INTERVAL, GROUP_INTERVAL)


def test_the_repeat_check_fails_on_a_config_whose_repeat_interval_is_a_group_interval(
    repo, sink: Sink, start_alertmanager
) -> None:
    mutated = shrunk(repo, sink, repeat_interval=GROUP_INTERVAL)
    url = start_alertmanager(mutated)
    times = observe_repeats(url, sink, GROUP_WAIT + 3 * GROUP_INTERVAL + SLACK)
    with pytest.raises(AssertionError):
        assert_resent_every_repeat_interval(times, REPEAT_INTERVAL, GROUP_INTERVAL)


# ---------------------------------------------------------------------------- group_interval


def observe_joining_alert(url: str, sink: Sink) -> tuple[float, float]:
    """First notification of a group, then a second alert joins it: both notification times."""
    post(url, {**HIGH_ERROR_RATE, "instance": "a"})
    (first, *_) = sink.wait_for("HighErrorRate", 1, GROUP_WAIT + 10)
    post(url, {**HIGH_ERROR_RATE, "instance": "a"}, {**HIGH_ERROR_RATE, "instance": "b"})
    times = sink.wait_for("HighErrorRate", 2, GROUP_INTERVAL + 10)
    assert len(times) >= 2, f"the joining alert was never notified: {times}"
    return first, times[1]


def assert_change_waits_for_the_next_tick(first: float, second: float, interval: float) -> None:
    """A change to a group that has notified goes out on its next tick: not sooner, not later."""
    assert interval - SLACK <= second - first <= interval + SLACK, (second - first, interval)


def test_an_alert_joining_a_notified_group_waits_one_group_interval(
    repo, sink: Sink, start_alertmanager
) -> None:
    url = start_alertmanager(shrunk(repo, sink))
    first, second = observe_joining_alert(url, sink)
    assert_change_waits_for_the_next_tick(first, second, GROUP_INTERVAL)


def test_the_group_interval_check_fails_on_a_config_with_a_shorter_group_interval(
    repo, sink: Sink, start_alertmanager
) -> None:
    url = start_alertmanager(shrunk(repo, sink, group_interval=GROUP_WAIT))
    first, second = observe_joining_alert(url, sink)
    with pytest.raises(AssertionError):
        assert_change_waits_for_the_next_tick(first, second, GROUP_INTERVAL)


# ------------------------------------------------- the end of a mute and the notification log


@dataclass
class AfterMute:
    """Notification times around a mute that started after HighErrorRate was notified."""

    first: float  # HighErrorRate's first notification, before the mute
    unmuted: float  # when the mute ended
    high_error_rate: list[float]  # its firing notifications after the mute ended
    slow_llm: list[float]  # SlowLLM, which first fired during the mute


def observe_after_mute(url: str, sink: Sink, mute: Callable[[], Callable[[], None]]) -> AfterMute:
    """HighErrorRate fires and is notified; then a mute starts, SlowLLM fires under it, and
    the mute ends a few group intervals later. `mute` starts it and returns its end."""
    post(url, HIGH_ERROR_RATE)
    (first, *_) = sink.wait_for("HighErrorRate", 1, GROUP_WAIT + 10)
    unmute = mute()
    post(url, HIGH_ERROR_RATE, SLOW_LLM)
    time.sleep(GROUP_WAIT + 2 * GROUP_INTERVAL)
    unmute()
    unmuted = time.monotonic()
    time.sleep(max(first + REPEAT_INTERVAL + GROUP_INTERVAL + SLACK - time.monotonic(), 0))
    return AfterMute(
        first=first,
        unmuted=unmuted,
        high_error_rate=[t for t in sink.notes("HighErrorRate") if t > first],
        slow_llm=sink.notes("SlowLLM"),
    )


def assert_notified_before_the_mute_waits_for_repeat_interval(seen: AfterMute) -> None:
    # SlowLLM never reached the receiver before: it goes out at its group's next tick.
    assert seen.slow_llm, "SlowLLM was never notified after the mute ended"
    assert seen.slow_llm[0] - seen.unmuted <= GROUP_INTERVAL + SLACK, seen
    # HighErrorRate did: the notification log still holds it as notified-firing, so nothing
    # changed for the dedup stage and it waits for repeat_interval from that notification.
    assert seen.high_error_rate, "HighErrorRate was never notified again"
    assert seen.high_error_rate[0] - seen.first >= REPEAT_INTERVAL - SLACK, seen
    assert seen.high_error_rate[0] - seen.unmuted > GROUP_INTERVAL + SLACK, seen


def inhibit_by_demo_app_down(url: str) -> Callable[[], None]:
    post(url, DEMO_APP_DOWN)
    return lambda: post(url, DEMO_APP_DOWN, resolved=True)


def silence_everything_of_demo_app(url: str) -> Callable[[], None]:
    now = datetime.now(UTC)
    silence = {
        "matchers": [{"name": "job", "value": "demo_app", "isRegex": False, "isEqual": True}],
        "startsAt": _stamp(now),
        "endsAt": _stamp(now + timedelta(hours=1)),
        "createdBy": "tests/configs",
        "comment": "test",
    }
    response = httpx.post(f"{url}/api/v2/silences", json=silence, timeout=5)
    assert response.status_code == 200, response.text
    silence_id = response.json()["silenceID"]

    def expire() -> None:
        assert httpx.delete(f"{url}/api/v2/silence/{silence_id}", timeout=5).status_code == 200

    return expire


@pytest.mark.parametrize(
    "mute", [inhibit_by_demo_app_down, silence_everything_of_demo_app], ids=["inhibit", "silence"]
)
def test_after_a_mute_ends_an_alert_notified_before_it_waits_for_repeat_interval(
    repo, sink: Sink, start_alertmanager, mute
) -> None:
    url = start_alertmanager(shrunk(repo, sink))
    seen = observe_after_mute(url, sink, lambda: mute(url))
    assert_notified_before_the_mute_waits_for_repeat_interval(seen)


def test_the_old_claim_renotified_at_the_next_group_interval_would_fail_this_check() -> None:
    # What alertmanager.yml used to say: a target still firing when DemoAppDown resolves is
    # notified at the next group_interval. Those times fail the check.
    unmuted = 100.0
    old_claim = AfterMute(
        first=100.0 - 2 * GROUP_INTERVAL,
        unmuted=unmuted,
        high_error_rate=[unmuted + GROUP_INTERVAL],
        slow_llm=[unmuted + GROUP_INTERVAL],
    )
    with pytest.raises(AssertionError):
        assert_notified_before_the_mute_waits_for_repeat_interval(old_claim)


# ---------------------------------------------------------- `equal:` and a label one side lacks


def inhibited(url: str) -> dict[tuple[str, str], bool]:
    """(alertname, job) -> whether Alertmanager marks it inhibited, once all are seen."""
    alerts = httpx.get(f"{url}/api/v2/alerts", timeout=5).json()
    return {
        (a["labels"]["alertname"], a["labels"]["job"]): bool(a["status"]["inhibitedBy"])
        for a in alerts
        if a["labels"]["alertname"] != "DemoAppDown"
    }


def observe_equal(url: str) -> dict[tuple[str, str], bool]:
    """DemoAppDown in both of its forms (two jobs), each with a job-level and an
    instance-level symptom: which symptoms are inhibited."""
    absent_form = {**DEMO_APP_DOWN, "job": "absent_form"}  # absent(up{...}): no instance
    up_form = {**DEMO_APP_DOWN, "job": "up_form", "instance": "demo_app:8000"}  # up == 0
    symptoms = []
    for job in ("absent_form", "up_form"):
        # HighErrorRate aggregates instances away; DemoAppSaturated keeps its instance.
        symptoms.append({**HIGH_ERROR_RATE, "job": job})
        symptoms.append(
            {
                "alertname": "DemoAppSaturated",
                "job": job,
                "instance": "demo_app:8000",
                "severity": "warning",
            }
        )
    post(url, absent_form, up_form, *symptoms)
    deadline = time.monotonic() + 10
    seen = inhibited(url)
    while len(seen) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
        seen = inhibited(url)
    time.sleep(0.5)  # the inhibitor indexes sources asynchronously; let it settle
    return inhibited(url)


def test_equal_on_job_inhibits_every_symptom_of_either_form_of_demo_app_down(
    repo, sink: Sink, start_alertmanager
) -> None:
    url = start_alertmanager(shrunk(repo, sink))
    assert observe_equal(url) == {
        ("HighErrorRate", "absent_form"): True,
        ("DemoAppSaturated", "absent_form"): True,
        ("HighErrorRate", "up_form"): True,
        ("DemoAppSaturated", "up_form"): True,
    }


def test_equal_on_instance_compares_a_missing_label_as_empty_on_both_sides(
    repo, sink: Sink, start_alertmanager
) -> None:
    # With `instance` added, a label one side lacks is compared as "": the absent() form
    # (no instance) still mutes the symptoms that have no instance either, and the up == 0
    # form mutes only those with its instance. Not "nothing would ever match".
    url = start_alertmanager(shrunk(repo, sink, equal=["job", "instance"]))
    assert observe_equal(url) == {
        ("HighErrorRate", "absent_form"): True,
        ("DemoAppSaturated", "absent_form"): False,
        ("HighErrorRate", "up_form"): False,
        ("DemoAppSaturated", "up_form"): True,
    }


# ------------------------------------------------------------------- lab 7's clean-up, step 5


def test_resolving_lab_7s_alerts_notifies_the_inhibited_one_as_resolved_too(
    repo, sink: Sink, start_alertmanager
) -> None:
    # Lab 7 sends DemoAppDown and SlowLLM with job="lab7", and SlowLLM with job="other"; then
    # ends all three. SlowLLM{job="lab7"} was never notified firing (inhibited), but once
    # DemoAppDown has ended nothing mutes it, and the group's resolved notification lists
    # every alert of the group, so the receiver sees it resolved.
    url = start_alertmanager(shrunk(repo, sink))
    lab7 = {**SLOW_LLM, "job": "lab7"}
    other = {**SLOW_LLM, "job": "other"}
    down = {**DEMO_APP_DOWN, "job": "lab7"}
    post(url, down, lab7, other)
    sink.wait_for("SlowLLM", 1, GROUP_WAIT + 10)
    time.sleep(GROUP_INTERVAL)
    firing_jobs = {
        a["labels"]["job"]
        for _, body in sink.received
        for a in body["alerts"]
        if a["labels"]["alertname"] == "SlowLLM" and a["status"] == "firing"
    }
    assert firing_jobs == {"other"}
    for labels in (lab7, other, down):  # the lab's order
        post(url, labels, resolved=True)
    deadline = time.monotonic() + 2 * GROUP_INTERVAL + SLACK
    resolved_jobs: set[str] = set()
    while time.monotonic() < deadline and resolved_jobs != {"lab7", "other"}:
        time.sleep(0.2)
        with sink.lock:
            resolved_jobs = {
                a["labels"]["job"]
                for _, body in sink.received
                for a in body["alerts"]
                if a["labels"]["alertname"] == "SlowLLM" and a["status"] == "resolved"
            }
    assert resolved_jobs == {"lab7", "other"}
