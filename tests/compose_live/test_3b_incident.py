"""`playground incident start one-replica-broken --target compose`, played as a user would:
the game picks one of the three replicas and breaks it alone; the page comes; the evidence
picks out that replica's instance; a wrong then a right answer (`playground incident
answer` flags) are graded; `stop`; every replica is healthy again and the alerts are quiet
for the next module.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from playground.core.clients import PrometheusClient
from playground.teaching.incidents.catalogue import load_catalogue
from playground.teaching.incidents.game import GameState, evaluate_evidence, load_state
from playground.teaching.incidents.replicas import REPLICAS_QUERY
from tests.compose_live.stack import REPLICAS, REPO_ROOT, Compose, Urls, prometheus_query

NAME = "one-replica-broken"
SEED = 7
PLAYGROUND = Path(sys.executable).with_name("playground")
# Lab profile: a 30 s warmup, then HighErrorRate (30s window, `for` 30s) and the fast burn
# (6m and 30s windows, `for` 12s) within about a minute; quiet again about 40 s after reset.
QUIET_TIMEOUT_SECONDS = 240
# Prometheus finds the replicas by DNS (5 s refresh) and scrapes each every 5 s.
REPLICAS_TIMEOUT_SECONDS = 60
PAGE_TIMEOUT_SECONDS = 240
ANNOUNCE_TIMEOUT_SECONDS = 180
EVIDENCE_TIMEOUT_SECONDS = 90
EXIT_TIMEOUT_SECONDS = 90

# Inside one replica: its name, the preset its fault state equals as its admin API reads
# it (a 403 while hidden; "healthy" once reset), and the statuses of 20 lookups sent to it alone.
_REPLICA_CODE = """
import json, socket, urllib.request, urllib.error
base = "http://127.0.0.1:8000"
token = open("/var/lib/demo_app/admin-token").read().strip()
headers = {"Authorization": "Bearer " + token}
request = urllib.request.Request(base + "/admin/faults", headers=headers)
try:
    faults = json.load(urllib.request.urlopen(request, timeout=5))["active_preset"]
except urllib.error.HTTPError as error:
    faults = error.code
codes = []
for n in range(1, 21):
    try:
        url = f"{base}/api/v1/customers/cus_{n:05d}"
        codes.append(urllib.request.urlopen(url, timeout=10).status)
    except urllib.error.HTTPError as error:
        codes.append(error.code)
print(json.dumps({"replica": socket.gethostname(), "faults": faults, "codes": codes}))
"""


def _replicas(stack: Compose) -> list[dict[str, Any]]:
    return [
        json.loads(stack.exec("demo_app", index, "python", "-c", _REPLICA_CODE))
        for index in range(1, REPLICAS + 1)
    ]


def _alerts(urls: Urls) -> set[tuple[str, str]]:
    """(alertname, state) of every pending or firing alert in Prometheus."""
    alerts = httpx.get(f"{urls.prometheus}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return {(a["labels"]["alertname"], a["state"]) for a in alerts}


def _poll(what: str, probe: Callable[[], Any], timeout: float, seen: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s\n{seen()}")
        time.sleep(2)


def test_one_broken_replica_is_paged_found_graded_and_reset(
    stack: Compose, admin_token: str, urls: Urls, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    env = {**stack.env, "DEMO_APP_ADMIN_TOKEN": admin_token, "PLAYGROUND_RUN_DIR": str(run_dir)}
    incident = load_catalogue().by_name()[NAME]
    log_path = tmp_path / "start.log"

    def playground(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PLAYGROUND), "incident", *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def seen() -> str:
        state = load_state(run_dir)
        return (
            f"alerts: {sorted(_alerts(urls))}\nstate: "
            f"{state.model_dump_json(indent=1) if state else None}\n"
            f"`incident start` printed:\n{log_path.read_text()[-5000:]}"
        )

    # The scenarios before leave nothing firing for long; wait, so the page is this game's.
    _poll("no alert pending or firing", lambda: not _alerts(urls), QUIET_TIMEOUT_SECONDS, seen)
    # What the game picks from: every replica scraped, each with its name.
    replicas: list[Any] = []

    def every_replica_named() -> bool:
        replicas[:] = prometheus_query(urls.prometheus, REPLICAS_QUERY)
        return len({r["metric"]["replica"] for r in replicas}) == REPLICAS

    _poll("3 replicas", every_replica_named, REPLICAS_TIMEOUT_SECONDS, lambda: f"{replicas}")
    with log_path.open("w") as log:
        start = subprocess.Popen(
            [
                str(PLAYGROUND),
                "incident",
                "start",
                NAME,
                "--target",
                "compose",
                "--seed",
                str(SEED),
                "--max-minutes",
                "15",
                "--results",
                str(tmp_path / "results"),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        # The page, and the replica the game broke: one of the three, by name and instance.
        def paged() -> GameState | None:
            assert start.poll() is None, f"`incident start` exited {start.returncode}\n{seen()}"
            state = load_state(run_dir)
            return state if state is not None and state.paged_at is not None else None

        state: GameState = _poll("the page", paged, PAGE_TIMEOUT_SECONDS, seen)
        chosen = state.replica
        assert chosen is not None, seen()
        assert any(name in (state.page or "") for name in incident.announce.alerts), seen()
        before = {r["replica"]: r for r in _replicas(stack)}
        assert chosen.replica in before, f"{chosen} is not one of {sorted(before)}"
        assert set(before[chosen.replica]["codes"]) & {500}, before[chosen.replica]
        for name, replica in before.items():
            assert replica["faults"] == 403, replica  # hidden everywhere
            if name != chosen.replica:
                assert set(replica["codes"]) == {200}, replica

        # What fires: every announced alert, no quiet one (measured, printed for the record).
        fired: set[str] = set()

        def announced() -> bool:
            now = _alerts(urls)
            fired.update(name for name, status in now if status == "firing")
            assert not fired & set(incident.announce.quiet_alerts), seen()
            return set(incident.announce.alerts) <= fired

        _poll("every announced alert firing", announced, ANNOUNCE_TIMEOUT_SECONDS, seen)
        print(f"\nfired: {sorted(fired)}; page:\n{state.page}")

        # The evidence, as the debrief evaluates it, picks out the chosen replica's instance.
        played = state.incident_played()
        with PrometheusClient(urls.prometheus) as prometheus:
            results: list[Any] = []

            def evidence_holds() -> bool:
                results[:] = [evaluate_evidence(prometheus, e, "lab") for e in played.evidence]
                return all(r.ok for r in results)

            _poll(
                "the evidence",
                evidence_holds,
                EVIDENCE_TIMEOUT_SECONDS,
                lambda: f"{[(r.title, r.why, r.samples[:3]) for r in results]}\n{seen()}",
            )
        top = next(r for r in results if r.samples and "instance" in r.samples[0][0])
        assert top.samples[0][0]["instance"] == chosen.instance
        # For the record: each replica's 5xx share, and the job-wide one the alerts see.
        shares = prometheus_query(
            urls.prometheus,
            'sum by (instance) (rate(http_requests_total{job="demo_app",status=~"5.."}[30s]))'
            ' / sum by (instance) (rate(http_requests_total{job="demo_app"}[30s]))',
        )
        job = prometheus_query(urls.prometheus, "job:http_request_errors:ratio_rate30s")
        print(
            f"chosen {chosen}; 5xx share by instance: "
            f"{ {r['metric']['instance']: round(float(r['value'][1]), 3) for r in shares} }; "
            f"job-wide: {[round(float(r['value'][1]), 3) for r in job]}"
        )

        # A wrong replica, then the right one: graded, and the right one ends the game.
        other = next(r for r in sorted(before) if r != chosen.replica)
        wrong = playground(
            "answer", "--dimension", "replica", "--value", other, "--cause", "errors", "--notes", ""
        )
        assert wrong.returncode == 1, wrong.stdout + wrong.stderr
        assert "right kind (replica), wrong replica (+15)" in wrong.stdout, wrong.stdout
        right = playground(
            "answer",
            "--dimension",
            "replica",
            "--value",
            chosen.instance,
            "--cause",
            "errors",
            "--notes",
            "one replica fails half its requests",
        )
        assert right.returncode == 0, right.stdout + right.stderr + seen()
        assert "dimension: right (+40)" in right.stdout, right.stdout
        assert "earlier wrong answers: -5" in right.stdout, right.stdout
        assert f"replica `{chosen.instance}` (DEMO_APP_REPLICA `{chosen.replica}`)" in right.stdout
        grades = [a.grade for a in (load_state(run_dir) or state).answers]
        assert [(g["solved"], g["dimension_points"]) for g in grades] == [(False, 15), (True, 40)]
        assert grades[1]["total"] == 40 + 40 + 20 - 5, grades[1]
        assert start.wait(timeout=EXIT_TIMEOUT_SECONDS) == 0, seen()
    finally:
        if start.poll() is None:
            start.terminate()
            start.wait(timeout=30)
        stopped = playground("stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "faults reset to healthy" in stopped.stdout, stopped.stdout

    # Every replica is healthy and says so (its faults readable again, nothing injected).
    after = _replicas(stack)
    for replica in after:
        assert replica["faults"] == "healthy", replica
        assert set(replica["codes"]) == {200}, replica
    # Quiet again for the next module.
    _poll("the alerts resolved", lambda: not _alerts(urls), QUIET_TIMEOUT_SECONDS, seen)
