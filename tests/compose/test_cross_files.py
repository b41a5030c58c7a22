"""The configs compose mounts point at real compose services on the ports they listen on:
Prometheus scrape targets, DNS-SD names and its Alertmanager, Alertmanager's webhook, the
Grafana datasources and dashboards folder, Locust's target and the gateway's upstream."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from playground.core.paths import REPO_ROOT
from tests.support.files import read_yaml

Services = dict[str, dict[str, Any]]

PROMETHEUS_CONFIG = Path("prometheus/prometheus.yml")
ALERTMANAGER_CONFIG = Path("alertmanager/alertmanager.yml")
GRAFANA_PROVISIONING = Path("grafana/provisioning")
# Names that mean "this container" in a scrape target: Prometheus scraping itself.
SELF_HOSTS = {"localhost", "127.0.0.1"}


def exposed_ports(service: dict[str, Any]) -> set[int]:
    """The container ports a service declares with `expose`."""
    return {int(str(port).split("/")[0]) for port in service.get("expose", [])}


def address_problem(
    address: str, services: Services, where: str, self_service: str | None = None
) -> str | None:
    """Why `host:port` is not a compose service listening on that port (None if it is)."""
    host, _, port = address.rpartition(":")
    if host in SELF_HOSTS and self_service is not None:
        host = self_service
    if host not in services:
        return f"{where}: {address} names no compose service"
    if not port.isdigit() or int(port) not in exposed_ports(services[host]):
        return f"{where}: {host} does not listen on port {port}"
    return None


def published_port_problems(services: Services) -> list[str]:
    """A published port must forward to a port the service says it listens on."""
    problems = []
    for name, service in services.items():
        for port in service.get("ports", []):
            target = port.get("target") if isinstance(port, dict) else str(port).rsplit(":", 1)[1]
            if int(str(target).split("/")[0]) not in exposed_ports(service):
                problems.append(f"{name}: publishes container port {target}, not in `expose`")
    return problems


def url_address(url: str) -> str:
    """`host:port` of a URL, with the scheme's default port filled in."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or {'http': 80, 'https': 443}[parts.scheme]}"


def discovered_addresses(section: dict[str, Any], where: str) -> Iterator[tuple[str, str]]:
    """(where, host:port) for the static targets and DNS-SD names of a scrape job or an
    `alertmanagers` entry."""
    for static in section.get("static_configs", []):
        for target in static.get("targets", []):
            yield where, target
    for dns in section.get("dns_sd_configs", []):
        if dns.get("type", "SRV") != "A" or "port" not in dns:
            yield where, f"<dns_sd_configs must be type A with a port: {dns}>:"
            continue
        for name in dns.get("names", []):
            yield where, f"{name}:{dns['port']}"
    for key in section:
        if key.endswith("_sd_configs") and key != "dns_sd_configs":
            yield where, f"<unchecked service discovery {key}>:"


def prometheus_addresses(config: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, host:port) for every scrape target, DNS-SD name and Alertmanager."""
    for job in config.get("scrape_configs", []):
        yield from discovered_addresses(job, f"scrape job {job['job_name']}")
    for alertmanager in config.get("alerting", {}).get("alertmanagers", []):
        yield from discovered_addresses(alertmanager, "alerting")


def prometheus_problems(config: dict[str, Any], services: Services) -> list[str]:
    """Addresses in a Prometheus config that are not compose services on their ports."""
    problems = [
        address_problem(address, services, where, self_service="prometheus")
        for where, address in prometheus_addresses(config)
    ]
    return [problem for problem in problems if problem]


def webhook_problems(config: dict[str, Any], services: Services) -> list[str]:
    """Alertmanager webhook URLs that are not compose services on their ports."""
    problems = []
    for receiver in config.get("receivers", []):
        for webhook in receiver.get("webhook_configs", []):
            where = f"receiver {receiver['name']}"
            problems.append(address_problem(url_address(webhook["url"]), services, where))
    return [problem for problem in problems if problem]


def scaled_service_discovery_problems(config: dict[str, Any], scalable: set[str]) -> list[str]:
    """Scalable services must be found by DNS (every replica), not by a fixed target."""
    problems = []
    found_by_dns: set[str] = set()
    for job in config.get("scrape_configs", []):
        for dns in job.get("dns_sd_configs", []):
            found_by_dns.update(dns.get("names", []))
        for static in job.get("static_configs", []):
            for target in static.get("targets", []):
                if target.rpartition(":")[0] in scalable:
                    problems.append(f"scrape job {job['job_name']}: static target {target}")
    problems += [f"{name}: not found by dns_sd_configs" for name in sorted(scalable - found_by_dns)]
    return problems


@pytest.fixture(scope="module")
def prometheus_config() -> dict[str, Any]:
    return read_yaml(REPO_ROOT / PROMETHEUS_CONFIG)


def test_prometheus_targets_are_compose_services_on_their_ports(
    prometheus_config: dict[str, Any], services: Services
) -> None:
    assert prometheus_problems(prometheus_config, services) == []


def test_alertmanager_webhooks_are_compose_services_on_their_ports(services: Services) -> None:
    assert webhook_problems(read_yaml(REPO_ROOT / ALERTMANAGER_CONFIG), services) == []


def test_every_demo_app_replica_is_found_by_dns(prometheus_config: dict[str, Any]) -> None:
    assert scaled_service_discovery_problems(prometheus_config, {"demo_app"}) == []


def test_published_ports_forward_to_an_exposed_port(services: Services) -> None:
    assert published_port_problems(services) == []


def test_address_checks_reject_unknown_services_ports_and_static_replicas(
    services: Services,
) -> None:
    prometheus = {
        "scrape_configs": [
            {"job_name": "a", "static_configs": [{"targets": ["ghost:1", "demo_app:9999"]}]},
            {"job_name": "b", "dns_sd_configs": [{"names": ["demo_app"], "port": 8000}]},
            {"job_name": "c", "dns_sd_configs": [{"names": ["ghost"], "type": "A", "port": 1}]},
            {"job_name": "d", "static_configs": [{"targets": ["localhost:9091"]}]},
            {"job_name": "e", "static_configs": [{"targets": ["demo_app:8000"]}]},
        ],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:1"]}]}]},
    }
    problems = "\n".join(prometheus_problems(prometheus, services))
    for expected in [
        "scrape job a: ghost:1 names no compose service",
        "scrape job a: demo_app does not listen on port 9999",
        "scrape job b: <dns_sd_configs must be type A",
        "scrape job c: ghost:1 names no compose service",
        "scrape job d: prometheus does not listen on port 9091",
        "alerting: alertmanager does not listen on port 1",
    ]:
        assert expected in problems
    assert scaled_service_discovery_problems(prometheus, {"demo_app", "other"}) == [
        "scrape job a: static target demo_app:9999",
        "scrape job e: static target demo_app:8000",
        "other: not found by dns_sd_configs",
    ]
    bad_ports = {"x": {"ports": ["127.0.0.1:1:9091"], "expose": ["9090"]}}
    assert published_port_problems(bad_ports) == [
        "x: publishes container port 9091, not in `expose`"
    ]
    alertmanager = {"receivers": [{"name": "r", "webhook_configs": [{"url": "http://x/hook"}]}]}
    assert webhook_problems(alertmanager, services) == ["receiver r: x:80 names no compose service"]


def grafana_datasources(repo_root: Path, read_yaml) -> list[dict[str, Any]]:
    """Every datasource in grafana/provisioning/datasources/*.y*ml."""
    folder = repo_root / GRAFANA_PROVISIONING / "datasources"
    return [
        source
        for path in sorted(folder.glob("*.y*ml"))
        for source in (read_yaml(path) or {}).get("datasources", [])
    ]


def test_grafana_datasources_are_compose_services(services: Services) -> None:
    if not (REPO_ROOT / GRAFANA_PROVISIONING).exists():
        pytest.skip("grafana/provisioning does not exist yet (the Grafana helper writes it)")
    sources = grafana_datasources(REPO_ROOT, read_yaml)
    assert sources, "no datasource provisioned"
    problems = [
        address_problem(url_address(source["url"]), services, f"datasource {source['name']}")
        for source in sources
        if "url" in source
    ]
    assert [problem for problem in problems if problem] == []


def test_grafana_dashboard_folders_are_mounted(services: Services) -> None:
    folder = REPO_ROOT / GRAFANA_PROVISIONING / "dashboards"
    if not folder.exists():
        pytest.skip("grafana/provisioning/dashboards does not exist yet (the Grafana helper)")
    targets = {mount["target"] for mount in services["grafana"]["volumes"]}
    paths = [
        provider["options"]["path"]
        for path in sorted(folder.glob("*.y*ml"))
        for provider in (read_yaml(path) or {}).get("providers", [])
    ]
    assert paths, "no dashboard provider"
    assert [p for p in paths if not any(p.startswith(t) for t in targets)] == []


def flag_after(command: list[str], flag: str) -> str:
    """The argument that follows a flag in a command list."""
    return command[command.index(flag) + 1]


def test_locust_drives_demo_app_through_the_gateway_and_workers_find_the_master(
    services: Services,
) -> None:
    host = flag_after(services["locust"]["command"], "--host")
    assert address_problem(url_address(host), services, "locust --host") is None
    # The gateway balances per request; demo_app:8000 would pin each kept-alive connection.
    assert host.startswith("http://demo_app_gateway:")
    master = flag_after(services["locust_worker"]["command"], "--master-host")
    assert address_problem(f"{master}:5557", services, "locust_worker") is None


def test_locustfile_exists_in_the_mounted_folder(services: Services) -> None:
    locust = services["locust"]
    mount = next(m for m in locust["volumes"] if m["target"] == locust["working_dir"])
    locustfile = REPO_ROOT / mount["source"] / flag_after(locust["command"], "-f")
    if not locustfile.exists():
        pytest.skip(f"{locustfile.relative_to(REPO_ROOT)} does not exist yet (the loadtest helper)")
    assert locustfile.is_file()


def test_gateway_balances_over_every_demo_app_replica(services: Services) -> None:
    """The Caddyfile the gateway runs is the mounted one, and it makes one upstream of each
    A record of demo_app (a replica) and takes turns, instead of one upstream name."""
    gateway = services["demo_app_gateway"]
    config = flag_after(gateway["command"], "--config")
    mount = next(m for m in gateway["volumes"] if m["target"] == config)
    assert mount["read_only"] is True
    caddyfile = (REPO_ROOT / mount["source"]).read_text()
    lines = [line.split("#")[0].split() for line in caddyfile.splitlines()]
    dynamic = [words for words in lines if words[:2] == ["dynamic", "a"]]
    assert len(dynamic) == 1, dynamic
    upstream = f"{dynamic[0][2]}:{dynamic[0][3]}"
    assert upstream.split(":")[0] == "demo_app"
    assert address_problem(upstream, services, "gateway") is None
    assert ["lb_policy", "round_robin"] in lines


def test_prometheus_rule_files_resolve_inside_the_rules_mount(
    prometheus_config: dict[str, Any], services: Services
) -> None:
    config_dir = Path("/etc/prometheus")
    mounts = {Path(m["target"]) for m in services["prometheus"]["volumes"]}
    assert config_dir / "prometheus.yml" in mounts
    for pattern in prometheus_config["rule_files"]:
        assert (config_dir / pattern).parent in mounts, pattern
