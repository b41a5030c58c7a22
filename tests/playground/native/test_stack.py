"""NativeStack with the real parts: every part becomes healthy, Prometheus scrapes them all,
and nothing is left running after stop. Bounded: each start takes a few seconds."""

import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from playground.core.errors import MissingToolError, PortInUseError, StackRunningError
from playground.core.polling import wait_until
from playground.core.settings import PlaygroundSettings
from playground.native.parts import running_parts, stack_ports
from playground.native.ports import is_port_free
from playground.native.processes import process_start_ticks
from playground.native.stack import NativeStack, stack_status
from tests.support.settings import settings_on_free_ports

SettingsFactory = Callable[..., PlaygroundSettings]
# Prometheus applies new targets after a 5 s discovery throttle and then spreads first
# scrapes over one scrape interval (5 s): all four are up after at most ~10 s.
TARGETS_UP_TIMEOUT_SECONDS = 25


def _processes_in_groups(pgids: set[int]) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) in pgids and process_start_ticks(int(proc.name)):
                found.append((proc / "cmdline").read_text().replace("\0", " "))
        except (ProcessLookupError, OSError):
            continue
    return found


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NativeStack]:
    settings = settings_on_free_ports(tmp_path_factory.mktemp("stack") / "run")
    with NativeStack(settings) as running:
        yield running


@pytest.mark.tools
def test_every_part_is_healthy_and_status_shows_its_pid(stack: NativeStack) -> None:
    statuses = stack_status(stack.settings)

    assert [s.name for s in statuses] == [part.name for part in running_parts(stack.settings)]
    for status in statuses:
        assert status.healthy, status
        assert status.pid == stack.pids[status.name]


@pytest.mark.tools
def test_prometheus_scrapes_every_part(stack: NativeStack) -> None:
    def all_up() -> bool:
        targets = stack.prometheus.targets()
        jobs = sorted(t["labels"]["job"] for t in targets if t["health"] == "up")
        return jobs == sorted(part.name for part in running_parts(stack.settings))

    assert wait_until(all_up, TARGETS_UP_TIMEOUT_SECONDS, interval=0.5), stack.diagnostics()
    assert all(rule["health"] == "ok" for rule in stack.prometheus.rules()), stack.diagnostics()


@pytest.mark.tools
def test_admin_token_is_private_and_demo_app_accepts_it(stack: NativeStack) -> None:
    token_file = stack.paths.admin_token

    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert token_file.read_text().strip() == stack.admin_token
    assert stack.demo_app.apply_preset("error-storm")
    assert stack.demo_app.reset() == stack.demo_app.faults()


@pytest.mark.tools
def test_the_receiver_keeps_its_notifications_in_the_run_folder(stack: NativeStack) -> None:
    alert = {
        "status": "firing",
        "labels": {"alertname": "RunFolderTest"},
        "annotations": {},
        "startsAt": "2025-01-01T10:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "1",
    }
    payload = {
        "version": "4",
        "status": "firing",
        "receiver": "test",
        "groupLabels": {},
        "commonLabels": {},
        "alerts": [alert],
    }
    response = httpx.post(f"{stack.urls.alert_receiver}/webhook", json=payload, trust_env=False)
    assert response.status_code == 200

    with closing(sqlite3.connect(stack.paths.alert_receiver_db)) as db:
        ids = [row[0] for row in db.execute("SELECT id FROM notifications")]
    assert response.json()["id"] in ids


@pytest.mark.tools
def test_second_stack_on_the_same_run_folder_is_refused(stack: NativeStack) -> None:
    with pytest.raises(StackRunningError, match=f"pid {os.getpid()}"):
        NativeStack(stack.settings).start()


@pytest.mark.tools
def test_stop_leaves_no_process_and_frees_every_port(make_settings: SettingsFactory) -> None:
    settings = make_settings()
    stack = NativeStack(settings).start()
    pids = dict(stack.pids)
    assert sorted(pids) == sorted(part.name for part in running_parts(settings))

    stack.stop()

    assert _processes_in_groups(set(pids.values())) == []
    assert all(is_port_free(port) for port in stack_ports(settings).values())
    assert list((settings.PLAYGROUND_RUN_DIR / "pids").glob("*.json")) == []
    # The run folder is free again: a new stack can start there.
    NativeStack(settings).start().stop()


@pytest.mark.tools
def test_taken_port_stops_the_start_before_any_part_runs(make_settings: SettingsFactory) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        settings = make_settings(ALERTMANAGER_PORT=sock.getsockname()[1])
        stack = NativeStack(settings)

        with pytest.raises(PortInUseError, match="ALERTMANAGER_PORT"):
            stack.start()

    assert stack.pids == {}


def test_missing_binary_says_to_run_make_setup(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    settings = make_settings(PLAYGROUND_TOOLS_DIR=tmp_path / "no-tools")
    stack = NativeStack(settings)

    with pytest.raises(
        MissingToolError, match=r"(prometheus|alertmanager) is missing: .* Run `make setup`"
    ):
        stack.start()

    assert stack.pids == {}
    # The failed start released the run folder.
    with pytest.raises(MissingToolError):
        NativeStack(settings).start()


@pytest.mark.tools
def test_part_that_exits_at_start_fails_with_its_log(make_settings: SettingsFactory) -> None:
    settings = make_settings(PROMETHEUS_RETENTION_TIME="not-a-duration")
    stack = NativeStack(settings)

    with pytest.raises(
        Exception, match=r"prometheus exited with code \d+ while starting"
    ) as caught:
        stack.start()

    assert "not-a-duration" in str(caught.value)
    assert _processes_in_groups(set(stack.pids.values())) == []
