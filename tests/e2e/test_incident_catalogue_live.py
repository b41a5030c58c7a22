"""Every incident of docs/incidents/incidents.yaml, played on a live native stack.

A stack and a Locust run (the game's steady load) serve a shelf of incidents, one after
the other, in an order that keeps the waits short; the three shelves run side by side.
For each: wait until the alerts it names are quiet, switch its fault on (hidden, as the
game does), then

- an alert incident: every announced alert is notified as firing to the receiver, and no
  quiet alert fires meanwhile;
- a customer report: for as long as the game waits before reporting, no alert that was
  not already active starts firing, and no quiet alert fires;

and then every evidence query, evaluated as the debrief evaluates it, shows the diagnosis
(the top sample names the failing dimension, or every sample has the expected shape).
Behind the `incidents` marker: `make test-incidents` (docs/incidents/README.md says why).
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from loadtest.scenarios import SCENARIOS, PhaseLengths
from playground.core.clients import StackApiError
from playground.core.polling import wait_until
from playground.native.stack import NativeStack
from playground.scenarios.locust_run import LocustRun
from playground.teaching.incidents.catalogue import Incident, load_catalogue
from playground.teaching.incidents.game import WARMUP_SCENARIO, evaluate_evidence

pytestmark = [pytest.mark.e2e, pytest.mark.incidents]

# The incidents the native stack can play: one replica, so none that breaks one of several.
CATALOGUE = {name: i for name, i in load_catalogue().by_name().items() if "native" in i.targets}
# Three shelves (the Shelf classes at the end), each played in order on its own stack:
# `make test-incidents` gives each class its own pytest-xdist worker (--dist loadscope);
# without xdist they play one after the other. Within a shelf, an incident comes after
# those whose alerts it needs quiet have had time to resolve: the burn-rate alert of an
# error storm stays active for minutes, so the incident that must not fire it
# (customer-lookups-500s) opens its shelf, and the spend alert (a 6m window) comes last.
SHELVES = {
    "errors": ("llama-rate-limits", "error-storm", "messages-500s", "blocked-event-loop"),
    "mixed": (
        "customer-lookups-500s",
        "blind-monitoring",
        "quiet-burn",
        "flapping-stream",
        "mixtral-token-inflation",
    ),
    "latency": ("cardinality-leak", "slow-mixtral", "latency-creep"),
}
ORDER = tuple(name for shelf in SHELVES.values() for name in shelf)
# Lab profile: the slowest announcement (a 6m window, or a 2-minute ramp and SlowLLM's 60 s
# `for`) comes within about 4 minutes; the rest within 2.
ANNOUNCE_TIMEOUT_SECONDS = 420.0
QUIET_TIMEOUT_SECONDS = 300.0
EVIDENCE_TIMEOUT_SECONDS = 90.0
LOCUST_SECONDS = 3600.0


def test_the_order_covers_the_catalogue() -> None:
    assert sorted(ORDER) == sorted(CATALOGUE)


@pytest.fixture(scope="module")
def locust(native_stack: NativeStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The game's steady load for the whole module, after the profile's warmup."""
    profile = native_stack.settings.ALERT_PROFILE
    run = LocustRun(
        tmp_path_factory.mktemp("locust"),
        "baseline",
        PhaseLengths(steady=LOCUST_SECONDS),
        native_stack.urls.demo_app,
        profile,
        # As the game does: Prometheus scrapes the client's metrics (the `locust` job).
        metrics_port=native_stack.settings.LOCUST_METRICS_PORT,
    )
    run.start()
    try:
        run.wait_for_shape()
        time.sleep(SCENARIOS[WARMUP_SCENARIO].lengths[profile].warmup)  # type: ignore[index]
        yield
    finally:
        run.stop()


def _active(stack: NativeStack, state: str | None = None) -> set[str]:
    return {
        alert["labels"]["alertname"]
        for alert in stack.prometheus.alerts()
        if state is None or alert["state"] == state
    }


def _notified_firing(stack: NativeStack, since: float) -> set[str]:
    notes = stack.receiver.notifications(status="firing", since=datetime.fromtimestamp(since, UTC))
    return {
        alert["labels"].get("alertname", "")
        for note in notes
        for alert in note["alerts"]
        if alert["status"] == "firing"
    }


def _evidence_report(stack: NativeStack, incident: Incident) -> list:
    profile = stack.settings.ALERT_PROFILE
    return [evaluate_evidence(stack.prometheus, e, profile) for e in incident.evidence]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Each Shelf subclass plays the incidents of its shelf, in order.
    if metafunc.cls is not None and issubclass(metafunc.cls, Shelf):
        metafunc.parametrize("name", SHELVES[metafunc.cls.SHELF])


def play(name: str, native_stack: NativeStack) -> None:
    incident = CATALOGUE[name]
    announce = incident.announce
    watched = set(announce.alerts) | set(announce.quiet_alerts)
    if not wait_until(lambda: not (_active(native_stack) & watched), QUIET_TIMEOUT_SECONDS, 2.0):
        pytest.fail(f"{watched} stayed active.\n{native_stack.diagnostics()}")
    already_firing = _active(native_stack, "firing")
    native_stack.demo_app.set_faults({**incident.fault, "hidden": True})
    fault_on = time.time()
    fired_quiet: set[str] = set()
    try:

        def announced() -> bool:
            fired_quiet.update(_active(native_stack, "firing") & set(announce.quiet_alerts))
            if announce.alerts:
                return set(announce.alerts) <= _notified_firing(native_stack, fault_on)
            new = _active(native_stack, "firing") - already_firing
            fired_quiet.update(new)
            return time.time() >= fault_on + announce.report_after_seconds

        if not wait_until(announced, ANNOUNCE_TIMEOUT_SECONDS, 2.0):
            seen = _notified_firing(native_stack, fault_on)
            pytest.fail(
                f"{name}: expected {announce.alerts} notified as firing, saw {seen}.\n"
                f"{native_stack.diagnostics()}"
            )
        assert not fired_quiet, f"{name}: {fired_quiet} fired but should not"

        results: list = []

        def evidence_shows_it() -> bool:
            results[:] = _evidence_report(native_stack, incident)
            return all(result.ok for result in results)

        try:
            shown = wait_until(evidence_shows_it, EVIDENCE_TIMEOUT_SECONDS, 5.0)
        except StackApiError as exc:
            pytest.fail(f"{name}: a query failed: {exc}")
        if not shown:
            lines = [
                f"  {r.title}: {'ok' if r.ok else r.why}\n    {r.expr}\n    {r.samples[:4]}"
                for r in results
            ]
            pytest.fail(f"{name}: the evidence does not show the diagnosis:\n" + "\n".join(lines))
    finally:
        native_stack.demo_app.reset()


class Shelf:
    """One shelf of the catalogue, on one stack; a subclass names its shelf."""

    SHELF: str

    def test_the_incident_announces_itself_and_its_evidence_shows_the_diagnosis(
        self, name: str, native_stack: NativeStack, locust: None
    ) -> None:
        play(name, native_stack)


class TestErrorsShelf(Shelf):
    SHELF = "errors"


class TestMixedShelf(Shelf):
    SHELF = "mixed"


class TestLatencyShelf(Shelf):
    SHELF = "latency"
