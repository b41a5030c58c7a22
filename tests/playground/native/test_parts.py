"""parts.py: the one table of the native stack's parts, and what is derived from it."""

from pathlib import Path

import pytest

from playground.configs.compose_flags import SHARED_FLAGS, compose_flags
from playground.core.errors import ConfigError
from playground.core.paths import REPO_ROOT
from playground.core.settings import PlaygroundSettings
from playground.native.parts import PARTS, alertmanagers, compose_address_map, stack_ports


def settings(**values: object) -> PlaygroundSettings:
    return PlaygroundSettings(_env_file=None, **values)


def test_every_part_has_its_own_port_setting_and_name() -> None:
    assert len({part.name for part in PARTS}) == len(PARTS)
    assert len({part.port_setting for part in PARTS}) == len(PARTS)


def test_a_single_stack_listens_on_four_ports() -> None:
    assert sorted(stack_ports(settings())) == [
        "ALERTMANAGER_PORT",
        "ALERT_RECEIVER_PORT",
        "DEMO_APP_PORT",
        "PROMETHEUS_PORT",
    ]


def test_the_ha_pair_adds_the_second_alertmanager_and_both_gossip_ports() -> None:
    ports = stack_ports(settings(PLAYGROUND_HA=True, ALERTMANAGER_2_PORT=9999))

    assert ports["ALERTMANAGER_2_PORT"] == 9999
    assert {"ALERTMANAGER_CLUSTER_PORT", "ALERTMANAGER_2_CLUSTER_PORT"} <= set(ports)
    assert [part.name for part in alertmanagers(settings(PLAYGROUND_HA=True))] == [
        "alertmanager",
        "alertmanager_2",
    ]


def test_the_compose_name_alertmanager_stands_for_every_alertmanager() -> None:
    single = compose_address_map(settings(ALERTMANAGER_PORT=1111))
    pair = compose_address_map(
        settings(PLAYGROUND_HA=True, ALERTMANAGER_PORT=1111, ALERTMANAGER_2_PORT=2222)
    )

    assert single["alertmanager:9093"] == ["127.0.0.1:1111"]
    assert pair["alertmanager:9093"] == ["127.0.0.1:1111", "127.0.0.1:2222"]


@pytest.mark.parametrize("service", sorted(SHARED_FLAGS))
def test_native_flags_are_compose_s_own(service: str) -> None:
    command = compose_flags(REPO_ROOT / "compose.yaml", service)

    assert [flag.removeprefix("--").partition("=")[0] for flag in command] == list(
        SHARED_FLAGS[service]
    )


def test_a_compose_command_without_a_shared_flag_is_refused(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  alertmanager:\n    command: [--storage.path=/x]\n")

    with pytest.raises(ConfigError, match=r"--data\.maintenance-interval"):
        compose_flags(compose, "alertmanager")


def test_a_shared_flag_set_from_a_variable_is_refused(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n  alertmanager:\n    command: ['--data.maintenance-interval=${X:-5s}']\n"
    )

    with pytest.raises(ConfigError, match="literally"):
        compose_flags(compose, "alertmanager")
