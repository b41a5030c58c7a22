"""The native Grafana's files: grafana.ini and the rendered provisioning, from the same
grafana/provisioning and dashboards as compose, on loopback, with compose's settings and a
generated admin password. Grafana itself has not been run here (no release archive can be
downloaded on this machine); these check what it would be given."""

from __future__ import annotations

import configparser
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.core.errors import ConfigError
from playground.core.paths import REPO_ROOT
from playground.core.settings import PlaygroundSettings
from playground.native import grafana
from playground.native.grafana import grafana_command, render_grafana


@pytest.fixture
def settings(tmp_path: Path) -> PlaygroundSettings:
    return PlaygroundSettings(
        PLAYGROUND_RUN_DIR=tmp_path / "run",
        PROMETHEUS_PORT=19090,
        ALERTMANAGER_PORT=19093,
        GRAFANA_PORT=13000,
    )


@pytest.fixture
def binary(tmp_path: Path) -> Path:
    """bin/grafana as `make setup` leaves it: a link into the unpacked release tree."""
    tree = tmp_path / "tools" / "dist" / "grafana-13.2.1"
    (tree / "bin").mkdir(parents=True)
    (tree / "bin" / "grafana").write_text("#!/bin/sh\n")
    link = tmp_path / "tools" / "bin" / "grafana"
    link.parent.mkdir(parents=True)
    link.symlink_to(tree / "bin" / "grafana")
    return link


def _ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read_string(path.read_text())
    return parser


def test_datasources_point_at_the_native_prometheus_and_alertmanager(
    settings: PlaygroundSettings, binary: Path
) -> None:
    render_grafana(settings, binary)

    rendered = (
        settings.PLAYGROUND_RUN_DIR / "grafana" / "provisioning" / "datasources" / "datasources.yml"
    )
    sources = {s["uid"]: s for s in yaml.safe_load(rendered.read_text())["datasources"]}
    assert sources["prometheus"]["url"] == "http://127.0.0.1:19090"
    assert sources["alertmanager"]["url"] == "http://127.0.0.1:19093"
    # Everything else is compose's file as it is: uids, types, jsonData, prune.
    original = yaml.safe_load(
        (REPO_ROOT / "grafana/provisioning/datasources/datasources.yml").read_text()
    )
    for source in original["datasources"]:
        assert {k: v for k, v in sources[source["uid"]].items() if k != "url"} == {
            k: v for k, v in source.items() if k != "url"
        }
    assert "prometheus:9090" not in rendered.read_text()


def test_the_dashboard_provider_reads_the_repositorys_dashboards(
    settings: PlaygroundSettings, binary: Path
) -> None:
    render_grafana(settings, binary)

    rendered = (
        settings.PLAYGROUND_RUN_DIR / "grafana" / "provisioning" / "dashboards" / "playground.yml"
    )
    [provider] = yaml.safe_load(rendered.read_text())["providers"]
    assert Path(provider["options"]["path"]) == REPO_ROOT / "grafana" / "dashboards"
    assert provider["folderUid"] == "playground" and provider["allowUiUpdates"] is False


def test_a_provider_reading_another_path_is_refused() -> None:
    config = {"providers": [{"name": "x", "options": {"path": "/somewhere/else"}}]}
    with pytest.raises(ConfigError, match="/somewhere/else"):
        grafana.rewrite_providers(config, Path("/repo/grafana/dashboards"))


def test_an_unknown_datasource_address_is_refused() -> None:
    config = {"datasources": [{"name": "Loki", "url": "http://loki:3100"}]}
    with pytest.raises(ConfigError, match="loki:3100"):
        grafana.rewrite_datasources(config, {"prometheus:9090": "127.0.0.1:9090"})


def test_grafana_ini_binds_loopback_with_anonymous_viewers(
    settings: PlaygroundSettings, binary: Path
) -> None:
    files = render_grafana(settings, binary)

    ini = _ini(files.config)
    assert ini["server"]["http_addr"] == "127.0.0.1"
    assert ini["server"]["http_port"] == "13000"
    assert ini["auth.anonymous"]["enabled"] == "true"
    assert ini["auth.anonymous"]["org_role"] == "Viewer"
    run = settings.PLAYGROUND_RUN_DIR / "grafana"
    assert Path(ini["paths"]["data"]) == run / "data"
    assert Path(ini["paths"]["provisioning"]) == run / "provisioning"
    assert stat.S_IMODE(files.config.stat().st_mode) == 0o600


def test_the_admin_password_is_generated_once_kept_private_and_reused(
    settings: PlaygroundSettings, binary: Path
) -> None:
    first = render_grafana(settings, binary)
    password = first.admin_password_file.read_text().strip()
    assert len(password) == 32 and password != "admin"
    assert stat.S_IMODE(first.admin_password_file.stat().st_mode) == 0o600
    assert _ini(first.config)["security"]["admin_password"] == password

    again = render_grafana(settings, binary)

    assert again.admin_password_file.read_text().strip() == password
    other = PlaygroundSettings(PLAYGROUND_RUN_DIR=settings.PLAYGROUND_RUN_DIR.parent / "other")
    assert render_grafana(other, binary).admin_password_file.read_text().strip() != password


def _gf_name(section: str, key: str) -> str:
    return f"GF_{section.upper().replace('.', '_')}_{key.upper()}"


def test_the_shared_settings_are_compose_s_gf_variables(repo_root: Path) -> None:
    environment: dict[str, Any] = yaml.safe_load((repo_root / "compose.yaml").read_text())[
        "services"
    ]["grafana"]["environment"]
    shared = {
        _gf_name(section, key): value
        for section, values in grafana.SHARED_SETTINGS.items()
        for key, value in values.items()
    }
    # Compose's own address and its secret are the two it sets differently on purpose.
    compose_only = {"GF_SECURITY_ADMIN_PASSWORD", "GF_SERVER_ROOT_URL"}
    assert shared == {k: str(v) for k, v in environment.items() if k not in compose_only}


def test_grafana_runs_from_its_release_tree_with_the_rendered_config(
    settings: PlaygroundSettings, binary: Path, tmp_path: Path
) -> None:
    files = render_grafana(settings, binary)

    assert files.home == (tmp_path / "tools" / "dist" / "grafana-13.2.1").resolve()
    assert grafana_command(binary, files) == [
        str(binary),
        "server",
        "--homepath",
        str(files.home),
        "--config",
        str(files.config),
    ]


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT
