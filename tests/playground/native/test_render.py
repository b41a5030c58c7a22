"""render.py: the native configs equal the compose configs except for the addresses."""

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from playground.core.errors import ConfigError
from playground.core.paths import REPO_ROOT
from playground.core.settings import PlaygroundSettings
from playground.native.render import address_map, render_configs

SettingsFactory = Callable[..., PlaygroundSettings]


def _differences(source: Any, rendered: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Every leaf where the two trees differ, with its path."""
    if isinstance(source, dict) and isinstance(rendered, dict):
        if source.keys() != rendered.keys():
            return [(path, sorted(source), sorted(rendered))]
        return [d for k in source for d in _differences(source[k], rendered[k], f"{path}.{k}")]
    if isinstance(source, list) and isinstance(rendered, list):
        if len(source) != len(rendered):
            return [(path, len(source), len(rendered))]
        return [
            d
            for i, (s, r) in enumerate(zip(source, rendered, strict=True))
            for d in _differences(s, r, f"{path}[{i}]")
        ]
    return [] if source == rendered else [(path, source, rendered)]


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _as_static(section: dict[str, Any]) -> dict[str, Any]:
    if "dns_sd_configs" not in section:
        return section
    targets = [f"{n}:{d['port']}" for d in section["dns_sd_configs"] for n in d["names"]]
    return {
        ("static_configs" if k == "dns_sd_configs" else k): (
            [{"targets": targets}] if k == "dns_sd_configs" else v
        )
        for k, v in section.items()
    }


def _dns_resolved(config: Any) -> Any:
    """The config as DNS would resolve it: each A-record section names its static targets.

    The one structural change the native runner may make: compose finds demo_app's
    replicas and the Alertmanagers with dns_sd_configs; natively the same name and port is
    a static target.
    """
    if not isinstance(config, dict) or "scrape_configs" not in config:
        return config
    alerting = config.get("alerting", {})
    return {
        **config,
        "scrape_configs": [_as_static(job) for job in config["scrape_configs"]],
        "alerting": {
            **alerting,
            "alertmanagers": [_as_static(a) for a in alerting.get("alertmanagers", [])],
        },
    }


@pytest.mark.parametrize("config", ["prometheus/prometheus.yml", "alertmanager/alertmanager.yml"])
def test_rendered_config_equals_the_source_except_for_addresses(
    make_settings: SettingsFactory, config: str
) -> None:
    settings = make_settings()
    addresses = address_map(settings)
    render_configs(settings)

    differences = _differences(
        _dns_resolved(_load(REPO_ROOT / config)), _load(settings.PLAYGROUND_RUN_DIR / config)
    )

    assert differences, "nothing was rewritten: the source names no compose address?"
    for path, source, rendered in differences:
        expected = next(
            (
                source.replace(compose, native)
                for compose, (native,) in addresses.items()
                if isinstance(source, str) and compose in source
            ),
            None,
        )
        assert rendered == expected, f"{path}: {source!r} became {rendered!r}"


def test_every_address_the_configs_name_is_rewritten_to_its_port(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings()
    rendered = render_configs(settings)

    text = rendered.prometheus_config.read_text() + rendered.alertmanager_config.read_text()
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))

    for compose in address_map(settings):
        assert compose not in body
    for port in (
        settings.DEMO_APP_PORT,
        settings.ALERT_RECEIVER_PORT,
        settings.ALERTMANAGER_PORT,
        settings.PROMETHEUS_PORT,
    ):
        assert f"127.0.0.1:{port}" in body


def test_with_the_ha_pair_prometheus_sends_to_and_scrapes_both_alertmanagers(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings(PLAYGROUND_HA=True)
    both = [f"127.0.0.1:{settings.ALERTMANAGER_PORT}", f"127.0.0.1:{settings.ALERTMANAGER_2_PORT}"]

    config = _load(render_configs(settings).prometheus_config)

    (alertmanagers,) = config["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"] == [{"targets": both}]
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "alertmanager"]
    assert job["static_configs"] == [{"targets": both}]


def test_without_the_ha_pair_only_the_first_alertmanager_is_named(
    make_settings: SettingsFactory,
) -> None:
    settings = make_settings()

    config = _load(render_configs(settings).prometheus_config)

    (alertmanagers,) = config["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"] == [
        {"targets": [f"127.0.0.1:{settings.ALERTMANAGER_PORT}"]}
    ]


@pytest.mark.parametrize("profile", ["lab", "realistic"])
def test_rules_link_points_at_the_chosen_profile(
    make_settings: SettingsFactory, profile: str
) -> None:
    settings = make_settings(ALERT_PROFILE=profile)

    rendered = render_configs(settings)

    assert rendered.rules_dir.is_symlink()
    assert rendered.rules_dir.resolve() == REPO_ROOT / "prometheus" / "rules" / profile


def test_rendering_again_switches_the_profile(make_settings: SettingsFactory) -> None:
    render_configs(make_settings(ALERT_PROFILE="realistic"))

    rendered = render_configs(make_settings(ALERT_PROFILE="lab"))

    assert rendered.rules_dir.resolve().name == "lab"


@pytest.mark.tools
def test_rendered_configs_pass_promtool_and_amtool(make_settings: SettingsFactory) -> None:
    rendered = render_configs(make_settings())
    bin_dir = REPO_ROOT / ".tools" / "bin"

    for command in (
        [bin_dir / "promtool", "check", "config", rendered.prometheus_config],
        [bin_dir / "amtool", "check-config", rendered.alertmanager_config],
    ):
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr


# --- the rewriting rules, on small configs written here ---------------------------------


def _write_configs(root: Path, prometheus: str, alertmanager: str) -> None:
    (root / "prometheus" / "rules" / "lab").mkdir(parents=True)
    (root / "prometheus" / "prometheus.yml").write_text(prometheus)
    (root / "alertmanager").mkdir()
    (root / "alertmanager" / "alertmanager.yml").write_text(alertmanager)


_PROMETHEUS = """
scrape_configs:
  - job_name: demo_app
    static_configs: [{targets: ["demo_app:8000"]}]
"""
_ALERTMANAGER = """
route: {receiver: a}
receivers:
  - name: a
    webhook_configs: &hook
      - url: http://alert_receiver:5001/webhook?x=1
  - name: b
    webhook_configs: *hook
"""


def test_webhook_url_keeps_its_path_and_shared_anchors_are_rewritten_once(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    _write_configs(tmp_path / "src", _PROMETHEUS, _ALERTMANAGER)
    settings = make_settings(PLAYGROUND_CONFIG_DIR=tmp_path / "src")

    rendered = _load(render_configs(settings).alertmanager_config)

    expected = f"http://127.0.0.1:{settings.ALERT_RECEIVER_PORT}/webhook?x=1"
    assert [r["webhook_configs"][0]["url"] for r in rendered["receivers"]] == [expected] * 2


def test_unknown_target_is_an_error_naming_it(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    _write_configs(
        tmp_path / "src", _PROMETHEUS.replace("demo_app:8000", "grafana:3000"), _ALERTMANAGER
    )

    with pytest.raises(ConfigError, match=r"scrape job 'demo_app': 'grafana:3000'"):
        render_configs(make_settings(PLAYGROUND_CONFIG_DIR=tmp_path / "src"))


def test_compose_address_in_a_place_not_rewritten_is_an_error(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    relabel = (
        _PROMETHEUS + "    relabel_configs: [{target_label: x, replacement: 'alertmanager:9093'}]\n"
    )
    _write_configs(tmp_path / "src", relabel, _ALERTMANAGER)

    with pytest.raises(ConfigError, match=r"relabel_configs\[0\]\.replacement"):
        render_configs(make_settings(PLAYGROUND_CONFIG_DIR=tmp_path / "src"))


def test_missing_config_is_a_clear_error(make_settings: SettingsFactory, tmp_path: Path) -> None:
    _write_configs(tmp_path / "src", _PROMETHEUS, _ALERTMANAGER)
    (tmp_path / "src" / "alertmanager" / "alertmanager.yml").unlink()

    with pytest.raises(ConfigError, match=r"alertmanager\.yml is missing"):
        render_configs(make_settings(PLAYGROUND_CONFIG_DIR=tmp_path / "src"))


def test_missing_lab_rules_suggest_render_rules(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    _write_configs(tmp_path / "src", _PROMETHEUS, _ALERTMANAGER)
    (tmp_path / "src" / "prometheus" / "rules" / "lab").rmdir()

    with pytest.raises(ConfigError, match="playground render-rules"):
        render_configs(make_settings(PLAYGROUND_CONFIG_DIR=tmp_path / "src"))


def test_a_job_found_by_dns_becomes_one_static_loopback_target(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    dns_job = """
scrape_configs:
  - job_name: demo_app
    dns_sd_configs: [{names: [demo_app], type: A, port: 8000, refresh_interval: 5s}]
    scrape_interval: 5s
"""
    _write_configs(tmp_path / "src", dns_job, _ALERTMANAGER)
    settings = make_settings(PLAYGROUND_CONFIG_DIR=tmp_path / "src")

    rendered = _load(render_configs(settings).prometheus_config)

    assert rendered["scrape_configs"] == [
        {
            "job_name": "demo_app",
            "static_configs": [{"targets": [f"127.0.0.1:{settings.DEMO_APP_PORT}"]}],
            "scrape_interval": "5s",
        }
    ]


def test_dns_discovery_that_cannot_run_natively_is_an_error(
    make_settings: SettingsFactory, tmp_path: Path
) -> None:
    srv_job = """
scrape_configs:
  - job_name: demo_app
    dns_sd_configs: [{names: [_http._tcp.demo_app]}]
"""
    _write_configs(tmp_path / "src", srv_job, _ALERTMANAGER)

    with pytest.raises(ConfigError, match="only dns_sd_configs of type A"):
        render_configs(make_settings(PLAYGROUND_CONFIG_DIR=tmp_path / "src"))
