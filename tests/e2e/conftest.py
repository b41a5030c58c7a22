"""The shared native stack for every end-to-end test, and the traffic that feeds it.

One NativeStack (real demo_app, alert receiver, Prometheus and Alertmanager on free
loopback ports, `lab` alert profile) is started once per session: starting Prometheus and
waiting for its first scrapes costs seconds that every e2e test would otherwise pay again.
A background traffic driver keeps healthy requests flowing for the whole session, so the
rate windows are full before any fault is switched on, just as Locust keeps them full for a
learner.
"""

from collections.abc import Callable, Iterator

import pytest

from playground.core.settings import PlaygroundSettings
from playground.native.stack import NativeStack
from tests.support.quiet import wait_until_quiet as wait_for_quiet
from tests.support.settings import settings_on_free_ports
from tests.support.traffic import TrafficDriver


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], PlaygroundSettings]:
    """Settings for a stack of the `lab` profile on free loopback ports, in a new run folder.

    Ignores .env and .env.override, so a developer's own ports and profile never leak in.
    """

    def make(name: str) -> PlaygroundSettings:
        return settings_on_free_ports(tmp_path_factory.mktemp(name), ALERT_PROFILE="lab")

    return make


@pytest.fixture(scope="session")
def native_stack(stack_settings: Callable[[str], PlaygroundSettings]) -> Iterator[NativeStack]:
    """The whole playground on free loopback ports, `lab` profile, fresh data."""
    with NativeStack(stack_settings("native-stack"), fresh=True) as stack:
        yield stack


@pytest.fixture(scope="session")
def traffic(native_stack: NativeStack) -> Iterator[TrafficDriver]:
    """Healthy background traffic for the rest of the session."""
    driver = TrafficDriver(native_stack.urls.demo_app).start()
    yield driver
    driver.stop()


@pytest.fixture
def wait_until_quiet(native_stack: NativeStack) -> Callable[[tuple[str, ...]], None]:
    """Waits until the named alerts are quiet on the shared stack, or fails with a dump."""

    def wait(names: tuple[str, ...]) -> None:
        stack = native_stack
        if not wait_for_quiet(stack.prometheus, stack.alertmanager, stack.receiver, names):
            pytest.fail(f"{names} did not quiet down.\n{native_stack.diagnostics()}")

    return wait
