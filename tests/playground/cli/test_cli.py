"""The `playground` command as a user runs it; errors come without tracebacks."""

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from playground.cli.main import main
from playground.core.net import free_port
from playground.core.polling import wait_until
from playground.native.processes import PidRecord, default_stop_signals
from tests.support.settings import reserved_port_settings

UP_TIMEOUT_SECONDS = 30
SHUTDOWN_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@pytest.fixture
def stack_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Free ports and a private run folder, in this process's environment too."""
    env = {
        **{name: str(port) for name, port in reserved_port_settings().items()},
        "PLAYGROUND_RUN_DIR": str(tmp_path / "run"),
        "PLAYGROUND_STOP_TIMEOUT_SECONDS": "5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


class UpProcess:
    """`python -m playground up` in the background, its output in files."""

    def __init__(self, tmp_path: Path, env: dict[str, str], prefix: Sequence[str] = ()) -> None:
        self.stdout_path, self.stderr_path = tmp_path / "up.out", tmp_path / "up.err"
        self.run_dir = Path(env["PLAYGROUND_RUN_DIR"])
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(
                [*prefix, sys.executable, "-m", "playground", "up"],
                stdout=out,
                stderr=err,
                env={**os.environ, **env},
                # As a shell starts a command in the foreground. A test run that was itself
                # started in the background (`nohup make test &`) ignores SIGINT and SIGHUP,
                # and a child would inherit that.
                preexec_fn=default_stop_signals,
            )

    def output(self) -> str:
        return self.stdout_path.read_text() + self.stderr_path.read_text()

    def wait_until_up(self) -> None:
        up = wait_until(
            lambda: "The playground is up" in self.output() or self.popen.poll() is not None,
            UP_TIMEOUT_SECONDS,
        )
        assert up and self.popen.poll() is None, self.output()

    def part_records(self) -> list[PidRecord]:
        return PidRecord.load_all(self.run_dir / "pids")


@pytest.fixture
def up(tmp_path: Path, stack_env: dict[str, str]) -> Iterator[UpProcess]:
    process = UpProcess(tmp_path, stack_env)
    yield process
    if process.popen.poll() is None:
        process.popen.kill()
        process.popen.wait()


@pytest.mark.tools
def test_up_prints_the_urls_then_down_stops_everything(
    up: UpProcess, stack_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    up.wait_until_up()
    records = up.part_records()
    assert sorted(r.name for r in records) == [
        "alert_receiver",
        "alertmanager",
        "demo_app",
        "prometheus",
    ]
    output = up.output()
    for port in ("DEMO_APP_PORT", "ALERT_RECEIVER_PORT", "PROMETHEUS_PORT", "ALERTMANAGER_PORT"):
        assert f"http://127.0.0.1:{stack_env[port]}" in output

    assert main(["status"]) == 0
    assert main(["faults", "preset", "error-storm"]) == 0
    assert main(["faults", "reset"]) == 0
    capsys.readouterr()

    assert main(["down"]) == 0

    assert up.popen.wait(timeout=15) == 0
    assert "playground: stopped" in up.output()
    assert not any(r.is_alive() for r in records)
    assert "stopped playground" in capsys.readouterr().err


@pytest.mark.tools
def test_killed_up_takes_its_parts_with_it(up: UpProcess) -> None:
    up.wait_until_up()
    records = up.part_records()

    up.popen.send_signal(signal.SIGKILL)
    up.popen.wait()

    assert wait_until(lambda: not any(r.is_alive() for r in records), 10), [
        r.name for r in records if r.is_alive()
    ]
    # The records of the crashed run are left; down clears them.
    assert up.part_records()
    assert main(["down"]) == 0
    assert up.part_records() == []


@pytest.mark.tools
def test_faults_with_a_wrong_token_says_so(
    up: UpProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    up.wait_until_up()
    (up.run_dir / "admin-token").write_text("not-the-token-of-this-stack\n")

    assert main(["faults", "show"]) == 1

    assert "refused the admin token" in capsys.readouterr().err


def test_status_with_nothing_running_exits_1(
    stack_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == 1

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert all("DOWN" in line and "not answering" in line for line in lines)


def test_down_with_nothing_running_says_so(
    stack_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["down"]) == 0

    assert "nothing was running" in capsys.readouterr().err


def test_faults_before_any_up_says_to_start_the_stack(
    stack_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["faults"]) == 1
    assert "start the stack (`playground up`)" in capsys.readouterr().err

    token = Path(stack_env["PLAYGROUND_RUN_DIR"]) / "admin-token"
    token.parent.mkdir(parents=True)
    token.write_text("x" * 32)

    assert main(["faults", "reset"]) == 1
    assert "demo_app is not answering" in capsys.readouterr().err


def test_up_without_binaries_says_run_make_setup(
    stack_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PLAYGROUND_TOOLS_DIR", str(tmp_path / "empty"))

    handlers = {signum: signal.getsignal(signum) for signum in SHUTDOWN_SIGNALS}

    assert main(["up"]) == 1

    err = capsys.readouterr().err
    assert "Run `make setup`" in err
    assert "Traceback" not in err
    # The handlers `up` installs are gone again (an ignored SIGTERM would be inherited).
    assert {signum: signal.getsignal(signum) for signum in SHUTDOWN_SIGNALS} == handlers


def test_invalid_setting_is_reported_without_a_traceback(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROMETHEUS_PORT", "ninety-ninety")

    assert main(["status"]) == 1

    err = capsys.readouterr().err
    assert "PROMETHEUS_PORT" in err
    assert "Traceback" not in err


def test_faults_set_rejects_json_that_is_not_an_object(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["faults", "set", "--json", "[1, 2]"])

    assert caught.value.code == 2
    assert "must be a JSON object" in capsys.readouterr().err


def test_render_rules_check_passes_on_the_committed_profiles(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["render-rules", "--check"]) == 0, capsys.readouterr().err


@pytest.mark.tools
def test_up_restarts_a_part_that_dies_appends_its_log_and_still_stops_on_ctrl_c(
    up: UpProcess, stack_env: dict[str, str]
) -> None:
    up.wait_until_up()
    records = {r.name: r for r in up.part_records()}
    log = up.run_dir / "logs" / "alert_receiver.log"
    before = log.read_text()

    os.kill(records["alert_receiver"].pid, signal.SIGKILL)

    assert wait_until(lambda: "restarted alert_receiver" in up.output(), 20), up.output()
    assert "alert_receiver exited (signal SIGKILL); restarting in 0.1 s" in up.output()
    url = f"http://127.0.0.1:{stack_env['ALERT_RECEIVER_PORT']}/health"
    assert wait_until(lambda: _answers(url), 20), up.output()
    restarted = {r.name: r for r in up.part_records()}["alert_receiver"]
    assert restarted.pid != records["alert_receiver"].pid
    # The first run's lines are still there, then the restart's.
    after = log.read_text()
    assert after.startswith(before)
    assert after.count("playground: starting alert_receiver") == 2

    up.popen.send_signal(signal.SIGINT)

    assert up.popen.wait(timeout=20) == 0
    assert not any(r.is_alive() for r in [*records.values(), restarted])


@pytest.mark.tools
def test_up_under_nohup_outlives_the_terminal(tmp_path: Path, stack_env: dict[str, str]) -> None:
    # `nohup playground up &`: nohup ignores SIGHUP, and the terminal sends SIGHUP when it
    # closes. The stack must keep running until `playground down`.
    up = UpProcess(tmp_path, stack_env, prefix=["nohup"])
    try:
        up.wait_until_up()
        records = up.part_records()

        up.popen.send_signal(signal.SIGHUP)

        assert not wait_until(lambda: up.popen.poll() is not None, 3), up.output()
        assert all(r.is_alive() for r in records)
        assert main(["status"]) == 0
        assert main(["down"]) == 0
        assert up.popen.wait(timeout=20) == 0
        assert not any(r.is_alive() for r in records)
    finally:
        if up.popen.poll() is None:
            up.popen.kill()
            up.popen.wait()


@pytest.mark.tools
def test_up_without_nohup_stops_when_the_terminal_closes(up: UpProcess) -> None:
    up.wait_until_up()
    records = up.part_records()

    up.popen.send_signal(signal.SIGHUP)

    assert up.popen.wait(timeout=20) == 0
    assert "playground: stopped" in up.output()
    assert not any(r.is_alive() for r in records)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1, trust_env=False).status_code == 200
    except httpx.TransportError:
        return False


def test_preflight_reports_every_busy_compose_port_and_exits_1(
    stack_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:

    listeners = []
    for name in ("PROMETHEUS_PORT", "GRAFANA_PORT"):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listeners.append(listener)
        monkeypatch.setenv(name, str(listener.getsockname()[1]))
    monkeypatch.setenv("LOCUST_PORT", str(free_port()))
    try:
        code = main(["preflight", "--compose"])
    finally:
        for listener in listeners:
            listener.close()

    err = capsys.readouterr().err
    assert code == 1
    assert "(PROMETHEUS_PORT) is already in use" in err
    assert "(GRAFANA_PORT) is already in use" in err
    assert "docker compose up" in err


def test_preflight_with_free_ports_lists_them_and_exits_0(
    stack_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["preflight"])

    assert code == 0
    assert f"{stack_env['DEMO_APP_PORT']} (DEMO_APP_PORT)" in capsys.readouterr().out


def test_a_unique_prefix_of_a_long_option_is_that_option_as_with_argparse(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["render-rules", "--ch"]) == 0
    assert "up to date" in capsys.readouterr().err
    # --h could be --ha or --help: a usage error, not a guess.
    with pytest.raises(SystemExit) as caught:
        main(["up", "--h"])
    assert caught.value.code == 2
