"""`playground up` runs Grafana when `make setup` installed it, and runs without it (saying
so once) when it did not. Grafana cannot be downloaded or run here, so where it is present
a STAND-IN plays it: a small script at bin/grafana that reads the grafana.ini it is given
and answers /api/health on the address that file names. It proves the wiring (the command,
the rendered config, the port, the start order, status), not that Grafana accepts the
files; tests/playground/native/test_grafana.py checks the files themselves."""

import configparser
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from playground.core.settings import PlaygroundSettings
from playground.native.stack import NativeStack, native_ports, stack_status

# The parts every stack runs, in start order (without --ha, before Grafana).
BASE_PARTS = ("demo_app", "alert_receiver", "alertmanager", "prometheus")

SettingsFactory = Callable[..., PlaygroundSettings]
REAL_TOOLS = Path(__file__).resolve().parents[3] / ".tools"

STAND_IN = """#!{python}
# STAND-IN for Grafana (not Grafana): answers /api/health where grafana.ini says.
import configparser, http.server, json, sys
argv = sys.argv[1:]
config = configparser.ConfigParser()
config.read(argv[argv.index("--config") + 1])
with open({seen!r}, "w") as out:
    json.dump(argv, out)
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b'{{"database": "ok"}}')
    def log_message(self, *args):
        pass
server = config["server"]
http.server.HTTPServer((server["http_addr"], int(server["http_port"])), Health).serve_forever()
"""


def _tools(tmp_path: Path, with_grafana: bool) -> Path:
    """A tools folder with the real Prometheus and Alertmanager and, maybe, the stand-in."""
    tools = tmp_path / "tools"
    (tools / "bin").mkdir(parents=True)
    for name in ("prometheus", "promtool", "alertmanager", "amtool"):
        (tools / "bin" / name).symlink_to(REAL_TOOLS / "bin" / name)
    if (REAL_TOOLS / "apt").exists():  # Debian's Alertmanager templates
        (tools / "apt").symlink_to(REAL_TOOLS / "apt")
    if with_grafana:
        tree = tools / "dist" / "grafana-13.2.1" / "bin"
        tree.mkdir(parents=True)
        script = tree / "grafana"
        script.write_text(STAND_IN.format(python=sys.executable, seen=str(tmp_path / "argv.json")))
        script.chmod(0o755)
        (tools / "bin" / "grafana").symlink_to(script)
    return tools


@pytest.mark.tools
def test_up_runs_grafana_when_installed_and_status_covers_it(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    from playground.core.net import free_port

    settings = make_settings(
        PLAYGROUND_TOOLS_DIR=_tools(tmp_path, with_grafana=True), GRAFANA_PORT=free_port()
    )
    lines: list[str] = []

    with NativeStack(settings, report=lines.append):
        statuses = {s.name: s for s in stack_status(settings)}
        argv = json.loads((tmp_path / "argv.json").read_text())

    assert statuses["grafana"].healthy, statuses["grafana"]
    assert statuses["grafana"].url == f"http://127.0.0.1:{settings.GRAFANA_PORT}"
    assert [name for name in statuses] == [*BASE_PARTS, "grafana"]
    assert argv[0] == "server"
    config = configparser.ConfigParser()
    config.read(argv[argv.index("--config") + 1])
    assert config["server"]["http_port"] == str(settings.GRAFANA_PORT)
    assert Path(argv[argv.index("--homepath") + 1]).name == "grafana-13.2.1"
    # Grafana starts last, once Prometheus (its datasource) is healthy.
    starts = [line for line in lines if line.startswith("starting ")]
    assert starts[-1] == "starting grafana"
    prometheus_healthy = next(
        i for i, line in enumerate(lines) if line.startswith("prometheus is healthy")
    )
    assert prometheus_healthy < lines.index("starting grafana")


@pytest.mark.tools
def test_up_without_grafana_says_so_once_and_runs_the_rest(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    settings = make_settings(PLAYGROUND_TOOLS_DIR=_tools(tmp_path, with_grafana=False))
    lines: list[str] = []

    with NativeStack(settings, report=lines.append) as stack:
        names = [s.name for s in stack_status(settings)]
        assert "grafana" not in stack.processes

    assert names == list(BASE_PARTS)
    assert len([line for line in lines if "no Grafana" in line]) == 1


def test_grafanas_port_is_checked_only_where_grafana_is_installed(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    with_grafana = make_settings(PLAYGROUND_TOOLS_DIR=_tools(tmp_path / "a", with_grafana=True))
    without = make_settings(PLAYGROUND_TOOLS_DIR=_tools(tmp_path / "b", with_grafana=False))

    base = {f"{name.upper()}_PORT": getattr(without, f"{name.upper()}_PORT") for name in BASE_PARTS}
    assert native_ports(with_grafana) == {
        **{name: getattr(with_grafana, name) for name in base},
        "GRAFANA_PORT": with_grafana.GRAFANA_PORT,
    }
    assert native_ports(without) == base
