"""The provisioning files match what is on disk and in compose.yaml: datasources with fixed
uids and the scrape interval, a provider whose folder is the mount of grafana/dashboards and
holds exactly the dashboard files, read-only, into a fixed folder."""

from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from playground.core.paths import REPO_ROOT
from tests.support import grafana
from tests.support.files import read_yaml

# Where compose mounts the provisioning folder: Grafana's default (paths.provisioning).
GRAFANA_PROVISIONING_TARGET = "/etc/grafana/provisioning"


def bind_mounts(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A compose service's bind mounts, by container path."""
    return {m["target"]: m for m in service.get("volumes", []) if m.get("type") == "bind"}


def host_folder(repo_root: Path, service: dict[str, Any], container_path: str) -> Path:
    """The repository folder a container path is mounted from."""
    path = PurePosixPath(container_path)
    for target, mount in bind_mounts(service).items():
        if path == PurePosixPath(target) or PurePosixPath(target) in path.parents:
            return (repo_root / mount["source"] / path.relative_to(target)).resolve()
    raise AssertionError(f"{container_path} is not inside any bind mount of the grafana service")


def provisioning_files(kind: str) -> list[Path]:
    return sorted((grafana.PROVISIONING_DIR / kind).glob("*.y*ml"))


@pytest.mark.parametrize("kind", ["datasources", "dashboards"])
def test_provisioning_files_use_api_version_1(kind: str) -> None:
    files = provisioning_files(kind)
    assert files, f"no {kind} provisioning file"
    assert {path.name: read_yaml(path)["apiVersion"] for path in files} == {
        path.name: 1 for path in files
    }


def test_compose_mounts_the_provisioning_folder_read_only_where_grafana_reads_it(
    grafana_service: dict[str, Any],
) -> None:
    folder = host_folder(REPO_ROOT, grafana_service, GRAFANA_PROVISIONING_TARGET)
    assert folder == grafana.PROVISIONING_DIR.resolve()
    assert bind_mounts(grafana_service)[GRAFANA_PROVISIONING_TARGET]["read_only"] is True


def test_datasources_have_fixed_uids_and_point_at_compose_services(
    datasources: list[dict[str, Any]],
) -> None:
    by_uid = {source["uid"]: source for source in datasources}
    assert len(by_uid) == len(datasources), "duplicate datasource uid"
    assert {uid: (s["type"], s["url"]) for uid, s in by_uid.items()} == {
        "prometheus": ("prometheus", "http://prometheus:9090"),
        "alertmanager": ("alertmanager", "http://alertmanager:9093"),
    }
    assert [s["uid"] for s in datasources if s.get("isDefault")] == ["prometheus"]
    for source in datasources:
        assert source.get("access") == "proxy", source["uid"]
        assert source.get("editable") is False, source["uid"]
        # No credentials: neither service has any, and none belongs in a committed file.
        assert not {"basicAuth", "password", "basicAuthPassword", "secureJsonData"} & set(source)


def test_prometheus_datasource_interval_equals_the_scrape_interval(
    datasources: list[dict[str, Any]], scrape_interval: str
) -> None:
    # Grafana's smallest step and $__rate_interval's 4 x scrape interval both read it.
    prometheus = next(s for s in datasources if s["uid"] == "prometheus")
    assert prometheus["jsonData"]["timeInterval"] == scrape_interval


def test_alertmanager_datasource_speaks_upstream_prometheus_alertmanager(
    datasources: list[dict[str, Any]],
) -> None:
    alertmanager = next(s for s in datasources if s["uid"] == "alertmanager")
    assert alertmanager["jsonData"]["implementation"] == "prometheus"
    prometheus = next(s for s in datasources if s["uid"] == "prometheus")
    assert prometheus["jsonData"]["alertmanagerUid"] == "alertmanager"


def test_removed_datasources_are_pruned() -> None:
    for path in provisioning_files("datasources"):
        assert read_yaml(path).get("prune") is True, path.name


def test_one_read_only_provider_loads_the_dashboards_into_a_fixed_folder(
    providers: list[dict[str, Any]],
) -> None:
    assert len(providers) == 1
    (provider,) = providers
    assert provider["type"] == "file"
    assert provider["folderUid"] == "playground"
    assert provider["folder"]
    assert provider["allowUiUpdates"] is False
    assert provider["disableDeletion"] is True
    assert provider["options"].get("foldersFromFilesStructure", False) is False


def test_provider_path_is_the_read_only_mount_of_grafana_dashboards(
    grafana_service: dict[str, Any],
    providers: list[dict[str, Any]],
) -> None:
    for provider in providers:
        path = provider["options"]["path"]
        assert path.startswith("/etc/grafana/dashboards"), path
        assert host_folder(REPO_ROOT, grafana_service, path) == grafana.DASHBOARDS_DIR.resolve()
        mount = next(
            m for target, m in bind_mounts(grafana_service).items() if path.startswith(target)
        )
        assert mount["read_only"] is True


def test_the_provider_folder_holds_exactly_the_dashboards_named_after_their_uids(
    grafana_service: dict[str, Any],
    providers: list[dict[str, Any]],
    dashboard_files: dict[Path, dict[str, Any]],
) -> None:
    (provider,) = providers
    folder = host_folder(REPO_ROOT, grafana_service, provider["options"]["path"])
    on_disk = {path.name for path in folder.iterdir()}
    assert on_disk == {f"{d['uid']}.json" for d in dashboard_files.values()}
    assert on_disk == {
        "playground-service-red.json",
        "playground-llm.json",
        "playground-slo.json",
        "playground-load-test.json",
    }


def test_host_folder_rejects_paths_outside_every_mount(grafana_service: dict[str, Any]) -> None:
    with pytest.raises(AssertionError, match="not inside any bind mount"):
        host_folder(REPO_ROOT, grafana_service, "/var/lib/grafana/dashboards")


def test_grafana_sets_no_deprecated_setting_and_installs_no_plugin_at_start(
    grafana_service: dict[str, Any],
) -> None:
    environment = grafana_service["environment"]
    # Deprecated (grafana/grafana#100947): viewers get no Explore from it on current Grafana.
    assert "GF_USERS_VIEWERS_CAN_EDIT" not in environment
    # The 13.2 preinstaller can unload the bundled Prometheus plugin (grafana/grafana#132528).
    assert environment["GF_PLUGINS_PREINSTALL_DISABLED"] == "true"
